/**
 * Progress of a push or pull on a terminal: one line per blob once it is in place
 * ("uploaded", "exists", "mounted from …"), and, while a large blob moves and the
 * stream is a TTY, a percentage line rewritten in place.
 */

import type { BlobPushed } from './push.ts';
import type { BlobProgress } from './registry-client.ts';

/** Below this a blob is done before a percentage would be read. */
const LARGE_BLOB_BYTES = 1 << 20;
/** Redraw at most this often: fast enough to look alive, slow enough not to flood a slow terminal. */
const REDRAW_INTERVAL_MS = 100;

export interface ProgressOutput {
  write(text: string): unknown;
  readonly isTTY?: boolean;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

export class ProgressPrinter {
  readonly #out: ProgressOutput;
  readonly #now: () => number;
  #lastDraw = 0;
  #statusShown = false;

  constructor(out: ProgressOutput, now: () => number = Date.now) {
    this.#out = out;
    this.#now = now;
  }

  /** For {@link PushOptions.onProgress}: a percentage line on a TTY, for large blobs. */
  progress = (p: BlobProgress): void => {
    if (!this.#out.isTTY || p.total < LARGE_BLOB_BYTES) return;
    const now = this.#now();
    if (now - this.#lastDraw < REDRAW_INTERVAL_MS && p.done < p.total) return;
    this.#lastDraw = now;
    const pct = Math.floor((p.done / p.total) * 100);
    this.#out.write(`\r\x1b[K  ${short(p.digest)}  ${pct}% of ${formatBytes(p.total)}`);
    this.#statusShown = true;
  };

  /** For {@link PushOptions.onBlob}: the blob's line. */
  blob = (event: BlobPushed): void => {
    const how = event.result === 'mounted' ? `mounted from ${event.from ?? 'another repository'}` : event.result === 'exists' ? 'already there' : 'uploaded';
    this.line(`  ${short(event.descriptor.digest)}  ${formatBytes(event.descriptor.size).padStart(9)}  ${how}`);
  };

  /** A permanent line (clearing a percentage line first). */
  line(text: string): void {
    if (this.#statusShown) this.#out.write('\r\x1b[K');
    this.#statusShown = false;
    this.#out.write(`${text}\n`);
  }
}

function short(digest: string): string {
  return digest.slice(0, 'sha256:'.length + 12);
}
