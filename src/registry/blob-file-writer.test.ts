import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { openBlobFileWriter, type BlobFileWriter } from './blob-file-writer.ts';
import { BLOCK_BYTES } from './direct-io.ts';
import { diskTempDir, takesDirect } from './testing.ts';

const tempDir = (t: { after(fn: () => Promise<void>): void }) => diskTempDir(t, 'berth-blob-writer-');

/** Chunks that straddle block boundaries and end in a tail that is not block-aligned. */
function awkwardChunks(): Buffer[] {
  const sizes = [1, 65_536, 100_000, BLOCK_BYTES, BLOCK_BYTES - 7, 3 * BLOCK_BYTES + 5, 4096, 12_345];
  return sizes.map((n) => randomBytes(n));
}

async function writeAll(writer: BlobFileWriter, chunks: Buffer[]): Promise<void> {
  try {
    for (const chunk of chunks) await writer.push(chunk);
    await writer.end();
  } finally {
    await writer.close();
  }
}

test('direct and page-cache writers put the same bytes in the file, whatever the chunk boundaries', async (t) => {
  const dir = await tempDir(t);
  const chunks = awkwardChunks();
  const direct = await openBlobFileWriter(join(dir, 'direct'), 'wx', 0);
  assert.equal(direct.direct, await takesDirect(dir), 'direct where the filesystem takes O_DIRECT');
  await writeAll(direct, chunks);
  const buffered = await openBlobFileWriter(join(dir, 'buffered'), 'wx', 0, { direct: false });
  assert.equal(buffered.direct, false);
  await writeAll(buffered, chunks);
  const all = Buffer.concat(chunks);
  assert.ok((await readFile(join(dir, 'direct'))).equals(all));
  assert.ok((await readFile(join(dir, 'buffered'))).equals(all));
});

test('appending at an offset: aligned ones may go direct, unaligned ones go through the page cache', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'blob');
  const head = randomBytes(8192 + 100);
  await writeFile(path, head.subarray(0, 8192));
  const aligned = await openBlobFileWriter(path, 'a', 8192);
  assert.equal(aligned.direct, await takesDirect(dir));
  await writeAll(aligned, [head.subarray(8192)]);
  const unaligned = await openBlobFileWriter(path, 'a', head.length);
  assert.equal(unaligned.direct, false);
  const tail = randomBytes(BLOCK_BYTES + 3);
  await writeAll(unaligned, [tail]);
  assert.ok((await readFile(path)).equals(Buffer.concat([head, tail])));
});

test('wx refuses an existing file on both paths', async (t) => {
  const dir = await tempDir(t);
  await writeFile(join(dir, 'blob'), 'x');
  await assert.rejects(openBlobFileWriter(join(dir, 'blob'), 'wx', 0), { code: 'EEXIST' });
  await assert.rejects(openBlobFileWriter(join(dir, 'blob'), 'wx', 0, { direct: false }), { code: 'EEXIST' });
});

test('more writers than staging blocks: the rest write through the page cache, and closed writers give theirs back', async (t) => {
  const dir = await tempDir(t);
  const writers = await Promise.all(Array.from({ length: 40 }, (_, i) => openBlobFileWriter(join(dir, `blob${i}`), 'wx', 0)));
  const directCount = writers.filter((w) => w.direct).length;
  if (await takesDirect(dir)) assert.equal(directCount, 32, 'staging for 32 direct writers (16 slabs of 4 blocks)');
  const chunks = writers.map(() => randomBytes(BLOCK_BYTES + 4097));
  await Promise.all(writers.map((w, i) => writeAll(w, [chunks[i]!])));
  for (let i = 0; i < writers.length; i++) assert.ok((await readFile(join(dir, `blob${i}`))).equals(chunks[i]!));
  const again = await openBlobFileWriter(join(dir, 'again'), 'wx', 0);
  assert.equal(again.direct, directCount > 0, 'blocks are reused once their writers closed');
  await writeAll(again, []);
  assert.equal((await readFile(join(dir, 'again'))).length, 0);
});

test('BERTH_REGISTRY_PAGE_CACHE=1 sends every blob through the page cache', async (t) => {
  const dir = await tempDir(t);
  process.env.BERTH_REGISTRY_PAGE_CACHE = '1';
  t.after(() => delete process.env.BERTH_REGISTRY_PAGE_CACHE);
  const writer = await openBlobFileWriter(join(dir, 'blob'), 'wx', 0);
  assert.equal(writer.direct, false);
  const bytes = randomBytes(BLOCK_BYTES + 5);
  await writeAll(writer, [bytes]);
  assert.ok((await readFile(join(dir, 'blob'))).equals(bytes));
});
