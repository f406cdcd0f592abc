import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs, { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { storeConformance, storeCompactionConformance } from '../conformance.ts';
import { openSqliteStore, StoreLockedError } from './sqlite-store.ts';
import { until } from '../../../test/support/until.ts';
import { CompactedError } from '../store.ts';

const dir = mkdtempSync(join(tmpdir(), 'berth-sqlite-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

storeConformance('sqlite', () => openSqliteStore(join(dir, `c${n++}.db`)));
// The same contract with a `get` cache of 4 KB: every read past it comes from SQLite.
storeConformance('sqlite, writer thread', () => openSqliteStore(join(dir, `w${n++}.db`), { writerThread: true }));
// ':memory:' writes on the main thread (no second connection can open it): the same contract.
storeConformance('sqlite in memory', () => openSqliteStore(':memory:'));
storeConformance('sqlite (4 KB cache)', () => openSqliteStore(join(dir, `e${n++}.db`), { cacheBytes: 4096 }));
storeCompactionConformance('sqlite', (historyRevisions) => openSqliteStore(join(dir, `h${n++}.db`), { historyRevisions }));

test('sqlite: what was written is there after reopening, revision included', async () => {
  const path = join(dir, 'reopen.db');
  const s1 = await openSqliteStore(path);
  await s1.txn({ ops: [{ type: 'put', key: '/a', value: 'x' }] });
  await s1.txn({ ops: [{ type: 'put', key: '/b', value: 'y' }] });
  await s1.close();
  const s2 = await openSqliteStore(path);
  try {
    assert.equal(await s2.revision(), 2);
    assert.equal((await s2.get('/b'))?.value, 'y');
    assert.equal((await s2.txn({ ops: [{ type: 'put', key: '/c', value: 'z' }] })).revision, 3);
  } finally {
    await s2.close();
  }
});

test('sqlite: a second opener of the same database is refused with a clear error', async () => {
  const path = join(dir, 'locked.db');
  const s1 = await openSqliteStore(path);
  try {
    await assert.rejects(openSqliteStore(path), StoreLockedError);
  } finally {
    await s1.close();
  }
});

test('sqlite: a write is acknowledged, cached and watched only after the WAL is fsynced; the next batch commits during that fsync, and answers go in commit order', async (t) => {
  const store = await openSqliteStore(join(dir, 'fsync-order.db'));
  const original = fs.fsync;
  const held: (() => void)[] = [];
  // Hold every fsync until the test lets it go (the store imports fsync from node:fs).
  fs.fsync = ((fd: number, cb: (err: NodeJS.ErrnoException | null) => void) => { held.push(() => original(fd, cb)); }) as typeof fs.fsync;
  syncBuiltinESMExports();
  t.after(() => { fs.fsync = original; syncBuiltinESMExports(); });
  const seen: string[] = [];
  store.watch('/k', 0, (e) => seen.push(e.kv.key));
  const acked: string[] = [];
  const applied: number[] = [];
  const write = (key: string, o?: { if?: { key: string; modRevision: number }[] }) =>
    store.txn({ ...o, ops: [{ type: 'put', key, value: key }] }, { onApplied: (r) => applied.push(r.revision) }).then((r) => { acked.push(key); return r; });
  const first = write('/k1');
  // The writer thread commits, then the main thread fsyncs: waited for, not timed.
  const fsyncs = (n: number) => until(`${n} fsyncs`, async () => (held.length >= n ? true : undefined), 30_000, 5);
  await fsyncs(1);
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(held.length, 1, 'the commit waits on one fsync');
  assert.deepEqual(applied, [1], 'its outcome is known once committed');
  assert.deepEqual(acked, []);
  assert.deepEqual(seen, [], 'watchers hear nothing before the write is durable');
  assert.equal((await store.get('/k1'))?.value, '/k1', 'later reads may see it (not cached before its fsync)');
  // Two more writes while the first is being synced: one batch, committed now (its condition
  // sees the first batch), with an fsync of its own.
  const later = [write('/k2', { if: [{ key: '/k1', modRevision: 1 }] }), write('/k3')];
  await fsyncs(2);
  assert.equal(held.length, 2, 'the next batch went while the first one\'s fsync runs');
  assert.deepEqual(applied, [1, 2, 3]);
  // At most MAX_UNSYNCED_BATCHES unsynced: a third batch waits.
  const third = write('/k4');
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(held.length, 2, 'a third batch waits for an fsync to return');
  assert.deepEqual(acked, [], 'nothing is answered before it is durable');
  // The second batch's fsync returns first: it started after both commits, so both are durable, answered in order.
  held.pop()!();
  const revisions = (await Promise.all(later)).map((r) => r.revision);
  assert.deepEqual(revisions, [2, 3]);
  assert.equal((await first).ok, true);
  assert.deepEqual(acked, ['/k1', '/k2', '/k3']);
  assert.deepEqual(seen, ['/k1', '/k2', '/k3']);
  await fsyncs(2);
  assert.equal(held.length, 2, 'the third batch went once one fsync returned');
  held.shift()!(); // the first batch's, returning late: nothing left for it to answer
  await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(acked, ['/k1', '/k2', '/k3']);
  held.shift()!();
  assert.equal((await third).revision, 4);
  assert.deepEqual(seen, ['/k1', '/k2', '/k3', '/k4']);
  fs.fsync = original;
  syncBuiltinESMExports();
  await store.close();
});

test('sqlite: a batch that wrote nothing is answered after the batches before it, without an fsync of its own', async (t) => {
  const store = await openSqliteStore(join(dir, 'fsync-nothing.db'));
  const original = fs.fsync;
  const held: (() => void)[] = [];
  fs.fsync = ((fd: number, cb: (err: NodeJS.ErrnoException | null) => void) => { held.push(() => original(fd, cb)); }) as typeof fs.fsync;
  syncBuiltinESMExports();
  t.after(() => { fs.fsync = original; syncBuiltinESMExports(); });
  const order: string[] = [];
  const put = store.txn({ ops: [{ type: 'put', key: '/n', value: '1' }] }).then(() => order.push('put'));
  await until('the put\'s fsync', async () => (held.length ? true : undefined), 30_000, 5);
  // Its condition was checked against the unsynced put: refused, but only answered after it.
  let decided!: () => void;
  const committed = new Promise<void>((resolve) => { decided = resolve; });
  const refused = store.txn({ if: [{ key: '/n', modRevision: 0 }], ops: [{ type: 'put', key: '/n', value: '2' }] }, { onApplied: () => decided() }).then((r) => { order.push('refused'); return r; });
  await committed;
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(held.length, 1, 'no fsync for a batch that wrote nothing');
  assert.deepEqual(order, []);
  held.shift()!();
  assert.deepEqual(await refused, { ok: false, revision: 1, failed: ['/n'] });
  await put;
  assert.deepEqual(order, ['put', 'refused']);
  fs.fsync = original;
  syncBuiltinESMExports();
  await store.close();
});

test('sqlite: when an fsync fails, the batch is refused and so is every later write (nothing is acknowledged that may not be on disk)', async (t) => {
  const store = await openSqliteStore(join(dir, 'fsync-fails.db'));
  const original = fs.fsync;
  fs.fsync = ((_fd: number, cb: (err: NodeJS.ErrnoException | null) => void) => { setImmediate(() => cb(Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' }))); }) as typeof fs.fsync;
  syncBuiltinESMExports();
  t.after(() => { fs.fsync = original; syncBuiltinESMExports(); });
  let heard = 0;
  store.watch('/f', 0, () => heard++);
  await assert.rejects(store.txn({ ops: [{ type: 'put', key: '/f1', value: '1' }] }), /could not be synced to disk \(EIO: i\/o error, fsync\); restart Berth/);
  assert.equal(heard, 0, 'watchers never hear of it');
  assert.equal(await store.get('/f1').then((kv) => kv?.value), '1', 'committed to SQLite, only not acknowledged');
  fs.fsync = original;
  syncBuiltinESMExports();
  await assert.rejects(store.txn({ ops: [{ type: 'put', key: '/f2', value: '2' }] }), /could not be synced to disk/);
  await store.close();
});

test('sqlite: the get cache stops at its byte bound, and reads past it answer what was written last', async () => {
  const store = await openSqliteStore(join(dir, 'cache-bound.db'), { cacheBytes: 64 * 1024 });
  try {
    const value = (i: number, round: number) => `${round}:${'v'.repeat(500 + (i % 7) * 100)}`;
    const key = (i: number) => `/c/${String(i).padStart(4, '0')}`;
    const N = 1_000;
    await Promise.all(Array.from({ length: N }, (_, i) => store.txn({ ops: [{ type: 'put', key: key(i), value: value(i, 1) }] })));
    assert.deepEqual(store.cacheUsage(), { entries: 0, bytes: 0 }, 'writes add nothing to the cache');
    for (let i = 0; i < N; i++) {
      assert.equal((await store.get(key(i)))?.value, value(i, 1));
      assert.ok(store.cacheUsage().bytes <= 64 * 1024, `cache at ${store.cacheUsage().bytes} bytes after ${i + 1} reads`);
    }
    const full = store.cacheUsage();
    assert.ok(full.entries > 50 && full.entries < 200, `${full.entries} entries of ~1 KB in 64 KB`);
    // Rewrite every key, delete every tenth: cached and evicted ones alike answer the new state.
    await Promise.all(Array.from({ length: N }, (_, i) => store.txn({
      ops: [i % 10 === 0 ? { type: 'delete', key: key(i) } : { type: 'put', key: key(i), value: value(i, 2) }],
    })));
    assert.ok(store.cacheUsage().bytes <= 64 * 1024);
    for (let i = N - 1; i >= 0; i--) {
      const kv = await store.get(key(i));
      if (i % 10 === 0) assert.equal(kv, undefined, `${key(i)} was deleted`);
      else {
        assert.equal(kv?.value, value(i, 2));
        assert.equal(kv?.version, 2);
      }
    }
  } finally {
    await store.close();
  }
});

test('sqlite: a data dir with the earlier WITHOUT ROWID log is migrated at open: values, revision and watch history kept', async () => {
  const path = join(dir, 'old-log.db');
  // What a data dir written before the rowid log holds: three revisions of history.
  const { DatabaseSync } = await import('node:sqlite');
  const old = new DatabaseSync(path);
  old.exec(`PRAGMA journal_mode = WAL;
    CREATE TABLE kv (key TEXT NOT NULL UNIQUE, value TEXT NOT NULL, create_rev INTEGER NOT NULL, mod_rev INTEGER NOT NULL, version INTEGER NOT NULL);
    CREATE TABLE log (rev INTEGER NOT NULL, seq INTEGER NOT NULL, key TEXT NOT NULL, type INTEGER NOT NULL, value TEXT, create_rev INTEGER NOT NULL, version INTEGER NOT NULL, PRIMARY KEY (rev, seq)) WITHOUT ROWID;
    CREATE TABLE meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
    INSERT INTO kv VALUES ('/a', 'a2', 1, 3, 2), ('/b', 'b1', 2, 2, 1);
    INSERT INTO log VALUES (1, 0, '/a', 0, 'a1', 1, 1), (2, 0, '/b', 0, 'b1', 2, 1), (3, 0, '/a', 0, 'a2', 1, 2);
    INSERT INTO meta VALUES ('revision', 3), ('compacted', 0);`);
  old.close();
  const s = await openSqliteStore(path);
  try {
    assert.equal(await s.revision(), 3);
    assert.equal((await s.get('/a'))?.value, 'a2');
    const seen: string[] = [];
    const w = s.watch('/', 0, (e) => seen.push(`${e.revision}:${e.kv.key}=${e.kv.value}`));
    await s.txn({ ops: [{ type: 'put', key: '/c', value: 'c1' }, { type: 'put', key: '/a', value: 'a3' }] });
    w.close();
    assert.deepEqual(seen, ['1:/a=a1', '2:/b=b1', '3:/a=a2', '4:/c=c1', '4:/a=a3']);
  } finally {
    await s.close();
  }
  // Opened again: nothing left to migrate, everything still there.
  const again = await openSqliteStore(path);
  try {
    assert.equal(await again.revision(), 4);
    const seen: number[] = [];
    const w = again.watch('/', 2, (e) => seen.push(e.revision));
    await new Promise((r) => setImmediate(r));
    w.close();
    assert.deepEqual(seen, [3, 4, 4]);
  } finally {
    await again.close();
  }
});

/** Rows of the log table of a closed store's database: [rev, seq, key] in order. */
async function logRows(path: string): Promise<[number, number, string][]> {
  const { DatabaseSync } = await import('node:sqlite');
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    return (db.prepare('SELECT rev, seq, key FROM log ORDER BY rev, seq').all() as { rev: number; seq: number; key: string }[]).map((r) => [r.rev, r.seq, r.key]);
  } finally {
    db.close();
  }
}

test('sqlite: one stored copy per value: compaction keeps a current value older than the history, and drops it once superseded or deleted', async () => {
  const path = join(dir, 'one-copy.db');
  const s = await openSqliteStore(path, { historyRevisions: 10 });
  try {
    await s.txn({ ops: [{ type: 'put', key: '/keep', value: 'k1' }, { type: 'put', key: '/gone', value: 'g1' }] });
    for (let i = 0; i < 1_200; i++) await s.txn({ ops: [{ type: 'put', key: '/h', value: String(i) }] });
    // Compacted past revision 1, whose values are still current.
    assert.throws(() => s.watch('/', 1, () => {}), CompactedError);
    assert.equal((await s.get('/keep'))?.value, 'k1');
    assert.deepEqual((await s.list('/', { limit: 2 })).items.map((kv) => [kv.key, kv.value, kv.modRevision]), [['/gone', 'g1', 1], ['/h', '1199', 1201]]);
    await s.txn({ ops: [{ type: 'put', key: '/keep', value: 'k2' }, { type: 'delete', key: '/gone' }] });
    assert.deepEqual(await s.get('/keep'), { key: '/keep', value: 'k2', createRevision: 1, modRevision: 1202, version: 2 });
    assert.equal(await s.get('/gone'), undefined);
  } finally {
    await s.close();
  }
  const rows = await logRows(path);
  // History: revisions 1001-1202 (compaction runs every 1,000 past the 10 kept), nothing older.
  assert.equal(rows.filter(([rev]) => rev <= 1000).length, 0, `rows of compacted revisions left: ${JSON.stringify(rows.filter(([rev]) => rev <= 1000))}`);
  assert.equal(rows.filter(([, , key]) => key === '/keep').length, 1);
  assert.deepEqual(rows.at(-1), [1202, 1, '/gone'], 'the delete is history');
  const again = await openSqliteStore(path, { historyRevisions: 10 });
  try {
    assert.equal((await again.get('/keep'))?.value, 'k2');
    const seen: string[] = [];
    const w = again.watch('/', 1199, (e) => seen.push(`${e.revision}:${e.type}:${e.kv.key}=${e.kv.value}`));
    await new Promise((r) => setImmediate(r));
    w.close();
    assert.deepEqual(seen, ['1200:put:/h=1198', '1201:put:/h=1199', '1202:put:/keep=k2', '1202:delete:/gone=']);
  } finally {
    await again.close();
  }
});

test('sqlite: a data dir whose kv rows hold values is migrated at open: values, revisions and watch history kept, compacted values kept out of history', async () => {
  const path = join(dir, 'kv-values.db');
  const { DatabaseSync } = await import('node:sqlite');
  const old = new DatabaseSync(path);
  // The previous layout, compacted up to revision 5: /old's value (revision 2) is only in kv;
  // /twice was put, deleted and put again in revision 7; /new is in the log at revision 6.
  old.exec(`PRAGMA journal_mode = WAL;
    CREATE TABLE kv (key TEXT NOT NULL UNIQUE, value TEXT NOT NULL, create_rev INTEGER NOT NULL, mod_rev INTEGER NOT NULL, version INTEGER NOT NULL);
    CREATE TABLE log (rev INTEGER NOT NULL, seq INTEGER NOT NULL, key TEXT NOT NULL, type INTEGER NOT NULL, value TEXT, create_rev INTEGER NOT NULL, version INTEGER NOT NULL);
    CREATE UNIQUE INDEX log_rev_seq ON log (rev, seq);
    CREATE TABLE meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
    INSERT INTO kv VALUES ('/old', 'o1', 2, 2, 1), ('/new', 'n2', 3, 6, 2), ('/twice', 't2', 7, 7, 1);
    INSERT INTO log VALUES (6, 0, '/new', 0, 'n2', 3, 2), (7, 0, '/twice', 0, 't1', 7, 1), (7, 1, '/twice', 1, NULL, 0, 0), (7, 2, '/twice', 0, 't2', 7, 1);
    INSERT INTO meta VALUES ('revision', 7), ('compacted', 5);`);
  old.close();
  const s = await openSqliteStore(path);
  try {
    assert.equal(await s.revision(), 7);
    assert.deepEqual(await s.get('/old'), { key: '/old', value: 'o1', createRevision: 2, modRevision: 2, version: 1 });
    assert.deepEqual((await s.list('/')).items.map((kv) => `${kv.key}=${kv.value}@${kv.modRevision}v${kv.version}`), ['/new=n2@6v2', '/old=o1@2v1', '/twice=t2@7v1']);
    assert.throws(() => s.watch('/', 4, () => {}), CompactedError);
    const seen: string[] = [];
    const w = s.watch('/', 5, (e) => seen.push(`${e.revision}:${e.type}:${e.kv.key}=${e.kv.value}`));
    await s.txn({ ops: [{ type: 'put', key: '/old', value: 'o2' }] });
    w.close();
    assert.deepEqual(seen, ['6:put:/new=n2', '7:put:/twice=t1', '7:delete:/twice=', '7:put:/twice=t2', '8:put:/old=o2']);
    assert.deepEqual(await s.get('/old'), { key: '/old', value: 'o2', createRevision: 2, modRevision: 8, version: 2 });
  } finally {
    await s.close();
  }
  // The compacted value's row went with its overwrite; the rest is history.
  assert.deepEqual(await logRows(path), [[6, 0, '/new'], [7, 0, '/twice'], [7, 1, '/twice'], [7, 2, '/twice'], [8, 0, '/old']]);
  const again = await openSqliteStore(path);
  try {
    assert.equal((await again.get('/twice'))?.value, 't2');
    assert.equal(await again.revision(), 8);
  } finally {
    await again.close();
  }
});

test('sqlite: a writer thread that dies refuses every write not acknowledged and takes the process down with the reason', async () => {
  const path = join(dir, 'writer-death.db');
  // A process of its own: the store ends it. Every Worker it makes is kept, to kill the writer.
  const script = `
    import threads from 'node:worker_threads';
    import { syncBuiltinESMExports } from 'node:module';
    const workers = [];
    const Original = threads.Worker;
    threads.Worker = class extends Original { constructor(...a) { super(...a); workers.push(this); } };
    syncBuiltinESMExports();
    const { openSqliteStore } = await import(${JSON.stringify(new URL('./sqlite-store.ts', import.meta.url).pathname)});
    const store = await openSqliteStore(${JSON.stringify(path)}, { writerThread: true });
    await store.txn({ ops: [{ type: 'put', key: '/before', value: '1' }] });
    console.log('acknowledged /before');
    await workers[0].terminate();
    await store.txn({ ops: [{ type: 'put', key: '/after', value: '2' }] }).then(() => console.log('acknowledged /after'), (e) => console.log('refused /after: ' + e.message));
    setTimeout(() => console.log('still running'), 30_000);
  `;
  const file = join(dir, 'writer-death.mjs');
  writeFileSync(file, script);
  const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (c: Buffer) => { out += c.toString(); });
  child.stderr!.on('data', (c: Buffer) => { err += c.toString(); });
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  assert.match(out, /^acknowledged \/before\nrefused \/after: the state database's writer thread (died|exited)/);
  assert.doesNotMatch(out, /still running|acknowledged \/after/);
  assert.notEqual(code, 0, 'the process ends with an error');
  assert.match(err, /writer thread died/);
  const again = await openSqliteStore(path);
  try {
    assert.equal((await again.get('/before'))?.value, '1', 'what was acknowledged is kept');
  } finally {
    await again.close();
  }
});
