/**
 * Layer compression: detection by magic bytes (media types lie, and docker-archive
 * layers carry none), and streaming (de)compression with node:zlib's gzip and zstd.
 */

import { Readable, pipeline } from 'node:stream';
import { createGunzip, createGzip, createZstdCompress, createZstdDecompress, constants as zlib } from 'node:zlib';
import type { Compression } from './media-types.ts';

const GZIP_MAGIC = [0x1f, 0x8b];
const ZSTD_MAGIC = [0x28, 0xb5, 0x2f, 0xfd];

/** Bytes needed to tell the formats apart (the zstd magic is the longest). */
const SNIFF_BYTES = ZSTD_MAGIC.length;

/** gzip level for layers Berth writes: 6 is zlib's (and Docker's) default size/speed balance. */
const GZIP_LEVEL = 6;

export function detectCompression(head: Uint8Array): Compression {
  if (GZIP_MAGIC.every((b, i) => head[i] === b)) return 'gzip';
  if (ZSTD_MAGIC.every((b, i) => head[i] === b)) return 'zstd';
  return 'none';
}

/**
 * The uncompressed bytes of `input`, whatever it was compressed with (gzip, zstd or
 * none), decided by its first bytes. Errors of the input or the decompressor surface
 * through the returned iterable.
 */
export async function* decompress(input: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): AsyncGenerator<Buffer> {
  const source = Symbol.asyncIterator in input ? input[Symbol.asyncIterator]() : toAsync(input);
  const head: Buffer[] = [];
  let headLength = 0;
  let done = false;
  while (headLength < SNIFF_BYTES) {
    const next = await source.next();
    if (next.done) {
      done = true;
      break;
    }
    const chunk = asBuffer(next.value);
    head.push(chunk);
    headLength += chunk.length;
  }
  const replay = async function* (): AsyncGenerator<Buffer> {
    yield* head;
    if (done) return;
    for (;;) {
      const next = await source.next();
      if (next.done) return;
      yield asBuffer(next.value);
    }
  };
  const kind = detectCompression(Buffer.concat(head));
  if (kind === 'none') {
    yield* replay();
    return;
  }
  const decompressor = kind === 'gzip' ? createGunzip() : createZstdDecompress();
  // pipeline destroys the decompressor with the source's error, so iteration rejects with it.
  const out = pipeline(Readable.from(replay()), decompressor, () => {});
  for await (const chunk of out) yield chunk as Buffer;
}

/** A stream that compresses with `kind`; gzip output has no name or time in its header. */
export function compressor(kind: Exclude<Compression, 'none'>): NodeJS.ReadWriteStream {
  return kind === 'gzip'
    ? createGzip({ level: GZIP_LEVEL })
    : createZstdCompress({ params: { [zlib.ZSTD_c_compressionLevel]: 3 } });
}

/** Compresses a stream of bytes; for `none`, passes it through. */
export async function* compress(input: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, kind: Compression): AsyncGenerator<Buffer> {
  if (kind === 'none') {
    for await (const chunk of input) yield asBuffer(chunk);
    return;
  }
  const out = pipeline(Readable.from(input), compressor(kind), () => {});
  for await (const chunk of out) yield chunk as Buffer;
}

function asBuffer(chunk: Uint8Array): Buffer {
  return Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
}

async function* toAsync(input: Iterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  yield* input;
}
