import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openSqliteStore } from '../store/sqlite/sqlite-store.ts';
import { podGroup, podNameKey } from '../core/kube/pod/hosting.ts';
import { podToTaskSpec } from '../core/kube/pod/to-spec.ts';
import { deletePod } from '../core/kube/pod/changes.ts';
import { readTaskAt, splitTaskOps } from '../core/workload/task-store.ts';
import type { TaskStatus } from '../core/workload/status.ts';
import { podRemovalJob } from './pod-removal-job.ts';
import { FakeClusterState, REF, SCOPE, snapshot, task } from './testing/harness.ts';

const CLUSTER_UID = 'c1c1c1c1-0000-4000-8000-000000000001';
const hex = (n: number) => (1_000_000 + n).toString(16).padStart(32, '0');

/** A pod's task as the pods backend stores it, placed, deleted (`deleting`) or not, its status as given. */
function podTask(n: number, o: { deleting: boolean; finalizers?: string[]; lastStatus: 'RUNNING' | 'STOPPED' }) {
  const id = hex(n);
  const name = `p${n}`;
  const made = podToTaskSpec({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default', ...(o.finalizers && { finalizers: o.finalizers }) }, spec: { containers: [{ name: 'app', image: 'busybox' }] } }, {
    id, now: 1_800_000_000_000, clusterUid: CLUSTER_UID, ecs: { scope: SCOPE, clusterName: REF.cluster, containerIds: ['c'] },
    configMap: () => undefined, secret: () => undefined, token: () => 'token',
  }).spec;
  const placed = { ...made, placement: { instanceArn: 'arn:aws:ecs:us-east-1:000000000000:container-instance/default/i1' } };
  const spec = o.deleting ? deletePod(placed, 1_800_000_000_000, 5) : placed;
  const status: TaskStatus = {
    lastStatus: o.lastStatus, changes: 1, healthStatus: 'UNKNOWN', attachments: [],
    containers: [{ name: 'app', lastStatus: o.lastStatus, networkBindings: [], networkInterfaces: [], healthStatus: 'UNKNOWN', ...(o.lastStatus === 'STOPPED' && { exitCode: 0 }) }],
  };
  return { id, name, spec, status, summary: { ...task(n, { lastStatus: o.lastStatus, group: podGroup('default', name) }), taskDefinitionArn: '', family: '', desiredStatus: spec.desiredStatus } };
}

test('the pod removal job removes deleted pods whose task stopped and that no finalizer holds, with their name keys; others stay', async () => {
  const store = await openSqliteStore(':memory:');
  const state = new FakeClusterState();
  const pods = [
    podTask(1, { deleting: true, lastStatus: 'STOPPED' }),
    podTask(2, { deleting: true, lastStatus: 'RUNNING' }),
    podTask(3, { deleting: true, finalizers: ['example.com/hold'], lastStatus: 'STOPPED' }),
    podTask(4, { deleting: false, lastStatus: 'STOPPED' }),
  ];
  for (const p of pods) {
    const r = await store.txn({ ops: [...splitTaskOps({ scope: SCOPE, cluster: REF.cluster, id: p.id }, p.spec, p.status), { type: 'put', key: podNameKey(CLUSTER_UID, 'default', p.name), value: '{}' }] });
    assert.ok(r.ok);
  }
  state.set(snapshot({ tasks: pods.map((p) => p.summary) }));
  const job = podRemovalJob({ store, state });
  const { actions } = job.reconcile(await job.load(), 0);
  assert.deepEqual(actions.map((a) => a.why), ['pod removal: default/p1']);
  for (const a of actions) if (a.type === 'txn') assert.ok((await store.txn(a.txn)).ok);
  const left = await Promise.all(pods.map(async (p) => [(await readTaskAt(store, p.summary.key)) !== undefined, (await store.get(podNameKey(CLUSTER_UID, 'default', p.name))) !== undefined]));
  assert.deepEqual(left, [[false, false], [true, true], [true, true], [true, true]]);
  await store.close();
});

test('a stopped pod that is not due is read once, and again only once its spec is written (then removed when deleted)', async () => {
  const inner = await openSqliteStore(':memory:');
  let reads = 0;
  // Counts the store calls the job's loader makes (readTaskAt's reads).
  const store = new Proxy(inner, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver) as unknown;
      if (typeof v !== 'function') return v;
      return (...args: unknown[]) => {
        if (prop === 'get' || prop === 'range' || prop === 'getMany') reads++;
        return (v as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  const state = new FakeClusterState();
  const p = podTask(7, { deleting: false, lastStatus: 'STOPPED' });
  const ref = { scope: SCOPE, cluster: REF.cluster, id: p.id };
  const made = await inner.txn({ ops: [...splitTaskOps(ref, p.spec, p.status), { type: 'put', key: podNameKey(CLUSTER_UID, 'default', p.name), value: '{}' }] });
  assert.ok(made.ok);
  const specRevision = (await readTaskAt(inner, p.summary.key))!.specRevision;
  state.set(snapshot({ tasks: [{ ...p.summary, desiredStatus: 'STOPPED', modRevision: specRevision }] }));
  const job = podRemovalJob({ store, state });
  assert.deepEqual(job.reconcile(await job.load(), 0).actions, []);
  const firstReads = reads;
  assert.ok(firstReads > 0, 'read once');
  assert.deepEqual(job.reconcile(await job.load(), 0).actions, []);
  assert.equal(reads, firstReads, 'not read again while its spec is unchanged');

  // kubectl delete: the spec is written (Terminating); its task has long stopped, so it goes.
  const held = (await readTaskAt(inner, p.summary.key))!;
  const deleted = deletePod(held.spec!, 1_800_000_000_000, 5);
  const w = await inner.txn({ if: [{ key: held.key, modRevision: held.specRevision }], ops: [{ type: 'put', key: held.key, value: JSON.stringify(deleted) }] });
  assert.ok(w.ok);
  state.set(snapshot({ tasks: [{ ...p.summary, desiredStatus: 'STOPPED', modRevision: w.revision }] }));
  const { actions } = job.reconcile(await job.load(), 0);
  assert.deepEqual(actions.map((a) => a.why), ['pod removal: default/p7']);
  assert.ok(reads > firstReads, 'read again once its spec changed');
  await inner.close();
});
