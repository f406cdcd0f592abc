import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStore, type SqliteStore } from '../../store/sqlite/sqlite-store.ts';
import type { Store } from '../../store/store.ts';
import { schemasDouble } from '../../../test/support/kube-schemas-double.ts';
import { AnswerCache, joinAnswer, MAX_ANSWER_BYTES, MAX_ANSWERS } from './answer-cache.ts';
import { KindRegistry } from './kinds.ts';
import { GenericStorage } from './generic-storage.ts';
import { handleRest } from './rest.ts';
import { listPrefix, objectKey } from './keys.ts';
import { withResourceVersion } from './stored-object.ts';
import { StatusError } from './status.ts';
import type { ResourceRoute } from './route.ts';

const registry = new KindRegistry();
const ns = registry.byResource('', 'v1', 'namespaces')!;
const cms = registry.byResource('', 'v1', 'configmaps')!;
const W = { dryRun: false, fieldManager: 'test' };
const UID = 'cluster-answers';
const ALL = { labels: [], fields: [], limit: 0, continueToken: undefined };

let dir: string;
let store: SqliteStore;
let uids = 0;

const storageOver = (s: Store): GenericStorage =>
  new GenericStorage({ store: s, clusterUid: UID, schemas: schemasDouble(), namespaces: ns, now: () => Date.parse('2026-12-07T12:00:00Z'), newUid: () => `uid-${++uids}`, rng: () => 0 });

/** What a GET answered before the answer cache: the stored string with its version spliced in. */
async function slowGet(name: string): Promise<Buffer> {
  const kv = (await store.get(objectKey(UID, cms, 'default', name)))!;
  return Buffer.from(withResourceVersion(kv.value, kv.modRevision));
}

