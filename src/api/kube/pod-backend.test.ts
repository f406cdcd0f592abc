import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStore, type SqliteStore } from '../../store/sqlite/sqlite-store.ts';
import { keys } from '../../core/ecs/keys.ts';
import { podNameKey, POD_ECS_CLUSTER } from '../../core/kube/pod/hosting.ts';
import { taskIdOfUid } from '../../core/kube/pod/to-spec.ts';
import { parseFieldSelector, parseLabelSelector } from '../../core/kube/selectors.ts';
import { changeTaskHalves, listTasks, readTask } from '../../core/workload/task-store.ts';
import { schemasDouble } from '../../../test/support/kube-schemas-double.ts';
import { KindRegistry } from './kinds.ts';
import type { Obj } from './kind-rules.ts';
import { objectKey } from './keys.ts';
import { PodBackend, podNodeOf, removeClusterPods } from './pod-backend.ts';
import { instanceRecords } from '../../cluster/instance-records.ts';
import { StatusError } from './status.ts';
import type { OutEvent } from './storage-backend.ts';

const registry = new KindRegistry();
const pods = registry.byResource('', 'v1', 'pods')!;
const scope = { account: '000000000000', region: 'us-east-1' };
const cluster = { ...scope, name: 'demo', uid: 'c1c1c1c1-0000-4000-8000-000000000001', version: '1.32' };
const W = { dryRun: false, fieldManager: 'kubectl' };
const ALL = { labels: [], fields: [], limit: 0, continueToken: undefined };
const NO_DELETE_OPTIONS = { dryRun: false, propagationPolicy: undefined, preconditions: undefined };

let dir: string;
let store: SqliteStore;
let backend: PodBackend;
let uids = 0;
const now = Date.parse('2026-12-07T12:00:00Z');

const pod = (name: string, labels: Record<string, string> = {}): Obj => ({
  apiVersion: 'v1', kind: 'Pod', metadata: { name, labels }, spec: { containers: [{ name: 'app', image: 'busybox', command: ['sleep', '1000'] }] },
});
const rejects = (p: Promise<unknown>, code: number, message: RegExp) => assert.rejects(p, (e: unknown) => e instanceof StatusError && e.code === code && message.test(e.message));
const putObject = (plural: string, namespace: string | undefined, o: Obj) =>
  store.txn({ ops: [{ type: 'put', key: objectKey(cluster.uid, registry.byResource('', 'v1', plural)!, namespace, o.metadata.name!), value: JSON.stringify(o) }] });
