import { test } from 'node:test';
import assert from 'node:assert/strict';
import { admitPodCreate, admitPodUpdate } from './admit.ts';
import type { Pod } from './types.ts';

const pod = (o: Partial<Pod['spec'] & object> = {}): Pod => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default' }, spec: { containers: [{ name: 'a', image: 'nginx:1.27' }], ...o } });
const admission = { rng: () => 0, serviceAccount: (n: string) => (n === 'default' ? {} : n === 'quiet' ? { automountServiceAccountToken: false } : undefined) };

test('create: decode errors first, then the API server rules, then what Berth cannot run', () => {
  const bad = admitPodCreate(pod({ containers: [{ name: 'a', image: 'x', resources: { limits: { memory: 'lots' } } }] }), admission);
  assert.ok(!bad.ok && 'badRequest' in bad && bad.badRequest.startsWith('quantities must match'));
  const invalid = admitPodCreate(pod({ hostPID: true, containers: [{ name: 'a', image: '' }] }), admission);
  assert.ok(!invalid.ok && 'errors' in invalid);
  assert.deepEqual(invalid.errors.map((e) => e.field), ['spec.containers[0].image'], 'the server errors alone');
  const refused = admitPodCreate(pod({ hostPID: true }), admission);
  assert.ok(!refused.ok && 'errors' in refused);
  assert.deepEqual(refused.errors.map((e) => e.field), ['spec.hostPID']);
  const ok = admitPodCreate(pod(), admission);
  assert.ok(ok.ok);
  assert.equal(ok.pod.spec?.restartPolicy, 'Always');
  assert.equal(ok.pod.spec?.volumes?.length, 1);
});

test('update: a new image is taken, defaults filled in; a new env var is forbidden', () => {
  const created = admitPodCreate(pod(), admission);
  assert.ok(created.ok);
  const next = structuredClone(created.pod);
  next.spec!.containers[0]!.image = 'nginx:1.28';
  delete next.spec!.containers[0]!.terminationMessagePath;
  const updated = admitPodUpdate(next, created.pod);
  assert.ok(updated.ok);
  assert.equal(updated.pod.spec?.containers[0]?.terminationMessagePath, '/dev/termination-log');
  next.spec!.containers[0]!.env = [{ name: 'A', value: '1' }];
  const refused = admitPodUpdate(next, created.pod);
  assert.ok(!refused.ok && 'errors' in refused && refused.errors[0]!.message.startsWith('Forbidden: pod updates may not change fields other than'));
});

test('admission: a missing ServiceAccount or PriorityClass is forbidden; a ServiceAccount may turn the token off; system classes are known', () => {
  const noSa = admitPodCreate(pod({ serviceAccountName: 'builder' }), admission);
  assert.ok(!noSa.ok && 'forbidden' in noSa);
  assert.equal(noSa.forbidden, 'pods "p" is forbidden: error looking up service account default/builder: serviceaccount "builder" not found');
  const noClass = admitPodCreate(pod({ priorityClassName: 'gold' }), admission);
  assert.ok(!noClass.ok && 'forbidden' in noClass && noClass.forbidden === 'pods "p" is forbidden: no PriorityClass with name gold was found');
  const quiet = admitPodCreate(pod({ serviceAccountName: 'quiet', priorityClassName: 'system-node-critical' }), admission);
  assert.ok(quiet.ok);
  assert.deepEqual([quiet.pod.spec?.volumes, quiet.pod.spec?.priority, quiet.pod.spec?.serviceAccount], [undefined, 2000001000, 'quiet']);
  const gold = admitPodCreate(pod({ priorityClassName: 'gold' }), { ...admission, priorityClass: () => ({ value: 1000, preemptionPolicy: 'Never' as const }) });
  assert.ok(gold.ok && gold.pod.spec?.priority === 1000 && gold.pod.spec.preemptionPolicy === 'Never');
});
