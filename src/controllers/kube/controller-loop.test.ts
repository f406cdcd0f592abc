// The kube controller loop over a pods kind kept by a backend of its own (an in-memory double,
// as pods-as-tasks will be): the backend's changes start passes, garbage collection and
// namespace deletion reach its pods through its delete, its pods' transitions become Events,
// and kube-root-ca.crt is published in every namespace.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { openSqliteStore, type SqliteStore } from '../../store/sqlite/sqlite-store.ts';
import { schemasDouble } from '../../../test/support/kube-schemas-double.ts';
import { TEST_PODS } from '../../../test/support/kube-pods.ts';
import { KINDS, KindRegistry, type KindInfo } from '../../api/kube/kinds.ts';
import { GenericStorage } from '../../api/kube/generic-storage.ts';
import { Backends } from '../../api/kube/backends.ts';
import type { Obj } from '../../api/kube/kind-rules.ts';
import type { KubeControllers } from '../../api/kube/server.ts';
import { startKubeControllers } from './controller-loop.ts';
import { PodsBackendDouble } from './testing-pods-backend.ts';
import { ROOT_CA_CONFIGMAP } from '../../core/kube/pod/defaults.ts';
import { clusterPrefix } from '../../api/kube/keys.ts';
import { ROOT_CA_DESCRIPTION } from './reconcile.ts';
import { until } from '../../../test/support/until.ts';

/** How long a condition may take on a loaded machine (a pass comes PASS_DELAY_MS after a change). */
const WAIT_MS = 10_000;
/** How often a wait asks: the loop's delays are tens of ms. */
const POLL_MS = 5;
const CA = '-----BEGIN CERTIFICATE-----\nMIIBberth\n-----END CERTIFICATE-----\n';
const PODS: KindInfo = { ...TEST_PODS, backend: 'pods-double' };
const W = { dryRun: false, fieldManager: 'test' };
const ALL = { labels: [], fields: [], limit: 0, continueToken: undefined };
// The served kinds the loop needs, without those whose backends belong to the server (nodes, reviews).
const registry = new KindRegistry([...KINDS.filter((k) => k.backend === 'generic' || k.backend === 'events.k8s.io/v1'), PODS]);
const kind = (plural: string, group = '') => registry.byResource(group, 'v1', plural)!;

let store: SqliteStore;
let storage: GenericStorage;
let pods: PodsBackendDouble;
let loop: KubeControllers;
const passes: number[] = [];

before(async () => {
  store = await openSqliteStore(':memory:');
  let uids = 0;
  storage = new GenericStorage({ store, clusterUid: 'c1', schemas: schemasDouble(), namespaces: kind('namespaces'), now: Date.now, newUid: () => `uid-${++uids}`, rng: Math.random });
  pods = new PodsBackendDouble();
  loop = await startKubeControllers({ store, clusterUid: 'c1', registry, backends: new Backends(registry, storage, { 'pods-double': pods }), now: Date.now, rootCA: CA }, { onPass: () => passes.push(Date.now()) });
  await loop.settled();
});
after(async () => {
  await loop?.close();
  await store?.close();
});

const pod = (name: string, extra: Partial<Obj['metadata']> = {}): Obj => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, ...extra }, spec: { containers: [{ name: 'app', image: 'nginx:1.27' }] } });
const setStatus = (ns: string, name: string, status: Record<string, unknown>, nodeName?: string) =>
  pods.update(PODS, ns, name, (cur) => cur && { ...cur, ...(nodeName && { spec: { ...(cur.spec as Record<string, unknown>), nodeName } }), status }, { ...W, subresource: 'status' });
const running = (ready: boolean) => ({ phase: 'Running', conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }], containerStatuses: [{ name: 'app', image: 'nginx:1.27', ready, restartCount: 0, state: { running: { startedAt: '2026-12-07T12:00:00Z' } } }] });
const eventsAbout = async (ns: string, name: string) => (await storage.list(kind('events'), ns, ALL)).items
  .filter((e) => (e.involvedObject as { name: string }).name === name)
  .map((e) => e as unknown as { reason: string; message: string; count: number; source: { component: string; host?: string } });

