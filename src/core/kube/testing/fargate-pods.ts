/**
 * A Fargate pod's task as the pods backend makes it and the placer binds it (admitted by a
 * profile `serverless`, on a pool host in us-east-1b), and a status of it running at
 * 10.0.3.7: for the tests of the Fargate node view and the nodes backend.
 */
import type { TaskSpec } from '../../workload/spec.ts';
import type { TaskStatus } from '../../workload/status.ts';
import { defaultPod } from '../pod/defaults.ts';
import { admitFargatePod } from '../pod/fargate.ts';
import { podReservation, podToTaskSpec } from '../pod/to-spec.ts';

export function fargatePodSpec(id = 'a'.repeat(32), name = 'web'): TaskSpec {
  const pod = defaultPod({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'serverless' }, spec: { containers: [{ name: 'app', image: 'busybox' }] } }, undefined);
  const admitted = admitFargatePod(pod, 'serverless', podReservation(pod.spec!));
  const { spec } = podToTaskSpec(admitted, {
    id, now: 1_700_000_000_000, clusterUid: 'uid-demo', fargate: true, ecs: { scope: { account: '000000000000', region: 'us-east-1' }, clusterName: 'default', containerIds: ['c0'] },
    configMap: () => undefined, secret: () => undefined, token: () => 't',
  });
  return { ...spec, placement: { instanceArn: 'arn:aws:ecs:us-east-1:999999999999:container-instance/fargate/p1', availabilityZone: 'us-east-1b', capacityProviderName: 'FARGATE' } };
}

export function fargatePodStatus(o: Partial<TaskStatus> = {}): TaskStatus {
  return {
    lastStatus: 'RUNNING', changes: 3, healthStatus: 'UNKNOWN', startedAt: 1_700_000_100, containers: [],
    attachments: [{ id: 'eni', type: 'ElasticNetworkInterface', status: 'ATTACHED', details: [{ name: 'privateIPv4Address', value: '10.0.3.7' }] }], ...o,
  };
}