/** What a LIST answered before the answer cache: every stored string spliced, joined as one string. */
async function slowList(limit = 0): Promise<{ body: Buffer; revision: number }> {
  const page = await store.list(listPrefix(UID, cms, 'default'));
  const items = page.items.filter((kv) => !kv.key.endsWith('/~deleted')).slice(0, limit || undefined);
  return { body: Buffer.from(items.map((kv) => withResourceVersion(kv.value, kv.modRevision)).join(',')), revision: page.revision };
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'berth-kube-answers-'));
  store = await openSqliteStore(join(dir, 'state.db'));
  const storage = storageOver(store);
  await storage.create(ns, undefined, { metadata: { name: 'default' } }, W);
  for (let i = 0; i < 12; i++) {
    await storage.create(cms, 'default', { metadata: { name: `cm-${String(i).padStart(2, '0')}`, labels: { app: 'x' } }, data: { k: `v${i}`, text: 'naïve — 日本' } }, W);
  }
  // A tombstone in the list's range: never answered.
  await storage.delete(cms, 'default', 'cm-11', { dryRun: false, propagationPolicy: undefined, preconditions: undefined });
});
after(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('answer cache', () => {
  it('a GET answers the bytes the uncached path answered, from the store and then from the cache, and follows a write', async () => {
    const storage = storageOver(store);
    const first = await storage.getRaw(cms, 'default', 'cm-01');
    const second = await storage.getRaw(cms, 'default', 'cm-01');
    assert.deepEqual(first, await slowGet('cm-01'));
    assert.equal(second, first, 'the second GET is the cached answer itself');
    assert.deepEqual(JSON.parse(first.toString('utf8')), await storage.get(cms, 'default', 'cm-01'));
    await storage.update(cms, 'default', 'cm-01', (cur) => ({ ...cur!, data: { k: 'changed' } }), W);
    const third = await storage.getRaw(cms, 'default', 'cm-01');
    assert.deepEqual(third, await slowGet('cm-01'));
    assert.equal(JSON.parse(third.toString('utf8')).data.k, 'changed');
    await assert.rejects(storage.getRaw(cms, 'default', 'cm-11'), (e: unknown) => e instanceof StatusError && e.code === 404);
  });

  it('a LIST answers the bytes the uncached path answered, whole and in pages, cold and warm', async () => {
    const storage = storageOver(store);
    const route: ResourceRoute = { kind: cms, namespace: 'default', name: undefined, subresource: undefined };
    const list = async (query: string) => handleRest({ storage, schemas: schemasDouble(), now: () => 0 }, { method: 'GET', route, query: new URLSearchParams(query), contentType: undefined, body: '', userAgent: undefined, plain: true });
    for (const round of ['cold', 'warm']) {
      const { body: items, revision } = await slowList();
      const expected = `{"kind":"ConfigMapList","apiVersion":"v1","metadata":{"resourceVersion":"${revision}"},"items":[${items.toString('utf8')}]}`;
      const answer = (await list('')).raw;
      assert.ok(Buffer.isBuffer(answer), round);
      assert.equal(answer.toString('utf8'), expected, round);
      // The parsed objects are those of the path that parses (Tables, selectors).
      const slow = await storage.list(cms, 'default', ALL);
      assert.deepEqual(JSON.parse(answer.toString('utf8')).items, slow.items, round);
    }
    const page = JSON.parse((await list('limit=5')).raw!.toString('utf8')) as { items: unknown[]; metadata: { continue?: string } };
    assert.equal(page.items.length, 5);
    assert.deepEqual(page.items, JSON.parse(`[${(await slowList(5)).body.toString('utf8')}]`));
    const rest = JSON.parse((await list(`continue=${page.metadata.continue}`)).raw!.toString('utf8')) as { items: { metadata: { name: string } }[] };
    assert.deepEqual(rest.items.map((o) => o.metadata.name), ['cm-05', 'cm-06', 'cm-07', 'cm-08', 'cm-09', 'cm-10']);
  });

  it('a whole LIST at an unchanged store revision is the page kept, answered with the same bytes; any write makes it read again', async () => {
    const storage = storageOver(store);
    const route: ResourceRoute = { kind: cms, namespace: 'default', name: undefined, subresource: undefined };
    const list = async () => (await handleRest({ storage, schemas: schemasDouble(), now: () => 0 }, { method: 'GET', route, query: new URLSearchParams(), contentType: undefined, body: '', userAgent: undefined, plain: true })).raw as Buffer;
    const expected = async () => {
      const { body, revision } = await slowList();
      return `{"kind":"ConfigMapList","apiVersion":"v1","metadata":{"resourceVersion":"${revision}"},"items":[${body.toString('utf8')}]}`;
    };
    const first = await list();
    assert.equal(first.toString('utf8'), await expected());
    assert.equal(await list(), first, 'the same answer, not read again');
    assert.equal(await storage.listRaw(cms, 'default', ALL), await storage.listRaw(cms, 'default', ALL), 'the same page kept');
    // A write outside the list moves the revision: the same items, the new resourceVersion.
    await store.txn({ ops: [{ type: 'put', key: '/elsewhere', value: 'x' }] });
    const second = await list();
    assert.notEqual(second, first);
    assert.equal(second.toString('utf8'), await expected());
    // A write inside it: the new object.
    await storage.update(cms, 'default', 'cm-04', (cur) => ({ ...cur!, data: { k: 'now' } }), W);
    const third = await list();
    assert.equal(third.toString('utf8'), await expected());
    assert.match(third.toString('utf8'), /"k":"now"/);
  });

  it('a LIST whose object changes between the keys-only read and the value read answers the page read whole, of one revision', async () => {
    let writeOnce = true;
    // The store as the storage sees it: the first value read of the list is preceded by a write of that key.
    const racing: Store = {
      modRevision: (key) => store.modRevision(key), list: (prefix, o) => store.list(prefix, o), txn: (t) => store.txn(t),
      watch: (prefix, rev, listener) => store.watch(prefix, rev, listener), revision: () => store.revision(), close: async () => undefined,
      get: async (key) => {
        if (writeOnce && key.endsWith('/cm-03')) {
          writeOnce = false;
          const kv = (await store.get(key))!;
          const o = JSON.parse(kv.value) as { data: Record<string, string> };
          o.data.k = 'raced';
          await store.txn({ ops: [{ type: 'put', key, value: JSON.stringify(o) }] });
        }
        return store.get(key);
      },
    };
    const storage = storageOver(racing);
    const page = await storage.listRaw(cms, 'default', ALL);
    assert.equal(writeOnce, false, 'the race happened');
    const { body, revision } = await slowList();
    assert.equal(page.resourceVersion, String(revision));
    assert.equal(joinAnswer('', page.items, '').toString('utf8'), body.toString('utf8'));
    assert.match(body.toString('utf8'), /"k":"raced"/);
  });

  it('stays within its bounds of bytes and entries', () => {
    const cache = new AnswerCache();
    const big = 'x'.repeat(1024 * 1024);
    for (let i = 0; i < 40; i++) cache.set(`/big/${i}`, 1, big);
    assert.ok(cache.bytes <= MAX_ANSWER_BYTES, `${cache.bytes} bytes`);
    assert.ok(cache.size < 40);
    assert.equal(cache.get('/big/39', 1)?.length, big.length, 'the newest is kept');
    assert.equal(cache.get('/big/39', 2), undefined, 'another revision is a miss');
    for (let i = 0; i < MAX_ANSWERS + 10; i++) cache.set(`/small/${i}`, 1, '{}');
    assert.equal(cache.size, MAX_ANSWERS);
  });

  it('joins text and bytes, multi-byte characters included, as the text joined', () => {
    const items = ['{"a":"é"}', Buffer.from('{"b":"日本"}'), '{}'];
    assert.equal(joinAnswer('[', items, ']').toString('utf8'), '[{"a":"é"},{"b":"日本"},{}]');
    assert.equal(joinAnswer('{"items":[', [], ']}').toString('utf8'), '{"items":[]}');
  });
});
