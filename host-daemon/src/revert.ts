/**
 * Registers the undo of each side effect right after it succeeds; on failure the undos run
 * in reverse, so a failed operation leaves nothing behind.
 */
export class Revert {
  private undos: Array<() => Promise<void> | void> = [];

  add(undo: () => Promise<void> | void): void {
    this.undos.push(undo);
  }

  /** Runs every registered undo, newest first; undo failures are collected, not thrown. */
  async fail(): Promise<Error[]> {
    const errors: Error[] = [];
    for (const undo of this.undos.reverse()) {
      try {
        await undo();
      } catch (err) {
        errors.push(err as Error);
      }
    }
    this.undos = [];
    return errors;
  }

  /** The operation succeeded: forget the undos. */
  success(): void {
    this.undos = [];
  }

  /** Runs `work`; on throw, reverts and rethrows the original error. */
  static async run<T>(work: (revert: Revert) => Promise<T>): Promise<T> {
    const revert = new Revert();
    try {
      const result = await work(revert);
      revert.success();
      return result;
    } catch (err) {
      await revert.fail();
      throw err;
    }
  }
}
