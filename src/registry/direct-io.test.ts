import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { openBlobFileWriter } from './blob-file-writer.ts';
import { diskTempDir } from './testing.ts';

declare const WebAssembly: { Memory: new (descriptor: { initial: number }) => object };

test('with no address space left for staging memory, blobs go through the page cache instead of failing', async (t) => {
  const dir = await diskTempDir(t, 'berth-direct-io-');
  // V8 caps what all wasm memories of a process may reserve; take all of it (~16,000 memories, 0.2 s).
  const hoard: object[] = [];
  assert.throws(() => {
    for (;;) hoard.push(new WebAssembly.Memory({ initial: 1 }));
  }, RangeError);
  const writer = await openBlobFileWriter(join(dir, 'blob'), 'wx', 0);
  assert.equal(writer.direct, false);
  const bytes = randomBytes(3 * 1024 * 1024 + 1);
  try {
    await writer.push(bytes);
    await writer.end();
  } finally {
    await writer.close();
  }
  assert.ok((await readFile(join(dir, 'blob'))).equals(bytes));
  assert.ok(hoard.length > 0);
});