const taskOf = async (o: Obj) => (await readTask(store, { scope, cluster: POD_ECS_CLUSTER, id: taskIdOfUid(o.metadata.uid!) }))!;
const tasks = async () => (await listTasks(store, scope, POD_ECS_CLUSTER)).items;
/** Plays the placer and the agent: a write of the task's halves. */
const write = (o: Obj, change: Parameters<typeof changeTaskHalves>[2]) => changeTaskHalves(store, keys.task(scope, POD_ECS_CLUSTER, taskIdOfUid(o.metadata.uid!)), change);
const place = (o: Obj) => write(o, (spec) => ({ spec: { ...spec, placement: { instanceArn: 'arn:aws:ecs:us-east-1:000000000000:container-instance/default/i1' } } }));
const report = (o: Obj, lastStatus: 'RUNNING' | 'STOPPED') => write(o, (_spec, status) => ({
  status: { ...status, lastStatus, changes: status.changes + 1, startedAt: 1_800_000_000, containers: status.containers.map((c) => ({ ...c, lastStatus, ...(lastStatus === 'STOPPED' && { exitCode: 0 }) })) },
}));

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'berth-pod-backend-'));
  store = await openSqliteStore(join(dir, 'state.db'));
  backend = new PodBackend({
    store, cluster, schemas: schemasDouble(), now: () => now, newUid: () => `${String(++uids).padStart(8, '0')}-0000-4000-8000-000000000000`, rng: () => 0.5,
    nodeOf: podNodeOf(instanceRecords(store)),
  });
  await putObject('namespaces', undefined, { metadata: { name: 'default' } });
  await putObject('serviceaccounts', 'default', { metadata: { name: 'default', namespace: 'default' } });
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('pods backend: create', () => {
  it('stores the pod as a task of ECS cluster default waiting unplaced, and shows it Pending with no node', async () => {
    const created = await backend.create(pods, 'default', pod('web', { app: 'web' }), W);
    assert.equal(created.metadata.namespace, 'default');
    assert.match(created.metadata.uid!, /^[0-9a-f]{8}-/);
    assert.equal((created.status as { phase: string }).phase, 'Pending');
    assert.equal((created.spec as { nodeName?: string }).nodeName, undefined);
    const t = await taskOf(created);
    assert.equal(t.record.lastStatus, 'PROVISIONING');
    assert.equal(t.record.desiredStatus, 'RUNNING');
    assert.equal(t.record.containerInstanceArn, undefined);
    assert.equal(t.record.group, 'pod:default/web');
    assert.equal(t.spec?.kube?.clusterUid, cluster.uid);
    assert.equal(created.metadata.resourceVersion, String(t.specRevision));
    assert.deepEqual(JSON.parse((await store.get(podNameKey(cluster.uid, 'default', 'web')))!.value), { task: t.key });
    assert.deepEqual(await backend.get(pods, 'default', 'web'), created);
  });

  it('answers 409 AlreadyExists for a second pod of one name, and stores nothing', async () => {
    await backend.create(pods, 'default', pod('web'), W);
    await rejects(backend.create(pods, 'default', pod('web'), W), 409, /^pods "web" already exists$/);
    assert.equal((await tasks()).length, 1);
  });

  it('names a pod from generateName, and a dry run stores nothing', async () => {
    const generated = await backend.create(pods, 'default', { ...pod(''), metadata: { generateName: 'web-' } }, W);
    assert.match(generated.metadata.name!, /^web-[a-z0-9]{5}$/);
    const dry = await backend.create(pods, 'default', pod('dry'), { ...W, dryRun: true });
    assert.equal(dry.metadata.name, 'dry');
    assert.equal((await tasks()).length, 1);
    await rejects(backend.get(pods, 'default', 'dry'), 404, /^pods "dry" not found$/);
  });

  it('refuses a pod in a namespace that does not exist, and an invalid name with the spec errors', async () => {
    await rejects(backend.create(pods, 'nowhere', pod('web'), W), 404, /^namespaces "nowhere" not found$/);
    await rejects(backend.create(pods, 'default', pod('Bad_Name'), W), 422, /^Pod "Bad_Name" is invalid: metadata\.name: Invalid value: "Bad_Name"/);
    assert.equal((await tasks()).length, 0);
  });
});

describe('pods backend: update, status', () => {
  it('changes labels and images on the task; a stale resourceVersion is 409 Conflict and changes nothing', async () => {
    const created = await backend.create(pods, 'default', pod('web'), W);
    const r = await backend.update(pods, 'default', 'web', (cur) => cur && {
      ...cur, metadata: { ...cur.metadata, labels: { tier: 'front' } },
      spec: { ...(cur.spec as object), containers: [{ ...(cur.spec as { containers: object[] }).containers[0], image: 'busybox:2' }] },
    }, W);
    assert.deepEqual(r.object.metadata.labels, { tier: 'front' });
    assert.notEqual(r.object.metadata.resourceVersion, created.metadata.resourceVersion);
    const t = await taskOf(created);
    assert.equal(t.spec?.containers[0]?.image, 'busybox:2');
    await rejects(backend.update(pods, 'default', 'web', (cur) => cur && { ...cur, metadata: { ...cur.metadata, resourceVersion: created.metadata.resourceVersion, labels: {} } }, W), 409,
      /^Operation cannot be fulfilled on pods "web": the object has been modified; please apply your changes to the latest version and try again$/);
    assert.deepEqual((await backend.get(pods, 'default', 'web')).metadata.labels, { tier: 'front' });
  });

  it('keeps a status write\'s conditions of types it does not derive, in the task status; derived ones stay the view\'s', async () => {
    await backend.create(pods, 'default', pod('web'), W);
    const gate = { type: 'example.com/gate', status: 'True', lastProbeTime: null, lastTransitionTime: '2026-12-07T12:00:00Z' };
    const r = await backend.update(pods, 'default', 'web', (cur) => cur && { ...cur, status: { conditions: [gate, { type: 'Ready', status: 'True' }] } }, { ...W, subresource: 'status' });
    assert.deepEqual((r.object.status as { conditions: unknown[] }).conditions, [gate]);
    const t = await taskOf(r.object);
    assert.deepEqual(t.status?.kubeConditions, [gate]);
  });
});

