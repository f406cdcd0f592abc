/**
 * Which blob reads go through the page cache. A blob read for the first time in a while
 * is read past it (direct-io.ts); a second read within {@link ADMISSION_WINDOW_MS} of
 * the one before, and every read after while they keep coming, goes through it, so the
 * blobs that are pulled again (one image deployed to many hosts) are served from memory
 * after the first time.
 *
 * Admission on the second touch, as caches that keep out one-hit wonders do: most blobs
 * are read once or twice in a long while (pushed, then pulled by the host that runs the
 * task, which keeps the unpacked layers), and filling the page cache with them is what
 * costs a server here most (direct-io.ts: a cold 200 MB read through the page cache took
 * 410–450 ms of system time, directly 10 ms). Pure: the caller says what time it is.
 */

/** A blob read again within this long of its last read is worth caching. */
export const ADMISSION_WINDOW_MS = 60 * 60 * 1000;
/** Blobs remembered at once (least recently read forgotten first): about a megabyte. */
const MAX_REMEMBERED = 10_000;

export class PageCacheAdmission {
  /** Last read of each blob, least recent first (a Map keeps insertion order). */
  readonly #lastRead = new Map<string, number>();

  /** Records a read of `key` at `now`; true when this read should go through the page cache. */
  read(key: string, now: number): boolean {
    const last = this.#lastRead.get(key);
    this.#lastRead.delete(key);
    this.#lastRead.set(key, now);
    if (this.#lastRead.size > MAX_REMEMBERED) this.#lastRead.delete(this.#lastRead.keys().next().value!);
    return last !== undefined && now - last <= ADMISSION_WINDOW_MS;
  }
}
