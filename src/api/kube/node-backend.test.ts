import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStore, type SqliteStore } from '../../store/sqlite/sqlite-store.ts';
import { instanceRecords } from '../../cluster/instance-records.ts';
import type { ContainerInstanceRecord } from '../../core/ecs/container-instance.ts';
import { keys } from '../../core/ecs/keys.ts';
import { parseFieldSelector, parseLabelSelector } from '../../core/kube/selectors.ts';
import { KindRegistry } from './kinds.ts';
import { NodeBackend } from './node-backend.ts';
import { fargatePodSpec, fargatePodStatus } from '../../core/kube/testing/fargate-pods.ts';
import { StatusError } from './status.ts';
import type { OutEvent } from './storage-backend.ts';
import type { Obj } from './kind-rules.ts';
import { fargatePods } from './pod-backend-reads.ts';
import { nameValue, type PodBackendDeps } from './pod-backend-names.ts';
import { watchFargatePods, writeFargatePodSpec } from './fargate-pod-watch.ts';
import { splitTaskOps, taskKey, taskStatusOps } from '../../core/workload/task-store.ts';
import { POD_ECS_CLUSTER, podNameKey } from '../../core/kube/pod/hosting.ts';
import { schemasDouble } from '../../../test/support/kube-schemas-double.ts';
import { until } from '../../../test/support/until.ts';

const nodes = new KindRegistry().byResource('', 'v1', 'nodes')!;
const scope = { account: '000000000000', region: 'us-east-1' };
const W = { dryRun: false, fieldManager: 'kubectl' };
const ALL = { labels: [], fields: [], limit: 0, continueToken: undefined };

let dir: string;
let store: SqliteStore;
let backend: NodeBackend;