describe('pods backend: placed', () => {
  it('a placed pod shows its host\'s node name in spec.nodeName (and the field selector finds it there)', async () => {
    await store.txn({ ops: [{ type: 'put', key: keys.containerInstance(scope, POD_ECS_CLUSTER, 'i1'), value: JSON.stringify({ ec2InstanceId: 'i-0abc', containerInstanceArn: 'arn:aws:ecs:us-east-1:000000000000:container-instance/default/i1' }) }] });
    const created = await backend.create(pods, 'default', pod('web'), W);
    await place(created);
    assert.equal(((await backend.get(pods, 'default', 'web')).spec as { nodeName?: string }).nodeName, 'i-0abc');
    assert.deepEqual((await backend.list(pods, undefined, { ...ALL, fields: parseFieldSelector('spec.nodeName=i-0abc', ['spec.nodeName']) })).items.map((o) => o.metadata.name), ['web']);
  });
});

describe('pods backend: list and watch', () => {
  it('lists in name order with selectors and limit/continue', async () => {
    for (const n of ['c', 'a', 'b']) await backend.create(pods, 'default', pod(n, { app: n === 'b' ? 'x' : 'y' }), W);
    const first = await backend.list(pods, 'default', { ...ALL, limit: 2 });
    assert.deepEqual(first.items.map((o) => o.metadata.name), ['a', 'b']);
    const rest = await backend.list(pods, 'default', { ...ALL, limit: 2, continueToken: first.continueToken });
    assert.deepEqual(rest.items.map((o) => o.metadata.name), ['c']);
    assert.equal(rest.continueToken, undefined);
    assert.deepEqual((await backend.list(pods, undefined, { ...ALL, labels: parseLabelSelector('app=y') })).items.map((o) => o.metadata.name), ['a', 'c']);
    assert.deepEqual((await backend.list(pods, undefined, { ...ALL, fields: parseFieldSelector('spec.nodeName=', ['spec.nodeName']) })).items.length, 3);
  });

  it('watches ADDED on create, MODIFIED on an agent\'s status write, DELETED with the last object', async () => {
    const events: OutEvent[] = [];
    const close = await backend.watch({ kind: pods, namespace: 'default', labels: [], fields: [], resourceVersion: undefined, sendInitialEvents: false, allowBookmarks: false }, (e) => events.push(e));
    const created = await backend.create(pods, 'default', pod('web'), W);
    await place(created);
    await report(created, 'RUNNING');
    const running = await backend.get(pods, 'default', 'web');
    await report(created, 'STOPPED');
    await backend.delete(pods, 'default', 'web', NO_DELETE_OPTIONS);
    await new Promise((r) => setTimeout(r, 50));
    close();
    assert.deepEqual(events.map((e) => e.type), ['ADDED', 'MODIFIED', 'MODIFIED', 'MODIFIED', 'DELETED']);
    const added = events[0]!.object as Obj;
    assert.equal(added.metadata.resourceVersion, created.metadata.resourceVersion);
    assert.deepEqual(events[2]!.object, running);
    assert.equal(((events[4]!.object as Obj).status as { phase: string }).phase, 'Succeeded');
  });
});

