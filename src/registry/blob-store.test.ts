import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { appendToFile } from './blob-store.ts';
import { SYNC_AHEAD_BYTES } from './sync-ahead.ts';

async function* from(...chunks: Buffer[]): AsyncGenerator<Buffer> {
  yield* chunks;
}

async function tempDir(t: { after(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-blob-store-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

test('appendToFile writes every chunk in order and hashes every byte: tiny chunks (more than one writev takes), big ones, past the sync-ahead threshold', async (t) => {
  const path = join(await tempDir(t), 'blob');
  // 30,000 chunks of 100 bytes fill batches of far more than IOV_MAX (1,024) buffers.
  const chunks = [...Array.from({ length: 30_000 }, () => randomBytes(100)), ...Array.from({ length: 5 }, () => randomBytes(SYNC_AHEAD_BYTES / 2 + 17))];
  const all = Buffer.concat(chunks);
  const hash = createHash('sha256');
  const written = await appendToFile(from(...chunks), path, hash, 0, 'wx');
  assert.equal(written, all.length);
  assert.ok((await readFile(path)).equals(all));
  assert.equal(hash.digest('hex'), createHash('sha256').update(all).digest('hex'));
});

test('appendToFile appends to what the file holds, and refuses to create over an existing file with wx', async (t) => {
  const path = join(await tempDir(t), 'blob');
  await writeFile(path, 'abc');
  assert.equal(await appendToFile(from(Buffer.from('def')), path, createHash('sha256'), 3, 'a'), 3);
  assert.equal(await readFile(path, 'utf8'), 'abcdef');
  await assert.rejects(appendToFile(from(Buffer.from('x')), path, createHash('sha256'), 0, 'wx'), { code: 'EEXIST' });
});

test('a source that fails mid-stream: appendToFile rejects once nothing is writing any more', async (t) => {
  const path = join(await tempDir(t), 'blob');
  const chunk = randomBytes(256 * 1024);
  const source = (async function* () {
    for (let i = 0; i < 10; i++) yield chunk;
    throw Object.assign(new Error('client went away'), { code: 'ECONNRESET' });
  })();
  await assert.rejects(appendToFile(source, path, createHash('sha256'), 0, 'wx'), { code: 'ECONNRESET' });
  const size = (await stat(path)).size;
  await new Promise((r) => setTimeout(r, 50));
  assert.equal((await stat(path)).size, size, 'no write lands after the rejection (the caller truncates the file then)');
  assert.ok(size % chunk.length === 0 && size <= 10 * chunk.length);
});
