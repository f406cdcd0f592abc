import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStore, type SqliteStore } from '../../store/sqlite/sqlite-store.ts';
import { schemasDouble } from '../../../test/support/kube-schemas-double.ts';
import { KindRegistry } from './kinds.ts';
import { GenericStorage } from './generic-storage.ts';
import { BOOKMARK_INTERVAL_MS, startWatch } from './watch.ts';
import type { OutEvent } from './storage-backend.ts';
import type { Obj } from './kind-rules.ts';
import { StatusError } from './status.ts';

const registry = new KindRegistry();
const ns = registry.byResource('', 'v1', 'namespaces')!;
const cms = registry.byResource('', 'v1', 'configmaps')!;
const secrets = registry.byResource('', 'v1', 'secrets')!;
const leases = registry.byResource('coordination.k8s.io', 'v1', 'leases')!;
/** A kind that carries generation (deployments, next): the lease row with it on. */
const generational = { ...leases, generation: true };
const W = { dryRun: false, fieldManager: 'test' };
const UID = 'cluster-1';

let dir: string;
let store: SqliteStore;
let storage: GenericStorage;
let uids = 0;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'berth-kube-storage-'));
  store = await openSqliteStore(join(dir, 'state.db'));
  storage = new GenericStorage({ store, clusterUid: UID, schemas: schemasDouble(), namespaces: ns, now: () => Date.parse('2026-12-07T12:00:00Z'), newUid: () => `uid-${++uids}`, rng: () => 0 });
  await storage.create(ns, undefined, { metadata: { name: 'default' } }, W);
});
after(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const rejects = async (p: Promise<unknown>, code: number, message: RegExp): Promise<void> => {
  await assert.rejects(p, (e: unknown) => e instanceof StatusError && e.code === code && message.test(e.message));
};

describe('generic storage', () => {
  it('sets uid, creationTimestamp and resourceVersion from the store, and refuses a second create', async () => {
    const o = await storage.create(cms, 'default', { metadata: { name: 'a' }, data: { k: 'v' } }, W);
    assert.equal(o.metadata.uid?.startsWith('uid-'), true);
    assert.equal(o.metadata.creationTimestamp, '2026-12-07T12:00:00Z');
    assert.equal(o.metadata.resourceVersion, String(await store.modRevision(`/berth/kube/${UID}/r/core/configmaps/default/a`)));
    await rejects(storage.create(cms, 'default', { metadata: { name: 'a' } }, W), 409, /^configmaps "a" already exists$/);
    await rejects(storage.create(cms, 'nowhere', { metadata: { name: 'a' } }, W), 404, /^namespaces "nowhere" not found$/);
  });

  it('refuses an owner reference without a uid, with the server message', async () => {
    await rejects(storage.create(cms, 'default', { metadata: { name: 'o', ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'x', uid: '' }] } }, W), 422,
      /^ConfigMap "o" is invalid: metadata\.ownerReferences\.uid: Invalid value: "": uid must not be empty$/);
  });

  it('generateName draws a suffix; a missing name is 422', async () => {
    const o = await storage.create(cms, 'default', { metadata: { generateName: 'gen-' } }, W);
    assert.equal(o.metadata.name, 'gen-bbbbb');
    await rejects(storage.create(cms, 'default', { metadata: {} }, W), 422, /metadata\.name: Required value: name or generateName is required/);
  });

  it('bumps generation on spec changes only (for kinds that carry it), and refuses a stale resourceVersion', async () => {
    assert.equal((await storage.create(leases, 'default', { metadata: { name: 'plain' }, spec: {} }, W)).metadata.generation, undefined);
    const l = await storage.create(generational, 'default', { metadata: { name: 'l' }, spec: { holderIdentity: 'a' } }, W);
    assert.equal(l.metadata.generation, 1);
    const labelled = await storage.update(generational, 'default', 'l', (cur) => ({ ...cur!, metadata: { ...cur!.metadata, labels: { x: 'y' } } }), W);
    assert.equal(labelled.object.metadata.generation, 1);
    const moved = await storage.update(generational, 'default', 'l', (cur) => ({ ...cur!, spec: { holderIdentity: 'b' } }), W);
    assert.equal(moved.object.metadata.generation, 2);
    await rejects(storage.update(generational, 'default', 'l', (cur) => ({ ...cur!, metadata: { ...cur!.metadata, resourceVersion: l.metadata.resourceVersion } }), W), 409,
      /^Operation cannot be fulfilled on leases\.coordination\.k8s\.io "l": the object has been modified; please apply your changes to the latest version and try again$/);
  });

  it('an update without resourceVersion is unconditional; one naming another uid is a Conflict', async () => {
    const r = await storage.update(cms, 'default', 'a', (cur) => ({ ...cur!, metadata: { name: 'a' }, data: { k: 'unconditional' } }), W);
    assert.equal(r.object.data && (r.object.data as Record<string, string>).k, 'unconditional');
    await rejects(storage.update(cms, 'default', 'a', (cur) => ({ ...cur!, metadata: { ...cur!.metadata, uid: 'other' } }), W), 409,
      /^Operation cannot be fulfilled on configmaps "a": Precondition failed: UID in precondition: other, UID in object meta: uid-\d+$/);
  });

  it('an update that changes nothing writes nothing', async () => {
    const before = await storage.get(cms, 'default', 'a');
    const r = await storage.update(cms, 'default', 'a', (cur) => cur, W);
    assert.equal(r.object.metadata.resourceVersion, before.metadata.resourceVersion);
  });

  it('folds stringData into base64 data, defaults the type, and keeps immutable data immutable', async () => {
    const s = await storage.create(secrets, 'default', { metadata: { name: 's' }, stringData: { p: 'hi' }, immutable: true } as Obj, W);
    assert.deepEqual([s.data, s.type, s.stringData], [{ p: 'aGk=' }, 'Opaque', undefined]);
    await rejects(storage.update(secrets, 'default', 's', (cur) => ({ ...cur!, data: { p: 'eA==' } }), W), 422, /^Secret "s" is invalid: data: Forbidden: field is immutable when `immutable` is set$/);
  });

  it('holds an object with finalizers until the last goes, and dry-run stores nothing', async () => {
    await storage.create(cms, 'default', { metadata: { name: 'f', finalizers: ['example.com/x'] } }, W);
    assert.deepEqual((await storage.delete(cms, 'default', 'f', { dryRun: true, propagationPolicy: undefined, preconditions: undefined })).gone, false);
    assert.equal((await storage.get(cms, 'default', 'f')).metadata.deletionTimestamp, undefined);
    const held = await storage.delete(cms, 'default', 'f', { dryRun: false, propagationPolicy: undefined, preconditions: undefined });
    assert.equal(held.gone, false);
    assert.equal(held.object.metadata.deletionTimestamp, '2026-12-07T12:00:00Z');
    await rejects(storage.update(cms, 'default', 'f', (cur) => ({ ...cur!, metadata: { ...cur!.metadata, finalizers: ['example.com/x', 'example.com/y'] } }), W), 422,
      /^ConfigMap "f" is invalid: metadata\.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers \[\]string\{"example\.com\/y"\}$/);
    await storage.update(cms, 'default', 'f', (cur) => ({ ...cur!, metadata: { ...cur!.metadata, finalizers: [] } }), W);
    await rejects(storage.get(cms, 'default', 'f'), 404, /^configmaps "f" not found$/);
  });

  it('a watch sees ADDED, MODIFIED and DELETED with the last state, and selectors filter', async () => {
    const from = await store.revision();
    const events: OutEvent[] = [];
    const stop = await startWatch({ store, clusterUid: UID, storage }, {
      kind: cms, namespace: 'default', labels: [], fields: [], resourceVersion: String(from), sendInitialEvents: false, allowBookmarks: false,
    }, (e) => events.push(e));
    await storage.create(cms, 'default', { metadata: { name: 'w' }, data: { v: '1' } }, W);
    await storage.update(cms, 'default', 'w', (cur) => ({ ...cur!, data: { v: '2' } }), W);
    await storage.delete(cms, 'default', 'w', { dryRun: false, propagationPolicy: undefined, preconditions: undefined });
    for (let i = 0; i < 50 && events.length < 3; i++) await new Promise((r) => setTimeout(r, 20));
    stop();
    assert.deepEqual(events.map((e) => [e.type, (e.object as Obj).data]), [['ADDED', { v: '1' }], ['MODIFIED', { v: '2' }], ['DELETED', { v: '2' }]]);
    assert.ok(Number(events[2]!.object.metadata.resourceVersion) > Number(events[1]!.object.metadata.resourceVersion));
  });

  it('a watch with a selector sees an object entering it as ADDED and leaving it as DELETED', async () => {
    await storage.create(cms, 'default', { metadata: { name: 'sel', labels: { role: 'a' } } }, W);
    const events: OutEvent[] = [];
    const stop = await startWatch({ store, clusterUid: UID, storage }, {
      kind: cms, namespace: 'default', labels: [{ op: 'in', key: 'role', values: ['b'] }], fields: [], resourceVersion: String(await store.revision()), sendInitialEvents: false, allowBookmarks: false,
    }, (e) => events.push(e));
    const relabel = (role: string) => storage.update(cms, 'default', 'sel', (cur) => ({ ...cur!, metadata: { ...cur!.metadata, labels: { role } } }), W);
    await relabel('b');
    await storage.update(cms, 'default', 'sel', (cur) => ({ ...cur!, data: { x: '1' } }), W);
    await relabel('c');
    await relabel('d');
    for (let i = 0; i < 50 && events.length < 3; i++) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 50));
    stop();
    assert.deepEqual(events.map((e) => [e.type, e.object.metadata.labels?.role]), [['ADDED', 'b'], ['MODIFIED', 'b'], ['DELETED', 'c']]);
  });

  it('an idle watch that allows bookmarks gets one every BOOKMARK_INTERVAL_MS, at the last revision it saw', async (t) => {
    t.mock.timers.enable({ apis: ['setInterval'] });
    const from = await store.revision();
    const events: OutEvent[] = [];
    const stop = await startWatch({ store, clusterUid: UID, storage }, {
      kind: cms, namespace: 'default', labels: [], fields: [], resourceVersion: String(from), sendInitialEvents: false, allowBookmarks: true,
    }, (e) => events.push(e));
    t.mock.timers.tick(BOOKMARK_INTERVAL_MS);
    stop();
    assert.deepEqual(events.map((e) => [e.type, e.object.kind, e.object.metadata.resourceVersion]), [['BOOKMARK', 'ConfigMap', String(from)]]);
  });

  it('pages a list with continue tokens that name the list\'s revision', async () => {
    for (const n of ['p1', 'p2', 'p3']) await storage.create(cms, 'default', { metadata: { name: n, labels: { page: 'yes' } } }, W);
    const labels = [{ op: 'exists' as const, key: 'page' }];
    const first = await storage.list(cms, 'default', { labels, fields: [], limit: 2, continueToken: undefined });
    assert.deepEqual(first.items.map((o) => o.metadata.name), ['p1', 'p2']);
    const second = await storage.list(cms, 'default', { labels, fields: [], limit: 2, continueToken: first.continueToken });
    assert.deepEqual([second.items.map((o) => o.metadata.name), second.resourceVersion, second.continueToken], [['p3'], first.resourceVersion, undefined]);
  });
});
