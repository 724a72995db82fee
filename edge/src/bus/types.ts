import type { CommandPayload, CommandType } from "#shared";

/** How the edge talks to hosts. Cast: fire and forget. Call: request/response with a timeout. */
export interface Bus {
  /** Publishes a command to one host (QoS 1, queued while the host is offline); returns its id. */
  cast<T extends CommandType>(hostId: string, type: T, payload: CommandPayload<T>, id?: string): Promise<string>;
  /** Sends a command and waits for the host's reply; rejects with BusTimeout or the host's error. */
  call<T extends CommandType>(hostId: string, type: T, payload: CommandPayload<T>, timeoutMs?: number): Promise<unknown>;
}

export class BusTimeout extends Error {
  constructor(hostId: string, type: string) {
    super(`host ${hostId} did not answer ${type} in time`);
  }
}
