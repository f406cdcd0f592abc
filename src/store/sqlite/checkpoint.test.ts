import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs, { fstatSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openSqliteStore } from './sqlite-store.ts';

const dir = mkdtempSync(join(tmpdir(), 'berth-checkpoint-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

test('checkpoints: the db file is fsynced before the WAL is cut, the cut is fsynced before the next write, and nothing written is lost', async (t) => {
  const path = join(dir, 'order.db');
  const store = await openSqliteStore(path, { checkpointBytes: 64 * 1024 });
  const original = fs.fsync;
  const calls: string[] = [];
  fs.fsync = ((fd: number, cb: (err: NodeJS.ErrnoException | null) => void) => {
    const ino = fstatSync(fd).ino;
    const walBytes = statSync(`${path}-wal`).size;
    calls.push(`${ino === statSync(path).ino ? 'db' : 'wal'}:${walBytes > 0 ? 'frames' : 'empty'}`);
    original(fd, cb);
  }) as typeof fs.fsync;
  syncBuiltinESMExports();
  t.after(() => { fs.fsync = original; syncBuiltinESMExports(); });
  const value = 'x'.repeat(2_000);
  for (let i = 0; i < 200; i++) await store.txn({ ops: [{ type: 'put', key: `/o/${i}`, value: `${i}${value}` }] });
  const walAtEnd = statSync(`${path}-wal`).size;
  // close() waits for a checkpoint under way (its own final one uses fsyncSync).
  await store.close();
  fs.fsync = original;
  syncBuiltinESMExports();
  const checkpoints = calls.filter((c) => c.startsWith('db')).length;
  assert.ok(checkpoints >= 3, `a checkpoint every ~64 KB of WAL: ${checkpoints} in ${calls.length} fsyncs`);
  // Each checkpoint: the db file synced while the WAL still holds its frames, then the
  // WAL synced once it is empty; every other fsync is a batch's, on a WAL with frames.
  for (let i = 0; i < calls.length; i++) {
    if (calls[i] === 'db:frames') assert.equal(calls[i + 1], 'wal:empty', `fsync ${i + 1} of ${calls.join(' ')}`);
    else if (calls[i] === 'wal:empty') assert.equal(calls[i - 1], 'db:frames');
    else assert.equal(calls[i], 'wal:frames', `fsync ${i} of ${calls.join(' ')}`);
  }
  assert.ok(walAtEnd < 64 * 1024 + 8 * 4096, `the WAL stays near its bound: ${walAtEnd} bytes`);
  const again = await openSqliteStore(path);
  try {
    for (let i = 0; i < 200; i++) assert.equal((await again.get(`/o/${i}`))?.value, `${i}${value}`);
    assert.equal(await again.revision(), 200);
    // The watch history survives checkpoints too.
    const seen: number[] = [];
    const w = again.watch('/o/', 150, (e) => seen.push(e.revision));
    await new Promise((r) => setImmediate(r));
    w.close();
    assert.deepEqual(seen, Array.from({ length: 50 }, (_, i) => 151 + i));
  } finally {
    await again.close();
  }
});

test('checkpoints: kill -9 while writes and checkpoints run loses no acknowledged write', async () => {
  const writer = join(dirname(fileURLToPath(import.meta.url)), 'checkpoint-crash-writer.ts');
  for (let round = 0; round < 3; round++) {
    const path = join(dir, `crash-${round}.db`);
    const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', writer, path, String(128 * 1024)], { stdio: ['ignore', 'pipe', 'inherit'] });
    const acked: string[] = [];
    let buffered = '';
    // Killed at a different point each round: after 1,500, 3,000, 4,500 acknowledged writes.
    const target = 1_500 * (round + 1);
    await new Promise<void>((resolve, reject) => {
      child.on('error', reject);
      child.on('exit', () => resolve());
      child.stdout!.on('data', (chunk: Buffer) => {
        buffered += chunk.toString();
        const lines = buffered.split('\n');
        buffered = lines.pop()!;
        acked.push(...lines);
        if (acked.length >= target && child.exitCode === null) child.kill('SIGKILL');
      });
    });
    assert.equal(child.signalCode, 'SIGKILL', 'the writer ran until it was killed');
    assert.ok(acked.length >= target);
    const store = await openSqliteStore(path);
    try {
      for (const key of acked) assert.ok(await store.get(key), `${key} was acknowledged, and is gone after kill -9 (round ${round})`);
      // Revisions are contiguous: every put from 1 to the revision is in the history.
      const revision = await store.revision();
      assert.ok(revision >= acked.length);
      let expected = 1;
      const w = store.watch('/crash/', 0, (e) => { if (e.revision >= expected) expected = e.revision + 1; });
      await new Promise((r) => setImmediate(r));
      w.close();
      assert.equal(expected, revision + 1);
    } finally {
      await store.close();
    }
  }
});
