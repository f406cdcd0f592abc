import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync, zstdCompressSync } from 'node:zlib';
import { compress, decompress, detectCompression } from './compression.ts';

async function collect(it: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of it) parts.push(c);
  return Buffer.concat(parts);
}

const text = Buffer.from('layer bytes '.repeat(1000));

test('detects gzip, zstd and plain data by their magic bytes', () => {
  assert.equal(detectCompression(gzipSync(text)), 'gzip');
  assert.equal(detectCompression(zstdCompressSync(text)), 'zstd');
  assert.equal(detectCompression(text), 'none');
  assert.equal(detectCompression(new Uint8Array()), 'none');
});

test('decompresses gzip and zstd, and passes plain data through', async () => {
  assert.deepEqual(await collect(decompress([gzipSync(text)])), text);
  assert.deepEqual(await collect(decompress([zstdCompressSync(text)])), text);
  assert.deepEqual(await collect(decompress([text])), text);
  assert.deepEqual(await collect(decompress([])), Buffer.alloc(0));
});

test('sniffs the magic even when it arrives one byte at a time', async () => {
  const gz = gzipSync(text);
  const bytes = [...gz].map((b) => Buffer.from([b]));
  assert.deepEqual(await collect(decompress(bytes)), text);
});

test('a corrupt gzip stream fails instead of yielding garbage', async () => {
  const gz = gzipSync(text);
  gz[gz.length - 5] = (gz[gz.length - 5] as number) ^ 0xff; // breaks the CRC32 trailer
  await assert.rejects(collect(decompress([gz])));
});

test('an error of the input surfaces through decompression', async () => {
  const failing = (async function* () {
    yield gzipSync(text).subarray(0, 10);
    throw new Error('network went away');
  })();
  await assert.rejects(collect(decompress(failing)), /network went away/);
});

test('compresses deterministically, and round-trips', async () => {
  const a = await collect(compress([text], 'gzip'));
  const b = await collect(compress([text], 'gzip'));
  assert.deepEqual(a, b);
  assert.deepEqual(await collect(decompress([a])), text);
  assert.deepEqual(await collect(decompress([await collect(compress([text], 'zstd'))])), text);
  assert.deepEqual(await collect(compress([text], 'none')), text);
});
