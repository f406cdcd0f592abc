/**
 * Sends a byte range of an open file as an HTTP response body (blob GETs), with two
 * buffers per transfer that are reused for every chunk: the next chunk is read into one
 * while the other is being written to the socket.
 *
 * Why not `createReadStream(...).pipe(res)`: a read stream allocates a fresh buffer for
 * every chunk, so a 200 MB pull made 200 MB of short-lived ArrayBuffers, and V8 answered
 * that external memory with garbage collections: in a CPU profile of four 200 MB skopeo
 * pulls, the collector took 35% of the server's busy time and the process faulted in
 * ~60 MB of fresh pages per pull. Reusing the buffers leaves neither (see bench/README.md,
 * registry-bench).
 *
 * A file opened past the page cache (O_DIRECT, direct-io.ts) comes with its two aligned
 * staging blocks, and is read in aligned blocks: from the aligned offset at or before the
 * next byte wanted, sending only the bytes of the range.
 */

import type { FileHandle } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { BLOCK_BYTES, DIRECT_ALIGNMENT, type StagingPair } from './direct-io.ts';

/** A file to send, and who closes it. */
export interface SendSource {
  readonly handle: FileHandle;
  /** Set when `handle` was opened O_DIRECT: reads must be aligned, into these blocks. */
  readonly staging?: StagingPair | undefined;
  /** Closes the handle (and gives the staging blocks back). */
  close(): Promise<void>;
}

/**
 * Writes bytes `start`..`end` (inclusive) of `file` to `res` and ends it; the headers
 * must have been written. Closes `file` in every case. Rejects with a premature-close
 * error when the client goes away first, and with an error when the file is shorter
 * than `end` (the response is then cut short, which the client sees as a failed download).
 */
export async function sendFileRange(file: SendSource, start: number, end: number, res: ServerResponse): Promise<void> {
  const gone = closedEarly(res);
  let sent = false;
  try {
    const { handle, staging } = file;
    const alignment = staging ? DIRECT_ALIGNMENT : 1;
    const chunk = staging ? BLOCK_BYTES : Math.min(BLOCK_BYTES, end - start + 1);
    // Each buffer with the write still using it: a buffer is read into again only once
    // the socket has taken all of it (libuv writes from this memory, it does not copy it).
    let current: Slot = { buffer: staging?.[0] ?? Buffer.allocUnsafeSlow(chunk), writing: Promise.resolve() };
    let other: Slot = { buffer: staging?.[1] ?? Buffer.allocUnsafeSlow(chunk), writing: Promise.resolve() };
    for (let position = start; position <= end; [current, other] = [other, current]) {
      await Promise.race([current.writing, gone.promise]);
      const { buffer } = current;
      // The read starts at the aligned offset at or before `position` (the same with alignment 1).
      const skip = position % alignment;
      const wanted = Math.min(chunk - skip, end - position + 1);
      const length = Math.ceil((skip + wanted) / alignment) * alignment;
      const { bytesRead } = await handle.read(buffer, 0, length, position - skip);
      const got = Math.min(bytesRead - skip, wanted);
      if (got <= 0) throw new Error(`blob file ended at byte ${position}, before byte ${end}`);
      position += got;
      current.writing = write(res, skip === 0 && got === buffer.length ? buffer : buffer.subarray(skip, skip + got));
      // Awaited later, or never if the other buffer's write fails first: not an unhandled rejection.
      current.writing.catch(() => undefined);
    }
    await Promise.race([Promise.all([current.writing, other.writing]), gone.promise]);
    sent = true;
  } finally {
    gone.dispose();
    // A response cut short goes no further: a write still queued on the socket would send
    // from a buffer that, being a staging block, another transfer is about to read into.
    if (!sent) res.destroy();
    await file.close();
  }
  res.end();
}

interface Slot {
  readonly buffer: Buffer;
  writing: Promise<void>;
}

/** A failed write means the connection is gone (reset, broken pipe, destroyed): said one way, as a premature close. */
function write(res: ServerResponse, chunk: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    res.write(chunk, (err) => (err ? reject(clientGone(err)) : resolve()));
  });
}

function clientGone(cause?: Error): Error {
  return Object.assign(new Error('the client closed the connection before the blob was sent', { cause }), { code: 'ERR_STREAM_PREMATURE_CLOSE' });
}

/**
 * A promise that rejects if the response closes before it has ended. Needed because a
 * write on a response whose socket was destroyed before the response heard of it
 * returns without ever calling its callback (node's `_writeRaw`); the 'close' comes.
 */
function closedEarly(res: ServerResponse): { promise: Promise<never>; dispose(): void } {
  let onClose!: () => void;
  const promise = new Promise<never>((_, reject) => {
    onClose = () => reject(clientGone());
  });
  // Nobody may be awaiting it when it rejects (between two awaits, or after the last).
  promise.catch(() => undefined);
  if (res.destroyed) onClose();
  else res.once('close', onClose);
  return { promise, dispose: () => res.off('close', onClose) };
}
