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
  return { id, name, spec, status, summary: { ...task(n, { lastStatus: o.lastStatus, group: podGroup('default', name) }), desiredStatus: spec.desiredStatus } };
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
