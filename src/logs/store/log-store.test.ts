import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { LogStore } from './log-store.ts';

const id = (n: number) => n.toString(16).padStart(32, '0');
const all = { from: 0, to: Number.MAX_SAFE_INTEGER, limit: 100, fromEnd: false };

test('groups past the open bound are closed and reopened on use, their events intact; orphans removed; destroy removes files', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-logstore-'));
  try {
    const store = new LogStore(dir, 2);
    for (let g = 1; g <= 5; g++) await store.append(id(g), 's', 's', 1, [{ timestamp: g, message: `group ${g}` }]);
    for (let g = 1; g <= 5; g++) assert.deepEqual(store.readStream(id(g), 's', all).map((e) => e.message), [`group ${g}`]);
    assert.equal(store.storedBytes(id(3)), 'group 3'.length);
    await store.destroy(id(5));
    assert.equal(existsSync(join(dir, 'logs', id(5))), false);
    assert.deepEqual(store.removeOrphans(new Set([id(1), id(2)])), [id(4)], 'the open group (3, read last) is kept, the closed orphan (4) goes');
    assert.throws(() => store.readStream('../etc', 's', all), /not a log group id/);
    // A group with a write in flight is not closed to make room: two logs on one directory would be two writers.
    const busy = new LogStore(join(dir, 'busy'), 1);
    const writes = Array.from({ length: 6 }, (_, i) => busy.append(id(10 + (i % 2)), 's', 's', 1, [{ timestamp: i, message: `w${i}` }]));
    await Promise.all(writes);
    assert.deepEqual(busy.readStream(id(10), 's', all).map((e) => e.message), ['w0', 'w2', 'w4']);
    assert.deepEqual(busy.readStream(id(11), 's', all).map((e) => e.message), ['w1', 'w3', 'w5']);
    await busy.close();
    await store.close();
    const again = new LogStore(dir);
    assert.deepEqual(again.readStream(id(1), 's', all).map((e) => e.message), ['group 1']);
    await again.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