describe('the kube controller loop over a pods backend of its own', () => {
  it('a pod\'s status change on that backend starts a pass before any key of the cluster changes; changes made together share one pass', async () => {
    for (const name of ['ready-me', 'ready-too']) {
      await pods.create(PODS, 'default', pod(name), W);
      await setStatus('default', name, running(false), 'node-1');
    }
    await loop.settled();
    // Every write under the cluster's keys from here on, with how many passes had started when it was seen.
    const writes: number[] = [];
    const watch = store.watch(clusterPrefix('c1'), await store.revision(), () => writes.push(passes.length));
    const seen = passes.length;
    // Ready now: a change no Event tells of, so nothing else writes before the pass.
    await setStatus('default', 'ready-me', running(true));
    await until('a pass after the change', async () => (passes.length > seen ? true : undefined), WAIT_MS, POLL_MS);
    await loop.settled();
    assert.deepEqual(writes.filter((started) => started === seen), [], 'no key of the cluster changed before the pass');

    // Two changes and a settle asked in one moment (the double tells its watchers as it writes): one pass for all three.
    const before = passes.length;
    const changed = Promise.all([setStatus('default', 'ready-me', running(false)), setStatus('default', 'ready-too', running(true))]);
    const settled = loop.settled();
    await changed;
    await settled;
    watch.close();
    assert.equal(passes.length, before + 1, 'the changes shared one pass');
  });

  it('records the scheduler\'s and kubelet\'s Events of a pod\'s life through the events backend, a repeat counted', async () => {
    await pods.create(PODS, 'default', pod('life'), W);
    await setStatus('default', 'life', { phase: 'Pending', containerStatuses: [{ name: 'app', image: 'nginx:1.27', ready: false, restartCount: 0, state: { waiting: { reason: 'ContainerCreating' } } }] }, 'node-1');
    await setStatus('default', 'life', running(true));
    const crash = (restartCount: number) => ({ phase: 'Running', containerStatuses: [{ name: 'app', image: 'nginx:1.27', ready: false, restartCount, state: { waiting: { reason: 'CrashLoopBackOff' } } }] });
    await setStatus('default', 'life', crash(1));
    await setStatus('default', 'life', crash(2));
    await loop.settled();
    const events = await eventsAbout('default', 'life');
    assert.deepEqual(events.map((e) => e.reason), ['Scheduled', 'Pulled', 'Created', 'Started', 'BackOff']);
    assert.equal(events[0]!.message, 'Successfully assigned default/life to node-1');
    assert.deepEqual(events[0]!.source, { component: 'default-scheduler' });
    assert.deepEqual(events[1]!.source, { component: 'kubelet', host: 'node-1' });
    assert.equal(events[4]!.count, 2, 'the second BackOff counted on the first');
  });

  it('garbage collection deletes a pod whose owner is gone through the pods backend', async () => {
    const owner = await storage.create(kind('configmaps'), 'default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'owner' } }, W);
    await pods.create(PODS, 'default', pod('owned', { ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: owner.metadata.uid! }] }), W);
    await loop.settled();
    assert.ok(!pods.deletes.includes('default/owned'), 'its owner is there: kept');
    await storage.delete(kind('configmaps'), 'default', 'owner', { dryRun: false, propagationPolicy: 'Background', preconditions: undefined });
    await loop.settled();
    assert.ok(pods.deletes.includes('default/owned'));
    await assert.rejects(pods.get(PODS, 'default', 'owned'), /not found/);
  });

  it('creates a ReplicaSet\'s missing pods in slow-start batches: 1, then 2, then 4 at once', async () => {
    const create = pods.create.bind(pods);
    let inFlight = 0;
    // How many creates were in flight as each one started.
    const started: number[] = [];
    pods.create = async (...args: Parameters<typeof create>) => {
      started.push(++inFlight);
      await new Promise((r) => setImmediate(r));
      try {
        return await create(...args);
      } finally {
        inFlight--;
      }
    };
    try {
      const labels = { app: 'batched' };
      await storage.create(kind('replicasets', 'apps'), 'default', {
        apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'batched' },
        spec: { replicas: 7, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: 'app', image: 'nginx:1.27' }] } } },
      }, W);
      await loop.settled();
      assert.equal((await pods.list(PODS, 'default', ALL)).items.filter((p) => p.metadata.labels?.app === 'batched').length, 7);
      assert.deepEqual(started, [1, 1, 2, 1, 2, 3, 4]);
    } finally {
      pods.create = create;
    }
  });

  it('foreground deletion waits for the owner\'s pods on that backend', async () => {
    const owner = await storage.create(kind('configmaps'), 'default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'fg-owner' } }, W);
    await pods.create(PODS, 'default', pod('fg-owned', { ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'fg-owner', uid: owner.metadata.uid!, blockOwnerDeletion: true }] }), W);
    await loop.settled();
    await storage.delete(kind('configmaps'), 'default', 'fg-owner', { dryRun: false, propagationPolicy: 'Foreground', preconditions: undefined });
    await loop.settled();
    assert.ok(pods.deletes.includes('default/fg-owned'));
    await assert.rejects(storage.get(kind('configmaps'), 'default', 'fg-owner'), /not found/, 'the owner went after its pod');
  });

  it('deleting a namespace deletes its pods on that backend, then the namespace goes', async () => {
    await storage.create(kind('namespaces'), undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team' } }, W);
    await pods.create(PODS, 'team', pod('member'), W);
    await loop.settled();
    await storage.delete(kind('namespaces'), undefined, 'team', { dryRun: false, propagationPolicy: undefined, preconditions: undefined });
    await loop.settled();
    assert.ok(pods.deletes.includes('team/member'));
    await assert.rejects(storage.get(kind('namespaces'), undefined, 'team'), /not found/);
  });

  it('publishes kube-root-ca.crt in every namespace, and puts it back when deleted or changed', async () => {
    const cms = kind('configmaps');
    for (const ns of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) {
      const cm = await storage.get(cms, ns, ROOT_CA_CONFIGMAP);
      assert.deepEqual(cm.data, { 'ca.crt': CA });
      assert.equal(cm.metadata.annotations?.['kubernetes.io/description'], ROOT_CA_DESCRIPTION);
    }
    await storage.delete(cms, 'default', ROOT_CA_CONFIGMAP, { dryRun: false, propagationPolicy: undefined, preconditions: undefined });
    await loop.settled();
    assert.deepEqual((await storage.get(cms, 'default', ROOT_CA_CONFIGMAP)).data, { 'ca.crt': CA }, 'recreated');
    await storage.update(cms, 'default', ROOT_CA_CONFIGMAP, (cur) => cur && { ...cur, data: { 'ca.crt': 'tampered', extra: 'x' } }, W);
    await loop.settled();
    assert.deepEqual((await storage.get(cms, 'default', ROOT_CA_CONFIGMAP)).data, { 'ca.crt': CA }, 'restored');
  });

  it('after the pods backend ends its watches (410), the loop lists again and its pods\' changes start passes again', async () => {
    await pods.create(PODS, 'default', pod('survivor'), W);
    await loop.settled();
    pods.expireWatches();
    await until('watching again', async () => (pods.watchers === 1 ? true : undefined), WAIT_MS, POLL_MS);
    const seen = passes.length;
    await setStatus('default', 'survivor', running(true), 'node-1');
    await until('a pass started by the change', async () => (passes.length > seen ? true : undefined), WAIT_MS, POLL_MS);
    await loop.settled();
  });
});
