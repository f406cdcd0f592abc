/**
 * The one lock between garbage collection and pushes, in this process (one Berth
 * process owns a data dir: the store holds an exclusive lock on it).
 *
 * Pushes take it shared around "check or create the blob, touch it, record the
 * reference"; the GC sweep takes it exclusive around "check the blob is still old and
 * unreferenced, delete it". So a push either completes before a sweep (and the blob's
 * fresh mtime protects it) or starts after it (and sees the blob gone, and says so).
 */
export class GcLock {
  #shared = 0;
  #exclusive: Promise<void> | undefined;
  #drained: (() => void) | undefined;

  async shared<T>(fn: () => Promise<T>): Promise<T> {
    while (this.#exclusive) await this.#exclusive;
    this.#shared++;
    try {
      return await fn();
    } finally {
      this.#shared--;
      if (this.#shared === 0) this.#drained?.();
    }
  }

  async exclusive<T>(fn: () => Promise<T>): Promise<T> {
    while (this.#exclusive) await this.#exclusive;
    let release!: () => void;
    this.#exclusive = new Promise<void>((r) => (release = r));
    try {
      if (this.#shared > 0) await new Promise<void>((r) => (this.#drained = r));
      this.#drained = undefined;
      return await fn();
    } finally {
      this.#exclusive = undefined;
      release();
    }
  }
}
