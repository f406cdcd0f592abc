/**
 * The Pod view (core/kube/pod) against the Pod schema the API server serves: every field it
 * writes, through a pod's lifecycle, is one the schema (and so kubectl and client libraries)
 * knows.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { admitPodCreate } from '../../core/kube/pod/admit.ts';
import { podToTaskSpec } from '../../core/kube/pod/to-spec.ts';
import { podView } from '../../core/kube/pod/view.ts';
import type { TaskStatus } from '../../core/workload/status.ts';
import { BerthKubeSchemas } from './schema/schemas.ts';

const schemas = new BerthKubeSchemas();
const POD = { group: '', version: 'v1', kind: 'Pod' };

test('the Pod view writes only fields the Pod schema knows, from Pending to a restarted container', () => {
  const admitted = admitPodCreate({
    apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', namespace: 'default', labels: { app: 'web' } },
    spec: {
      initContainers: [{ name: 'init', image: 'busybox' }],
      containers: [{ name: 'nginx', image: 'nginx:1.27', ports: [{ containerPort: 80 }], readinessProbe: { httpGet: { port: 80 } }, resources: { limits: { cpu: '1', memory: '128Mi' } } }],
    },
  }, { rng: () => 0, serviceAccount: () => ({}) });
  assert.ok(admitted.ok);
  const { spec } = podToTaskSpec(admitted.pod, {
    id: '12'.repeat(16), now: Date.parse('2026-12-07T15:00:00Z'), clusterUid: 'c',
    ecs: { scope: { account: '000000000000', region: 'us-east-1' }, clusterName: 'k', containerIds: ['a', 'b'] },
    configMap: () => ({ data: { 'ca.crt': 'CA' } }), secret: () => undefined, token: () => 't',
  });
  const placed = { ...spec, placement: { instanceArn: 'arn:aws:ecs:us-east-1:000000000000:container-instance/k/i' } };
  const base = { changes: 1, healthStatus: 'UNKNOWN' as const, attachments: [{ id: 'e', type: 'ElasticNetworkInterface', status: 'ATTACHED', details: [{ name: 'privateIPv4Address', value: '10.0.1.2' }] }] };
  const t = 1_796_655_600;
  const statuses: TaskStatus[] = [
    { ...base, lastStatus: 'PENDING', containers: [] },
    { ...base, lastStatus: 'RUNNING', startedAt: t, pullStartedAt: t - 1, containers: [
      { name: 'init', lastStatus: 'STOPPED', exitCode: 0, runtimeId: 'r1', networkBindings: [], networkInterfaces: [], healthStatus: 'UNKNOWN' },
      { name: 'nginx', lastStatus: 'RUNNING', runtimeId: 'r2', imageDigest: 'sha256:ab', ready: true, restartCount: 1, lastTermination: { exitCode: 137, reason: 'OOMKilled', startedAt: t, finishedAt: t + 5, runtimeId: 'r0' }, networkBindings: [], networkInterfaces: [], healthStatus: 'UNKNOWN' },
    ] },
    { ...base, lastStatus: 'STOPPED', startedAt: t, stoppedAt: t + 9, containers: [] },
  ];
  for (const [i, status] of statuses.entries()) {
    const pod = podView(i === 0 ? spec : placed, status, { spec: 1, status: i + 1 }, { name: 'i-0abc', ip: '10.0.0.5' });
    assert.deepEqual(schemas.unknownFields(POD, pod), [], `status ${status.lastStatus}`);
  }
  // The check is not vacuous: a field the schema lacks is named.
  const bogus = podView(placed, statuses[1]!, { spec: 1, status: 1 });
  Object.assign(bogus.status!.containerStatuses![0]!, { readyy: true });
  assert.deepEqual(schemas.unknownFields(POD, bogus), ['status.containerStatuses[0].readyy']);
});