const record = (id: string, nodegroup: string | undefined, o: Partial<ContainerInstanceRecord> = {}): ContainerInstanceRecord => ({
  containerInstanceArn: `arn:aws:ecs:us-east-1:000000000000:container-instance/hosts/${id}`, ec2InstanceId: `i-${id}`, version: 1, versionInfo: {},
  remainingResources: [], registeredResources: [{ name: 'CPU', type: 'INTEGER', integerValue: 1024 }], status: 'ACTIVE', agentConnected: true,
  runningTasksCount: 0, pendingTasksCount: 0, registeredAt: 1_800_000_000, attachments: [], tags: [],
  attributes: nodegroup ? [{ name: 'eks.amazonaws.com/nodegroup', value: nodegroup }, { name: 'eks:cluster-name', value: 'demo' }] : [], ...o,
});
const put = (r: ContainerInstanceRecord) => store.txn({ ops: [{ type: 'put', key: keys.containerInstance(scope, 'hosts', r.ec2InstanceId.slice(2)), value: JSON.stringify(r) }] });
const stored = async (id: string) => JSON.parse((await store.get(keys.containerInstance(scope, 'hosts', id)))!.value) as ContainerInstanceRecord;
const rejects = (p: Promise<unknown>, code: number, message: RegExp) => assert.rejects(p, (e: unknown) => e instanceof StatusError && e.code === code && message.test(e.message));
const label = (key: string, value: string | undefined) => (cur: Obj | undefined) => {
  if (!cur) return undefined;
  const labels = { ...cur.metadata.labels };
  if (value === undefined) delete labels[key];
  else labels[key] = value;
  return { ...cur, metadata: { ...cur.metadata, labels } };
};

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'berth-node-backend-'));
  store = await openSqliteStore(join(dir, 'state.db'));
  backend = new NodeBackend({ instances: instanceRecords(store), cluster: { account: scope.account, region: scope.region, name: 'demo', uid: 'uid-1', version: '1.32' }, now: () => 1_800_000_100_000 });
  await put(record('b', 'workers'));
  await put(record('a', 'workers'));
  await put(record('c', undefined));
  await put(record('d', 'workers', { attributes: [{ name: 'eks.amazonaws.com/nodegroup', value: 'workers' }, { name: 'eks:cluster-name', value: 'other' }] }));
});
after(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('node backend', () => {
  it('lists the instances the cluster\'s node groups claimed, by name, with their record\'s revision; pages with continue', async () => {
    const all = await backend.list(nodes, undefined, ALL);
    assert.deepEqual(all.items.map((n) => n.metadata.name), ['i-a', 'i-b']);
    assert.equal(all.items[0]!.metadata.resourceVersion, String(await store.modRevision(keys.containerInstance(scope, 'hosts', 'a'))));
    const first = await backend.list(nodes, undefined, { ...ALL, limit: 1 });
    assert.deepEqual(first.items.map((n) => n.metadata.name), ['i-a']);
    const second = await backend.list(nodes, undefined, { ...ALL, limit: 1, continueToken: first.continueToken });
    assert.deepEqual([second.items.map((n) => n.metadata.name), second.continueToken], [['i-b'], undefined]);
    await rejects(backend.get(nodes, undefined, 'i-c'), 404, /^nodes "i-c" not found$/);
    await rejects(backend.get(nodes, undefined, 'i-d'), 404, /not found/);
  });

  it('a label is an ECS attribute; selectors on labels and spec.unschedulable; stale writes 409; dry-run writes nothing', async () => {
    const before = await backend.get(nodes, undefined, 'i-a');
    const dry = await backend.update(nodes, undefined, 'i-a', label('disktype', 'ssd'), { ...W, dryRun: true });
    assert.equal(dry.object.metadata.labels?.disktype, 'ssd');
    assert.equal((await stored('a')).attributes.some((a) => a.name === 'disktype'), false);
    const r = await backend.update(nodes, undefined, 'i-a', label('disktype', 'ssd'), W);
    assert.notEqual(r.object.metadata.resourceVersion, before.metadata.resourceVersion);
    assert.deepEqual((await stored('a')).attributes.at(-1), { name: 'disktype', value: 'ssd' });
    const ssd = await backend.list(nodes, undefined, { ...ALL, labels: parseLabelSelector('disktype=ssd') });
    assert.deepEqual(ssd.items.map((n) => n.metadata.name), ['i-a']);
    const schedulable = await backend.list(nodes, undefined, { ...ALL, fields: parseFieldSelector('spec.unschedulable=false', ['spec.unschedulable']) });
    assert.deepEqual(schedulable.items.map((n) => n.metadata.name), ['i-a', 'i-b']);
    await rejects(backend.update(nodes, undefined, 'i-a', (cur) => ({ ...cur!, metadata: { ...cur!.metadata, resourceVersion: before.metadata.resourceVersion } }), W), 409,
      /^Operation cannot be fulfilled on nodes "i-a": the object has been modified; please apply your changes to the latest version and try again$/);
    await rejects(backend.update(nodes, undefined, 'i-a', label('ecs.x', 'y'), W), 422, /^Node "i-a" is invalid: metadata\.labels: Forbidden: label "ecs\.x"/);
    await rejects(backend.update(nodes, undefined, 'i-a', label('x', 'y'), { ...W, subresource: 'status' }), 405, /not allow/);
  });

  it('delete lets the host go from its node group (not the host) and takes the node\'s fields with it', async () => {
    await rejects(backend.delete(nodes, undefined, 'i-b', { dryRun: false, propagationPolicy: undefined, preconditions: { uid: 'nope' } }), 409, /Precondition failed: UID in precondition: nope/);
    const dry = await backend.delete(nodes, undefined, 'i-b', { dryRun: true, propagationPolicy: undefined, preconditions: undefined });
    assert.equal(dry.object.metadata.name, 'i-b');
    assert.equal((await backend.list(nodes, undefined, ALL)).items.length, 2);
    await backend.update(nodes, undefined, 'i-b', (cur) => ({ ...cur!, spec: { ...cur!.spec as object, unschedulable: true } }), W);
    const r = await backend.delete(nodes, undefined, 'i-b', { dryRun: false, propagationPolicy: undefined, preconditions: undefined });
    assert.equal(r.gone, true);
    const host = await stored('b');
    assert.deepEqual([host.status, host.attributes, host.kubeNode], ['ACTIVE', [], undefined]);
    await put(record('b', 'workers'));
  });

  it('watch: ADDED when claimed, MODIFIED as it changes, DELETED when let go; a bad resourceVersion is 410', async () => {
    const events: OutEvent[] = [];
    const list = await backend.list(nodes, undefined, ALL);
    const close = await backend.watch({ kind: nodes, namespace: undefined, labels: [], fields: [], resourceVersion: list.resourceVersion, sendInitialEvents: false, allowBookmarks: true }, (e) => events.push(e));
    await put(record('c', 'workers'));
    await backend.update(nodes, undefined, 'i-c', label('tier', 'gpu'), W);
    await put(record('c', undefined));
    await put(record('e', undefined));
    await new Promise((r) => setTimeout(r, 50));
    close();
    assert.deepEqual(events.map((e) => [e.type, e.type === 'ERROR' ? '' : e.object.metadata.name]), [['ADDED', 'i-c'], ['MODIFIED', 'i-c'], ['DELETED', 'i-c']]);
    const modified = events[1]!;
    assert.equal(modified.type !== 'ERROR' && modified.object.metadata.labels?.tier, 'gpu');

    const selective: OutEvent[] = [];
    const closeSelective = await backend.watch({ kind: nodes, namespace: undefined, labels: parseLabelSelector('disktype=ssd'), fields: [], resourceVersion: undefined, sendInitialEvents: false, allowBookmarks: false }, (e) => selective.push(e));
    await backend.update(nodes, undefined, 'i-a', label('disktype', undefined), W);
    await new Promise((r) => setTimeout(r, 50));
    closeSelective();
    assert.deepEqual(selective.map((e) => [e.type, e.type === 'ERROR' ? '' : e.object.metadata.name]), [['ADDED', 'i-a'], ['DELETED', 'i-a']]);

    const bad: OutEvent[] = [];
    await backend.watch({ kind: nodes, namespace: undefined, labels: [], fields: [], resourceVersion: 'x', sendInitialEvents: false, allowBookmarks: false }, (e) => bad.push(e));
    assert.deepEqual(bad.map((e) => [e.type, e.type === 'ERROR' && e.object.code]), [['ERROR', 410]]);
  });
});

describe('node backend, Fargate nodes', () => {
  it('lists and gets each running Fargate pod\'s own node beside the hosts, at the pod\'s revision; without a writer of its pods a Fargate node is not written', async () => {
    const pods = [
      { spec: fargatePodSpec('a'.repeat(32), 'web'), status: fargatePodStatus(), revision: 42, task: { key: 'a', specRevision: 41 } },
      { spec: fargatePodSpec('b'.repeat(32), 'waiting'), status: fargatePodStatus({ attachments: [] }), revision: 43, task: { key: 'b', specRevision: 43 } },
    ];
    const withFargate = new NodeBackend({
      instances: instanceRecords(store), cluster: { account: scope.account, region: scope.region, name: 'demo', uid: 'uid-demo', version: '1.32' }, now: () => 1_800_000_100_000,
      fargatePods: () => Promise.resolve(pods),
    });
    const name = 'fargate-ip-10-0-3-7.us-east-1.compute.internal';
    const all = await withFargate.list(nodes, undefined, ALL);
    assert.deepEqual(all.items.map((n) => n.metadata.name), [name, 'i-a', 'i-b'], 'a pod with no address yet has no node yet');
    const node = await withFargate.get(nodes, undefined, name);
    assert.equal(node.metadata.resourceVersion, '42');
    assert.equal(node.metadata.labels?.['eks.amazonaws.com/compute-type'], 'fargate');
    const fargateOnly = await withFargate.list(nodes, undefined, { ...ALL, labels: parseLabelSelector('eks.amazonaws.com/compute-type=fargate') });
    assert.deepEqual(fargateOnly.items.map((n) => n.metadata.name), [name]);
    await rejects(withFargate.update(nodes, undefined, name, label('x', 'y'), W), 405, /./);
    await rejects(withFargate.delete(nodes, undefined, name, { dryRun: false, propagationPolicy: undefined, preconditions: undefined }), 405, /./);
  });

  it('watch: a Fargate pod\'s node ADDED once the pod has its address, MODIFIED as its view changes, DELETED when the pod stops, in revision order with the hosts\' events', async () => {
    const cluster = { account: scope.account, region: scope.region, name: 'demo', uid: 'uid-demo', version: '1.32' };
    const pods: PodBackendDeps = { store, cluster, schemas: schemasDouble(), now: () => 1_800_000_100_000, newUid: () => 'u', rng: Math.random };
    const withFargate = new NodeBackend({
      instances: instanceRecords(store), cluster, now: () => 1_800_000_100_000,
      fargatePods: () => fargatePods(pods), watchFargatePods: (from, listener) => watchFargatePods(pods, from, listener),
      writeFargatePod: (pod, spec) => writeFargatePodSpec(pods, pod, spec),
    });
    const id = 'c'.repeat(32);
    const ref = { scope, cluster: POD_ECS_CLUSTER, id };
    const name = 'fargate-ip-10-0-3-7.us-east-1.compute.internal';
    const list = await withFargate.list(nodes, undefined, ALL);
    assert.ok(!list.items.some((n) => n.metadata.name === name));
    const events: OutEvent[] = [];
    const close = await withFargate.watch({ kind: nodes, namespace: undefined, labels: [], fields: [], resourceVersion: list.resourceVersion, sendInitialEvents: false, allowBookmarks: false }, (e) => events.push(e));
    // Made and placed, no address yet: no node.
    await store.txn({ ops: [...splitTaskOps(ref, fargatePodSpec(id, 'late'), fargatePodStatus({ lastStatus: 'PROVISIONING', attachments: [] })), { type: 'put', key: podNameKey('uid-demo', 'serverless', 'late'), value: nameValue(taskKey(ref)) }] });
    await store.txn({ ops: taskStatusOps(ref, fargatePodStatus({ lastStatus: 'PENDING' })) });
    await withFargate.update(nodes, undefined, 'i-a', label('between', 'yes'), W);
    await store.txn({ ops: taskStatusOps(ref, fargatePodStatus()) });
    // A write that changes nothing of the node's view.
    await store.txn({ ops: taskStatusOps(ref, fargatePodStatus({ changes: 4 })) });
    // A label and an annotation stick (EKS: a Fargate node is a real Node); what EKS sets does not change; a stale write is 409.
    const stale = await withFargate.get(nodes, undefined, name);
    const labelled = await withFargate.update(nodes, undefined, name, label('team', 'blue'), W);
    await withFargate.update(nodes, undefined, name, (cur) => cur && { ...cur, metadata: { ...cur.metadata, annotations: { ...cur.metadata.annotations, note: 'hi' } } }, W);
    const got = await withFargate.get(nodes, undefined, name);
    assert.equal(got.metadata.labels?.team, 'blue');
    assert.equal(got.metadata.annotations?.note, 'hi');
    assert.equal(got.metadata.labels?.['eks.amazonaws.com/compute-type'], 'fargate');
    assert.ok(Number(got.metadata.resourceVersion) > Number(labelled.object.metadata.resourceVersion));
    await rejects(withFargate.update(nodes, undefined, name, label('eks.amazonaws.com/compute-type', 'ec2'), W), 422, /label "eks\.amazonaws\.com\/compute-type" is set by EKS on a Fargate node/);
    await rejects(withFargate.update(nodes, undefined, name, (cur) => cur && { ...cur, spec: { ...cur.spec as object, unschedulable: true } }, W), 422, /spec\.unschedulable: Forbidden/);
    await rejects(withFargate.update(nodes, undefined, name, () => ({ ...stale, metadata: { ...stale.metadata, labels: { ...stale.metadata.labels, team: 'red' } } }), W), 409, /the object has been modified/);
    await rejects(withFargate.delete(nodes, undefined, name, { dryRun: false, propagationPolicy: undefined, preconditions: undefined }), 405, /./);
    assert.equal((await withFargate.get(nodes, undefined, name)).metadata.resourceVersion, got.metadata.resourceVersion, 'the refused writes changed nothing');
    await store.txn({ ops: taskStatusOps(ref, fargatePodStatus({ lastStatus: 'STOPPED', changes: 5 })) });
    const seen = await until('the node\'s DELETED', async () => (events.some((e) => e.type === 'DELETED') ? events : undefined), 10_000, 10);
    close();
    assert.deepEqual(seen.map((e) => [e.type, e.type === 'ERROR' ? '' : e.object.metadata.name]), [['ADDED', name], ['MODIFIED', 'i-a'], ['MODIFIED', name], ['MODIFIED', name], ['MODIFIED', name], ['DELETED', name]]);
    const labels = (e: OutEvent) => e.type !== 'ERROR' && e.object.metadata.labels?.team;
    assert.deepEqual(seen.map(labels), [undefined, undefined, undefined, 'blue', 'blue', 'blue'], 'the label in the watch from its write on');
    const ready = (e: OutEvent) => e.type !== 'ERROR' && (e.object.status as { conditions: { type: string; status: string }[] }).conditions.find((c) => c.type === 'Ready')?.status;
    assert.deepEqual([ready(seen[0]!), ready(seen[2]!)], ['False', 'True'], 'Ready once the pod runs');
    const versions = seen.map((e) => Number(e.object.metadata.resourceVersion));
    assert.deepEqual(versions, [...versions].sort((a, b) => a - b));
    assert.ok(versions[0]! > Number(list.resourceVersion));

    // A watch that starts with the state (no resourceVersion) sees a running Fargate pod's node as ADDED, and its node goes when the pod's task does.
    const id2 = 'd'.repeat(32);
    const ref2 = { scope, cluster: POD_ECS_CLUSTER, id: id2 };
    await store.txn({ ops: [...splitTaskOps(ref2, fargatePodSpec(id2, 'second'), fargatePodStatus()), { type: 'put', key: podNameKey('uid-demo', 'serverless', 'second'), value: nameValue(taskKey(ref2)) }] });
    const fresh: OutEvent[] = [];
    const closeFresh = await withFargate.watch({ kind: nodes, namespace: undefined, labels: parseLabelSelector('eks.amazonaws.com/compute-type=fargate'), fields: [], resourceVersion: undefined, sendInitialEvents: false, allowBookmarks: false }, (e) => fresh.push(e));
    await store.txn({ ops: [{ type: 'delete', key: taskKey(ref2) }] });
    await until('the second node\'s DELETED', async () => (fresh.some((e) => e.type === 'DELETED') ? true : undefined), 10_000, 10);
    closeFresh();
    assert.deepEqual(fresh.map((e) => [e.type, e.type === 'ERROR' ? '' : e.object.metadata.name]), [['ADDED', name], ['DELETED', name]]);
  });
});
