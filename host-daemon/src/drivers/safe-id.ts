/** Ids become path components: refuse anything that could leave its directory. */
export function assertSafeId(id: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(id)) throw new Error(`invalid id for a file name: ${JSON.stringify(id)}`);
  return id;
}
