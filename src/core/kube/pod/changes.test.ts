import { test } from 'node:test';
import assert from 'node:assert/strict';
import { admitPodCreate, admitPodUpdate } from './admit.ts';
import { applyPodUpdate, deletePod } from './changes.ts';
import { podToTaskSpec } from './to-spec.ts';
import type { TaskStatus } from '../../workload/status.ts';
import { podView } from './view.ts';
import { podRow } from './printer.ts';

const T0 = Date.parse('2026-12-07T15:00:00Z');
const status: TaskStatus = { lastStatus: 'RUNNING', changes: 1, healthStatus: 'UNKNOWN', attachments: [], containers: [], startedAt: T0 / 1000 + 2 };
function made() {
  const created = admitPodCreate({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', namespace: 'default' }, spec: { containers: [{ name: 'nginx', image: 'nginx:1.27' }] } }, { rng: () => 0, serviceAccount: () => ({}) });
  assert.ok(created.ok);
  const { spec } = podToTaskSpec(created.pod, {
    id: 'ab'.repeat(16), now: T0, clusterUid: 'c', ecs: { scope: { account: '000000000000', region: 'us-east-1' }, clusterName: 'k', containerIds: ['1'] },
    configMap: () => ({ data: { 'ca.crt': 'CA' } }), secret: () => undefined, token: () => 't',
  });
  return { ...spec, placement: { instanceArn: 'arn:aws:ecs:us-east-1:000000000000:container-instance/k/i' } };
}

test('a GET, an edited image and labels, a PUT: the task runs the new image and the view shows the new labels, nodeName still the placement', () => {
  const spec = made();
  const viewed = podView(spec, status, { spec: 1, status: 2 }, { name: 'i-0abc' });
  const edited = structuredClone(viewed);
  edited.spec!.containers[0]!.image = 'nginx:1.28';
  edited.metadata!.labels = { tier: 'web' };
  delete edited.status;
  const admitted = admitPodUpdate(edited, viewed);
  assert.ok(admitted.ok);
  const next = applyPodUpdate(spec, admitted.pod);
  assert.equal(next.generation, spec.generation + 1);
  assert.equal(next.containers[0]?.image, 'nginx:1.28');
  assert.equal(next.kube?.podSpec.nodeName, undefined, 'the echoed nodeName is not stored');
  const after = podView(next, status, { spec: 5, status: 2 }, { name: 'i-0abc' });
  assert.deepEqual([after.metadata?.labels, after.spec?.nodeName, after.spec?.containers[0]?.image], [{ tier: 'web' }, 'i-0abc', 'nginx:1.28']);
});

test('a delete makes the pod Terminating with its grace period; a second delete may only shorten it', () => {
  const spec = made();
  const deleted = deletePod(spec, T0 + 60_000, undefined);
  assert.deepEqual([deleted.desiredStatus, deleted.kube?.deletionTimestamp, deleted.kube?.deletionGracePeriodSeconds, deleted.containers[0]?.stopTimeout], ['STOPPED', '2026-12-07T15:01:30Z', 30, 30]);
  assert.equal(podRow(podView(deleted, status, { spec: 2, status: 2 }, { name: 'i-0abc' }), T0 + 61_000).status, 'Terminating');
  const again = deletePod(deleted, T0 + 65_000, 0);
  assert.deepEqual([again.kube?.deletionTimestamp, again.kube?.deletionGracePeriodSeconds], ['2026-12-07T15:01:05Z', 0]);
  assert.equal(deletePod(again, T0 + 70_000, 60).kube?.deletionGracePeriodSeconds, 0);
});
