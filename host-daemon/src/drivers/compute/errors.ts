/** Thrown by compute drivers when an operation names a domain the hypervisor does not have. */
export class DomainNotFoundError extends Error {
  constructor(readonly domain: string) {
    super(`domain not found: ${domain}`);
    this.name = "DomainNotFoundError";
  }
}
