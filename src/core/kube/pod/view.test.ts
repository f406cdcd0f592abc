import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { TaskSpec } from '../../workload/spec.ts';
import type { ContainerStatus, TaskStatus } from '../../workload/status.ts';
import { defaultPod } from './defaults.ts';
import { podRow } from './printer.ts';
import { podToTaskSpec } from './to-spec.ts';
import type { Container, Pod } from './types.ts';
import { podView } from './view.ts';

const ID = 'aaaaaaaabbbbccccddddeeeeeeeeeeee';
const T0 = Date.parse('2026-12-07T15:00:00Z');
const s = (sec: number) => T0 / 1000 + sec;
const node = { name: 'i-0abc', ip: '10.0.0.5' };

function task(pod: Pod, placed = true): TaskSpec {
  const { spec } = podToTaskSpec(defaultPod(pod, { rng: () => 0 }), {
    id: ID, now: T0, clusterUid: 'c', ecs: { scope: { account: '000000000000', region: 'us-east-1' }, clusterName: 'k', containerIds: ['1', '2', '3'] },
    configMap: () => ({ data: { 'ca.crt': 'CA' } }), secret: () => undefined, token: () => 't',
  });
  return placed ? { ...spec, placement: { instanceArn: 'arn:aws:ecs:us-east-1:000000000000:container-instance/k/x' } } : spec;
}
const manifest = (restartPolicy: 'Always' | 'Never' = 'Always'): Pod => ({
  apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', namespace: 'shop', labels: { app: 'web' } },
  spec: {
    restartPolicy,
    initContainers: [{ name: 'init', image: 'busybox:1.36' }],
    containers: [{ name: 'app', image: 'nginx:1.27', resources: { requests: { cpu: '1', memory: '1Gi' }, limits: { cpu: '1', memory: '1Gi' } } }],
  },
});
const container = (name: string, o: Partial<ContainerStatus> = {}): ContainerStatus =>
  ({ name, lastStatus: 'PENDING', networkBindings: [], networkInterfaces: [], healthStatus: 'UNKNOWN', ...o });
const status = (o: Partial<TaskStatus>, containers: ContainerStatus[]): TaskStatus => ({
  lastStatus: 'PROVISIONING', changes: 0, healthStatus: 'UNKNOWN',
  attachments: [{ id: 'eni-1', type: 'ElasticNetworkInterface', status: 'ATTACHED', details: [{ name: 'privateIPv4Address', value: '10.0.1.7' }] }],
  containers, ...o,
});
const row = (spec: TaskSpec, st: TaskStatus, deleting = false) => {
  const pod = podView(deleting ? { ...spec, kube: { ...spec.kube!, deletionTimestamp: '2026-12-07T15:05:00Z' } } : spec, st, { spec: 3, status: 9 }, node);
  return podRow(pod, T0 + 120_000);
};