describe('pods backend: watches share', () => {
  it('watches opened together read the pods once, and every watcher gets every event as the same answer bytes', async () => {
    const names = ['a', 'b', 'c', 'd', 'e'];
    const created = [];
    for (const n of names) created.push(await backend.create(pods, 'default', pod(n), W));
    let gets = 0;
    const counted = new Proxy(store, {
      get(target, prop) {
        if (prop === 'get') return (key: string) => { gets++; return target.get(key); };
        const v = Reflect.get(target, prop, target) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
    const shared = new PodBackend({ store: counted, cluster, schemas: schemasDouble(), now: () => now, newUid: () => 'unused', rng: () => 0.5, nodeOf: podNodeOf(instanceRecords(store)) });
    const watchers = 10;
    const seen: OutEvent[][] = Array.from({ length: watchers }, () => []);
    const request = { kind: pods, namespace: 'default', labels: [], fields: [], resourceVersion: String(await store.revision()), sendInitialEvents: false, allowBookmarks: false };
    const closes = await Promise.all(seen.map((events) => shared.watch(request, (e) => events.push(e))));
    // One watcher's listing reads each pod's two halves: ten reading their own read ten times that.
    assert.ok(gets <= names.length * 2, `${gets} store reads for ${watchers} watches of ${names.length} pods`);
    await report(created[1]!, 'STOPPED');
    await place(created[3]!);
    for (let i = 0; i < 200 && seen.some((events) => events.length < 2); i++) await new Promise((r) => setTimeout(r, 10));
    for (const close of closes) close();
    const b = await backend.get(pods, 'default', 'b');
    const d = await backend.get(pods, 'default', 'd');
    for (const events of seen) {
      assert.deepEqual(events.map((e) => [e.type, (e.object as Obj).metadata.name]), [['MODIFIED', 'b'], ['MODIFIED', 'd']]);
      assert.deepEqual([events[0]!.object, events[1]!.object], [b, d]);
      // The first watcher's serialization, written by all (no per-watcher object or bytes).
      assert.equal(events[0]!.type !== 'ERROR' && events[0]!.type !== 'BOOKMARK' && events[0]!.raw, seen[0]![0]!.type !== 'ERROR' && seen[0]![0]!.type !== 'BOOKMARK' && seen[0]![0]!.raw);
    }
  });
});

describe('pods backend: delete', () => {
  it('removes a pod that never ran at once: its task and its name go', async () => {
    const created = await backend.create(pods, 'default', pod('web'), W);
    const r = await backend.delete(pods, 'default', 'web', NO_DELETE_OPTIONS);
    assert.equal(r.gone, true);
    assert.equal(r.object.metadata.uid, created.metadata.uid);
    assert.equal((await tasks()).length, 0);
    assert.equal(await store.get(podNameKey(cluster.uid, 'default', 'web')), undefined);
  });

  it('makes a running pod Terminating (its task desired STOPPED with the grace period); the last finalizer of a stopped one removes it', async () => {
    const created = await backend.create(pods, 'default', { ...pod('web'), metadata: { name: 'web', finalizers: ['example.com/hold'] } }, W);
    await place(created);
    await report(created, 'RUNNING');
    const r = await backend.delete(pods, 'default', 'web', { ...NO_DELETE_OPTIONS, gracePeriodSeconds: 5 });
    assert.equal(r.gone, false);
    assert.equal(r.object.metadata.deletionTimestamp, '2026-12-07T12:00:05Z');
    assert.equal(r.object.metadata.deletionGracePeriodSeconds, 5);
    const t = await taskOf(created);
    assert.equal(t.record.desiredStatus, 'STOPPED');
    assert.equal(t.spec?.containers[0]?.stopTimeout, 5);
    await report(created, 'STOPPED');
    await backend.update(pods, 'default', 'web', (cur) => cur && { ...cur, metadata: { ...cur.metadata, finalizers: [] } }, W);
    await rejects(backend.get(pods, 'default', 'web'), 404, /not found/);
    assert.equal((await tasks()).length, 0);
  });

  it('with grace period 0 removes a running pod at once and leaves its task to stop as an ECS task', async () => {
    const created = await backend.create(pods, 'default', pod('web'), W);
    await place(created);
    await report(created, 'RUNNING');
    const r = await backend.delete(pods, 'default', 'web', { ...NO_DELETE_OPTIONS, gracePeriodSeconds: 0 });
    assert.equal(r.gone, true);
    await rejects(backend.get(pods, 'default', 'web'), 404, /not found/);
    const t = await taskOf(created);
    assert.equal(t.record.desiredStatus, 'STOPPED');
    assert.equal(t.spec?.kube, undefined);
  });

  it('removes every pod of a deleted cluster', async () => {
    const a = await backend.create(pods, 'default', pod('a'), W);
    const b = await backend.create(pods, 'default', pod('b'), W);
    await place(b);
    await report(b, 'RUNNING');
    await removeClusterPods(store, cluster.uid);
    assert.equal((await backend.list(pods, undefined, ALL)).items.length, 0);
    assert.equal(await readTask(store, { scope, cluster: POD_ECS_CLUSTER, id: taskIdOfUid(a.metadata.uid!) }), undefined);
    assert.equal((await taskOf(b)).record.desiredStatus, 'STOPPED');
  });

  it('a resourceVersion precondition that does not hold is 409 and deletes nothing', async () => {
    await backend.create(pods, 'default', pod('web'), W);
    await rejects(backend.delete(pods, 'default', 'web', { ...NO_DELETE_OPTIONS, preconditions: { resourceVersion: '1' } }), 409, /Precondition failed: ResourceVersion/);
    assert.equal((await tasks()).length, 1);
  });
});
