import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CompactedError, type ListOptions, type Store, type WatchEvent } from './store.ts';

/**
 * The behaviour every Store backend must have. Each backend's test file calls this with
 * a factory that opens a fresh, empty store; the suite closes what it opens.
 */
export function storeConformance(backend: string, open: () => Promise<Store>): void {
  const withStore = (name: string, fn: (s: Store) => Promise<void>) =>
    test(`${backend}: ${name}`, async () => {
      const s = await open();
      try { await fn(s); } finally { await s.close(); }
    });

  withStore('a new store is empty at revision 0', async (s) => {
    assert.equal(await s.revision(), 0);
    assert.equal(await s.get('/a'), undefined);
    assert.deepEqual((await s.list('')).items, []);
  });

  withStore('put then get returns the value with its revisions', async (s) => {
    const r1 = await s.txn({ ops: [{ type: 'put', key: '/a', value: 'one' }] });
    assert.deepEqual(r1, { ok: true, revision: 1 });
    const r2 = await s.txn({ ops: [{ type: 'put', key: '/a', value: 'two' }] });
    assert.equal(r2.revision, 2);
    assert.deepEqual(await s.get('/a'), { key: '/a', value: 'two', createRevision: 1, modRevision: 2, version: 2 });
  });

  withStore('modRevision follows every write of a key, and its deletion', async (s) => {
    assert.equal(await s.modRevision('/a'), undefined);
    await s.txn({ ops: [{ type: 'put', key: '/a', value: 'one' }] });
    assert.equal(await s.modRevision('/a'), 1);
    await s.get('/a');
    await s.txn({ ops: [{ type: 'put', key: '/b', value: 'x' }] });
    await s.txn({ ops: [{ type: 'put', key: '/a', value: 'two' }] });
    assert.equal(await s.modRevision('/a'), 3);
    assert.equal(await s.modRevision('/a'), (await s.get('/a'))?.modRevision);
    await s.txn({ ops: [{ type: 'delete', key: '/a' }] });
    assert.equal(await s.modRevision('/a'), undefined);
  });

  withStore('one transaction is one revision, however many keys it writes', async (s) => {
    const r = await s.txn({ ops: [{ type: 'put', key: '/x', value: '1' }, { type: 'put', key: '/y', value: '2' }] });
    assert.equal(r.revision, 1);
    assert.equal((await s.get('/x'))?.modRevision, 1);
    assert.equal((await s.get('/y'))?.modRevision, 1);
    assert.equal(await s.revision(), 1);
  });

  withStore('compare-and-set: modRevision 0 means create only', async (s) => {
    assert.equal((await s.txn({ if: [{ key: '/k', modRevision: 0 }], ops: [{ type: 'put', key: '/k', value: 'a' }] })).ok, true);
    const again = await s.txn({ if: [{ key: '/k', modRevision: 0 }], ops: [{ type: 'put', key: '/k', value: 'b' }] });
    assert.deepEqual(again, { ok: false, revision: 1, failed: ['/k'] });
    assert.equal((await s.get('/k'))?.value, 'a');
  });

  withStore('compare-and-set on a stale revision changes nothing, atomically', async (s) => {
    await s.txn({ ops: [{ type: 'put', key: '/a', value: '1' }, { type: 'put', key: '/b', value: '1' }] });
    await s.txn({ ops: [{ type: 'put', key: '/b', value: '2' }] });
    const r = await s.txn({ if: [{ key: '/a', modRevision: 1 }, { key: '/b', modRevision: 1 }], ops: [{ type: 'put', key: '/a', value: 'X' }, { type: 'put', key: '/c', value: 'X' }] });
    assert.equal(r.ok, false);
    assert.equal((await s.get('/a'))?.value, '1');
    assert.equal(await s.get('/c'), undefined);
    assert.equal(await s.revision(), 2);
  });

  withStore('concurrent compare-and-set on one key: exactly one wins', async (s) => {
    await s.txn({ ops: [{ type: 'put', key: '/n', value: '0' }] });
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) =>
      s.txn({ if: [{ key: '/n', modRevision: 1 }], ops: [{ type: 'put', key: '/n', value: String(i + 1) }] })));
    assert.equal(results.filter((r) => r.ok).length, 1);
  });

  withStore('concurrent writes get distinct, consecutive revisions', async (s) => {
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => s.txn({ ops: [{ type: 'put', key: `/k/${i}`, value: 'v' }] })));
    assert.deepEqual(results.map((r) => r.revision).sort((a, b) => a - b), Array.from({ length: 50 }, (_, i) => i + 1));
  });

  withStore('delete and deletePrefix remove keys; deleting nothing still commits', async (s) => {
    await s.txn({ ops: ['/p/1', '/p/2', '/p/3', '/q/1'].map((key) => ({ type: 'put', key, value: 'v' }) as const) });
    await s.txn({ ops: [{ type: 'delete', key: '/p/1' }] });
    assert.equal(await s.get('/p/1'), undefined);
    await s.txn({ ops: [{ type: 'deletePrefix', prefix: '/p/' }] });
    assert.deepEqual((await s.list('')).items.map((i) => i.key), ['/q/1']);
    const r = await s.txn({ ops: [{ type: 'delete', key: '/none' }] });
    assert.equal(r.ok, true);
  });

  withStore('a key recreated after deletion starts a new life', async (s) => {
    await s.txn({ ops: [{ type: 'put', key: '/a', value: '1' }] });
    await s.txn({ ops: [{ type: 'delete', key: '/a' }] });
    await s.txn({ ops: [{ type: 'put', key: '/a', value: '2' }] });
    assert.deepEqual(await s.get('/a'), { key: '/a', value: '2', createRevision: 3, modRevision: 3, version: 1 });
  });

  withStore('list is by prefix, in key order, paged with after, and can run in reverse', async (s) => {
    const keys = ['/t/a', '/t/b', '/t/c', '/t/d', '/t/e', '/u/a', '/t'];
    await s.txn({ ops: keys.map((key) => ({ type: 'put', key, value: key }) as const) });
    const p1 = await s.list('/t/', { limit: 2 });
    assert.deepEqual(p1.items.map((i) => i.key), ['/t/a', '/t/b']);
    assert.equal(p1.more, true);
    const p2 = await s.list('/t/', { limit: 2, after: '/t/b' });
    assert.deepEqual(p2.items.map((i) => i.key), ['/t/c', '/t/d']);
    const p3 = await s.list('/t/', { limit: 2, after: '/t/d' });
    assert.deepEqual(p3.items.map((i) => i.key), ['/t/e']);
    assert.equal(p3.more, false);
    const rev = await s.list('/t/', { reverse: true, limit: 3 });
    assert.deepEqual(rev.items.map((i) => i.key), ['/t/e', '/t/d', '/t/c']);
    const rev2 = await s.list('/t/', { reverse: true, after: '/t/c' });
    assert.deepEqual(rev2.items.map((i) => i.key), ['/t/b', '/t/a']);
    assert.equal(rev.revision, 1);
  });

  withStore('paging walks a range whole, either way, with keys beside it and cursors outside it', async (s) => {
    const inside = Array.from({ length: 250 }, (_, i) => `/m/${String(i).padStart(3, '0')}`);
    const beside = ['/l/x', '/m', '/n/a', '/m0'];
    await s.txn({ ops: [...inside, ...beside].map((key) => ({ type: 'put', key, value: '' }) as const) });
    const walk = async (reverse: boolean, limit: number) => {
      const seen: string[] = [];
      let after: string | undefined;
      for (;;) {
        const page = await s.list('/m/', { limit, reverse, ...(after !== undefined && { after }) });
        seen.push(...page.items.map((i) => i.key));
        if (!page.more) return seen;
        after = page.items.at(-1)!.key;
      }
    };
    assert.deepEqual(await walk(false, 7), inside);
    assert.deepEqual(await walk(true, 7), [...inside].reverse());
    assert.deepEqual(await walk(false, 250), inside);
    // A cursor below the range starts it from the beginning; above it, a forward page is empty.
    assert.deepEqual((await s.list('/m/', { after: '/l/x', limit: 2 })).items.map((i) => i.key), ['/m/000', '/m/001']);
    assert.deepEqual((await s.list('/m/', { after: '/n/a' })).items, []);
    // In reverse: a cursor above the range starts from its end; at or below it, nothing.
    assert.deepEqual((await s.list('/m/', { reverse: true, after: '/n/a', limit: 2 })).items.map((i) => i.key), ['/m/249', '/m/248']);
    assert.deepEqual((await s.list('/m/', { reverse: true, after: '/m/' })).items, []);
    assert.deepEqual((await s.list('/m/', { reverse: true, after: '/l/x' })).items, []);
    // With no prefix, everything, cursors and all.
    assert.deepEqual((await s.list('', { after: '/m/249', limit: 2 })).items.map((i) => i.key), ['/m0', '/n/a']);
    assert.deepEqual((await s.list('', { reverse: true, after: '/m/000', limit: 2 })).items.map((i) => i.key), ['/m', '/l/x']);
  });

  withStore('a keys-only list is the same page with every value empty, in every direction and with every cursor', async (s) => {
    const keys = ['/k/a', '/k/b', '/k/c', '/k/d', '/j/x', '/l/y', '/k'];
    await s.txn({ ops: keys.map((key) => ({ type: 'put', key, value: `value of ${key}` }) as const) });
    await s.txn({ ops: [{ type: 'put', key: '/k/b', value: 'rewritten' }, { type: 'delete', key: '/k/c' }] });
    const shapes: ListOptions[] = [
      {}, { limit: 2 }, { limit: 2, after: '/k/a' }, { after: '/j/z' }, { after: '/m' }, { reverse: true }, { reverse: true, limit: 1 },
      { reverse: true, after: '/k/d' }, { reverse: true, after: '/m', limit: 2 },
    ];
    for (const prefix of ['/k/', '']) {
      for (const shape of shapes) {
        const full = await s.list(prefix, shape);
        const keysOnly = await s.list(prefix, { ...shape, keysOnly: true });
        const what = `${prefix} ${JSON.stringify(shape)}`;
        assert.deepEqual(keysOnly.items, full.items.map((kv) => ({ ...kv, value: '' })), what);
        assert.equal(keysOnly.more, full.more, what);
        assert.equal(keysOnly.revision, full.revision, what);
      }
    }
  });

  withStore('a limit exactly reaching the end says there is no more', async (s) => {
    await s.txn({ ops: [{ type: 'put', key: '/a/1', value: '' }, { type: 'put', key: '/a/2', value: '' }] });
    const page = await s.list('/a/', { limit: 2 });
    assert.equal(page.items.length, 2);
    assert.equal(page.more, false);
  });

  withStore('watch delivers history after a revision, then live changes, in order', async (s) => {
    await s.txn({ ops: [{ type: 'put', key: '/w/1', value: 'a' }] });
    await s.txn({ ops: [{ type: 'put', key: '/other', value: 'x' }] });
    await s.txn({ ops: [{ type: 'put', key: '/w/2', value: 'b' }] });
    const seen: WatchEvent[] = [];
    const w = s.watch('/w/', 1, (e) => seen.push(e));
    await s.txn({ ops: [{ type: 'delete', key: '/w/1' }] });
    await s.txn({ ops: [{ type: 'put', key: '/w/3', value: 'c' }] });
    await waitFor(() => seen.length >= 3);
    w.close();
    assert.deepEqual(seen.map((e) => [e.type, e.kv.key, e.revision]), [['put', '/w/2', 3], ['delete', '/w/1', 4], ['put', '/w/3', 5]]);
    await s.txn({ ops: [{ type: 'put', key: '/w/4', value: 'd' }] });
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(seen.length, 3, 'a closed watch hears nothing more');
  });

  withStore('a watch from the current revision sees every later write exactly once', async (s) => {
    const start = await s.revision();
    const seen: number[] = [];
    const w = s.watch('', start, (e) => seen.push(e.revision));
    await Promise.all(Array.from({ length: 100 }, (_, i) => s.txn({ ops: [{ type: 'put', key: `/c/${i}`, value: '' }] })));
    await waitFor(() => seen.length >= 100);
    w.close();
    assert.deepEqual(seen, Array.from({ length: 100 }, (_, i) => start + i + 1));
  });
}

/** Backends that compact history must refuse watches from before the compaction point. */
export function storeCompactionConformance(backend: string, open: (historyRevisions: number) => Promise<Store>): void {
  test(`${backend}: a watch from compacted history fails with CompactedError`, async () => {
    const s = await open(10);
    try {
      for (let i = 0; i < 2500; i++) await s.txn({ ops: [{ type: 'put', key: '/h', value: String(i) }] });
      assert.throws(() => s.watch('/h', 1, () => {}), CompactedError);
      const seen: number[] = [];
      const w = s.watch('/h', 2495, (e) => seen.push(e.revision));
      await waitFor(() => seen.length >= 5);
      w.close();
      assert.deepEqual(seen, [2496, 2497, 2498, 2499, 2500]);
    } finally {
      await s.close();
    }
  });
}

async function waitFor(cond: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 2));
  }
}