test('metadata and spec come from the kube part, nodeName from the placement, resourceVersion the later revision', () => {
  const spec = task(manifest());
  const pod = podView(spec, status({}, []), { spec: 12, status: 7 }, node);
  assert.deepEqual(pod.metadata, { name: 'web', namespace: 'shop', uid: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee', resourceVersion: '12', creationTimestamp: '2026-12-07T15:00:00Z', labels: { app: 'web' } });
  assert.deepEqual(pod.spec, { ...spec.kube!.podSpec, nodeName: 'i-0abc' });
  // The init container asks for nothing: Burstable (Guaranteed needs every container's limits equal to its requests).
  assert.equal(pod.status?.qosClass, 'Burstable');
});

test('an unplaced pod is Pending with no conditions, or PodScheduled False once the placer found no node', () => {
  const pod = podView(task(manifest(), false), status({}, []), { spec: 1, status: 1 });
  assert.deepEqual(pod.status, { phase: 'Pending', qosClass: 'Burstable' });
  assert.equal(pod.spec?.nodeName, undefined);
  assert.deepEqual(podRow(pod, T0), { ready: '0/1', status: 'Pending', restarts: '0', ip: '<none>', node: '<none>', nominatedNode: '<none>', readinessGates: '<none>' });
  const message = "0/2 nodes are available: 2 node(s) didn't match Pod's node affinity/selector. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.";
  const waiting = podView(task(manifest(), false), status({ unschedulable: { message, at: s(4) } }, []), { spec: 1, status: 2 });
  assert.deepEqual(waiting.status?.conditions, [{ type: 'PodScheduled', status: 'False', lastProbeTime: null, lastTransitionTime: '2026-12-07T15:00:04Z', reason: 'Unschedulable', message }]);
  assert.equal(podRow(waiting, T0).status, 'Pending');
});

test('placed and starting: init runs first (Init:0/1), then the app container is created', () => {
  const spec = task(manifest());
  const starting = podView(spec, status({ lastStatus: 'PENDING' }, []), { spec: 1, status: 2 }, node);
  assert.equal(starting.status?.phase, 'Pending');
  assert.deepEqual(starting.status?.conditions?.map((c) => `${c.type}=${c.status}`), ['PodReadyToStartContainers=False', 'Initialized=False', 'Ready=False', 'ContainersReady=False', 'PodScheduled=True']);
  assert.equal(starting.status?.conditions?.[1]?.message, 'containers with incomplete status: [init]');
  assert.deepEqual(starting.status?.containerStatuses?.[0]?.state, { waiting: { reason: 'PodInitializing' } });
  assert.deepEqual(starting.status?.initContainerStatuses?.[0]?.state, { waiting: { reason: 'PodInitializing' } });
  assert.equal(row(spec, status({ lastStatus: 'PENDING' }, [])).status, 'Init:0/1');
  const initDone = status({ lastStatus: 'ACTIVATING', pullStartedAt: s(1) }, [container('init', { lastStatus: 'STOPPED', exitCode: 0 })]);
  assert.equal(row(spec, initDone).status, 'PodInitializing');
});

test('running: Running with every condition True, addresses, container ids and image ids', () => {
  const spec = task(manifest());
  const st = status({ lastStatus: 'RUNNING', pullStartedAt: s(1), startedAt: s(3) }, [
    container('init', { lastStatus: 'STOPPED', exitCode: 0, runtimeId: 'r-init' }),
    container('app', { lastStatus: 'RUNNING', runtimeId: 'r-app', imageDigest: 'sha256:abc' }),
  ]);
  const pod = podView(spec, st, { spec: 1, status: 5 }, node);
  assert.equal(pod.status?.phase, 'Running');
  assert.ok(pod.status?.conditions?.every((c) => c.status === 'True'));
  assert.deepEqual([pod.status?.podIP, pod.status?.podIPs, pod.status?.hostIP, pod.status?.startTime], ['10.0.1.7', [{ ip: '10.0.1.7' }], '10.0.0.5', '2026-12-07T15:00:01Z']);
  assert.deepEqual(pod.status?.containerStatuses, [{
    name: 'app', state: { running: { startedAt: '2026-12-07T15:00:03Z' } }, lastState: {}, ready: true, restartCount: 0,
    image: 'nginx:1.27', imageID: 'nginx@sha256:abc', containerID: 'berth://r-app', started: true,
  }]);
  assert.equal(pod.status?.initContainerStatuses?.[0]?.state?.terminated?.reason, 'Completed');
  assert.deepEqual(row(spec, st), { ready: '1/1', status: 'Running', restarts: '0', ip: '10.0.1.7', node: 'i-0abc', nominatedNode: '<none>', readinessGates: '<none>' });
  assert.equal(row(spec, st, true).status, 'Terminating');
});

test('a crashing container: CrashLoopBackOff, its restarts and when the last was', () => {
  const spec = task(manifest());
  const st = status({ lastStatus: 'RUNNING', startedAt: s(3) }, [
    container('init', { lastStatus: 'STOPPED', exitCode: 0 }),
    container('app', { lastStatus: 'STOPPED', exitCode: 1, restartCount: 3, waiting: { reason: 'CrashLoopBackOff', message: 'back-off 40s restarting failed container=app' }, lastTermination: { exitCode: 1, finishedAt: s(60) } }),
  ]);
  const pod = podView(spec, st, { spec: 1, status: 5 }, node);
  assert.deepEqual(pod.status?.containerStatuses?.[0]?.lastState, { terminated: { exitCode: 1, reason: 'Error', finishedAt: '2026-12-07T15:01:00Z' } });
  assert.deepEqual(row(spec, st), { ready: '0/1', status: 'CrashLoopBackOff', restarts: '3 (60s ago)', ip: '10.0.1.7', node: 'i-0abc', nominatedNode: '<none>', readinessGates: '<none>' });
});

test('stopped: Succeeded (Completed) when every container exited 0, else Failed (Error); deleting a finished pod is not Terminating', () => {
  const spec = task(manifest('Never'));
  const done = (code: number) => status({ lastStatus: 'STOPPED', startedAt: s(3), stoppedAt: s(9) }, [
    container('init', { lastStatus: 'STOPPED', exitCode: 0 }), container('app', { lastStatus: 'STOPPED', exitCode: code }),
  ]);
  const ok = podView(spec, done(0), { spec: 1, status: 5 }, node);
  assert.equal(ok.status?.phase, 'Succeeded');
  assert.deepEqual(ok.status?.conditions?.find((c) => c.type === 'Ready'), { type: 'Ready', status: 'False', lastProbeTime: null, lastTransitionTime: '2026-12-07T15:00:03Z', reason: 'PodCompleted' });
  assert.equal(row(spec, done(0)).status, 'Completed');
  assert.equal(podView(spec, done(2), { spec: 1, status: 5 }, node).status?.phase, 'Failed');
  assert.equal(row(spec, done(2)).status, 'Error');
  assert.equal(row(spec, done(2), true).status, 'Error');
  const failedInit = status({ lastStatus: 'STOPPED', stoppedAt: s(9) }, [container('init', { lastStatus: 'STOPPED', exitCode: 3 })]);
  assert.equal(row(spec, failedInit).status, 'Init:Error');
});

test('a container waiting on a missing ConfigMap key shows the kubelet reason', () => {
  const pod = manifest();
  pod.spec!.containers[0]!.env = [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'nope' } } }];
  const spec = task(pod);
  const st = status({ lastStatus: 'ACTIVATING' }, [container('init', { lastStatus: 'STOPPED', exitCode: 0 })]);
  assert.deepEqual(podView(spec, st, { spec: 1, status: 1 }, node).status?.containerStatuses?.[0]?.state, { waiting: { reason: 'CreateContainerConfigError', message: "couldn't find key nope in ConfigMap shop/cfg" } });
  assert.equal(row(spec, st).status, 'CreateContainerConfigError');
});

test('without init containers a container not created yet is ContainerCreating; QoS classes as the API server names them', () => {
  const plain = (resources: Container['resources']): Pod =>
    ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default' }, spec: { containers: [{ name: 'a', image: 'a:1', resources }] } });
  const spec = task(plain({}));
  assert.equal(row(spec, status({ lastStatus: 'PENDING' }, [])).status, 'ContainerCreating');
  assert.equal(podView(spec, status({}, []), { spec: 1, status: 1 }).status?.qosClass, 'BestEffort');
  assert.equal(podView(task(plain({ limits: { cpu: '1', memory: '1Gi' } })), status({}, []), { spec: 1, status: 1 }).status?.qosClass, 'Guaranteed');
  assert.equal(podView(task(plain({ requests: { memory: '1Gi' } })), status({}, []), { spec: 1, status: 1 }).status?.qosClass, 'Burstable');
});
