/**
 * Reads exact byte counts from an async iterable of chunks, holding at most one input
 * chunk at a time (plus the block being assembled). The tar reader's only buffer.
 */

import { TarFormatError } from './errors.ts';

export class ByteSource {
  #input: AsyncIterator<Uint8Array>;
  #chunk: Buffer = Buffer.alloc(0);
  #offset = 0;
  #ended = false;
  /** Bytes handed out so far: lets errors say where an archive went wrong. */
  position = 0;

  constructor(input: AsyncIterable<Uint8Array> | Iterable<Uint8Array>) {
    this.#input = Symbol.asyncIterator in input ? input[Symbol.asyncIterator]() : fromSync(input);
  }

  /** Makes sure some unread bytes are buffered; false at the end of the input. */
  async #fill(): Promise<boolean> {
    while (this.#offset >= this.#chunk.length) {
      if (this.#ended) return false;
      const next = await this.#input.next();
      if (next.done) {
        this.#ended = true;
        return false;
      }
      const v = next.value;
      this.#chunk = Buffer.isBuffer(v) ? v : Buffer.from(v.buffer, v.byteOffset, v.length);
      this.#offset = 0;
    }
    return true;
  }

  /**
   * Exactly `n` bytes (a copy only when they span chunks), or null when the input ends
   * before the first of them. Ending part-way through is a truncated archive.
   */
  async readExact(n: number, what: string): Promise<Buffer | null> {
    if (!(await this.#fill())) return null;
    if (this.#chunk.length - this.#offset >= n) {
      const out = this.#chunk.subarray(this.#offset, this.#offset + n);
      this.#offset += n;
      this.position += n;
      return out;
    }
    const out = Buffer.alloc(n);
    let filled = 0;
    while (filled < n) {
      if (!(await this.#fill())) throw new TarFormatError(`truncated archive: it ends inside ${what} at byte ${this.position}`);
      const take = Math.min(n - filled, this.#chunk.length - this.#offset);
      this.#chunk.copy(out, filled, this.#offset, this.#offset + take);
      this.#offset += take;
      filled += take;
      this.position += take;
    }
    return out;
  }

  /** Up to `max` (> 0) bytes without copying; the input ending first is a truncated archive. */
  async readSome(max: number, what: string): Promise<Buffer> {
    if (!(await this.#fill())) throw new TarFormatError(`truncated archive: it ends inside ${what} at byte ${this.position}`);
    const take = Math.min(max, this.#chunk.length - this.#offset);
    const out = this.#chunk.subarray(this.#offset, this.#offset + take);
    this.#offset += take;
    this.position += take;
    return out;
  }

  async skip(n: number, what: string): Promise<void> {
    let left = n;
    while (left > 0) left -= (await this.readSome(left, what)).length;
  }

  /** Reads and discards everything left, so that upstream hashing and decompression complete. */
  async drain(): Promise<void> {
    while (await this.#fill()) {
      this.position += this.#chunk.length - this.#offset;
      this.#offset = this.#chunk.length;
    }
  }

  /** Stops reading: lets a generator or stream upstream release its resources. */
  async close(): Promise<void> {
    if (!this.#ended) {
      this.#ended = true;
      await this.#input.return?.();
    }
  }
}

async function* fromSync(input: Iterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  yield* input;
}
