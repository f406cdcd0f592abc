import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { TaskRecord } from '../../core/ecs/task.ts';
import type { ContainerDefinition } from '../../core/ecs/task-definition.ts';
import { containerSpecs } from '../../core/ecs/container-spec.ts';
import { specOf } from '../../core/ecs/task-model.ts';
import { containerMetadata, taskMetadata, type MetadataContainer, type MetadataTask } from './view.ts';

const ARN = 'arn:aws:ecs:us-west-2:111122223333:task/default/158d1c8083dd49d6b527399fd6414f5c';
const task = (over: Partial<TaskRecord> = {}): TaskRecord => ({
  taskArn: ARN, clusterArn: 'arn:aws:ecs:us-west-2:111122223333:cluster/default', taskDefinitionArn: 'arn:aws:ecs:us-west-2:111122223333:task-definition/curltest:26',
  overrides: {}, lastStatus: 'RUNNING', desiredStatus: 'RUNNING', containers: [{
    containerArn: 'arn:aws:ecs:us-west-2:111122223333:container/default/158d1c8083dd49d6b527399fd6414f5c/abb51bdd', taskArn: ARN, name: 'curl', image: 'curltest',
    lastStatus: 'RUNNING', networkBindings: [], networkInterfaces: [], healthStatus: 'UNKNOWN', cpu: '10', memory: '128',
  }],
  version: 3, createdAt: 1601599386, group: 'service:MyService', launchType: 'EC2', availabilityZone: 'us-west-2d', attachments: [], healthStatus: 'UNKNOWN', tags: [], enableExecuteCommand: false,
  ...over,
});
const CURL: ContainerDefinition = { name: 'curl', image: '111122223333.dkr.ecr.us-west-2.amazonaws.com/curltest:latest', cpu: 10, memory: 128, logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-group': '/ecs/metadata' } } };
/** The spec the control plane sends for a task record of the curltest definition. */
const spec = (t: TaskRecord) => specOf(t, { family: 'curltest', revision: 26, containerDefinitions: [CURL], volumes: [] });
const def = (d: ContainerDefinition) => containerSpecs([d])[0]!;
const container = (over: Partial<MetadataContainer> = {}): MetadataContainer => ({
  spec: def(CURL),
  containerArn: task().containers[0]!.containerArn,
  runtimeId: '158d1c8083dd49d6b527399fd6414f5c-curl',
  imageId: 'sha256:d691691e9652791a60114e67b365688d20d19940dde7c4736ea30e660d8d3553',
  knownStatus: 'RUNNING',
  createdAt: Date.UTC(2020, 9, 2, 0, 43, 6), startedAt: Date.UTC(2020, 9, 2, 0, 43, 7),
  network: { name: 'curl', ip: '172.17.0.2', networkBindings: [{ bindIP: '0.0.0.0', containerPort: 80, hostPort: 32768, protocol: 'tcp' }], networkInterfaces: [] },
  ...over,
});
const ec2 = (over: Partial<MetadataTask> = {}): MetadataTask => ({
  spec: spec(task()), family: 'curltest', revision: 26, networkMode: 'bridge', knownStatus: 'RUNNING',
  pullStartedAt: 1601599386.2, pullStoppedAt: 1601599386.3, containers: [container()], vpcId: 'vpc-1234567890abcdef0',
  clock: { errorBoundMs: 0.446931, measuredAt: Date.UTC(2023, 0, 1), synchronized: true },
  ...over,
});

test('v4 container metadata: the members of AWS\'s example, in its casing and types', () => {
  const c = containerMetadata(ec2(), container(), 'v4');
  assert.deepEqual(Object.keys(c).sort(), [
    'ContainerARN', 'CreatedAt', 'DesiredStatus', 'DockerId', 'DockerName', 'Image', 'ImageID', 'KnownStatus', 'Labels', 'Limits',
    'LogDriver', 'LogOptions', 'Name', 'Networks', 'Ports', 'StartedAt', 'Type',
  ]);
  assert.deepEqual(c.Labels, {
    'com.amazonaws.ecs.cluster': 'default',
    'com.amazonaws.ecs.container-name': 'curl',
    'com.amazonaws.ecs.task-arn': ARN,
    'com.amazonaws.ecs.task-definition-family': 'curltest',
    'com.amazonaws.ecs.task-definition-version': '26',
  });
  assert.deepEqual(c.Limits, { CPU: 10, Memory: 128 });
  assert.deepEqual([c.Type, c.LogDriver, c.CreatedAt], ['NORMAL', 'awslogs', '2020-10-02T00:43:06.000Z']);
  assert.deepEqual(c.Ports, [{ ContainerPort: 80, Protocol: 'tcp', HostPort: 32768, HostIp: '0.0.0.0' }]);
  assert.deepEqual(c.Networks, [{ NetworkMode: 'bridge', IPv4Addresses: ['172.17.0.2'] }]);
});

test('v4 LogOptions: awslogs-stream-prefix becomes the stream it names, awslogs-stream, as the ECS agent hands it to Docker', () => {
  const options = { 'awslogs-group': '/ecs/metadata', 'awslogs-region': 'us-west-2', 'awslogs-stream-prefix': 'ecs', 'awslogs-create-group': 'true' };
  const prefixed = container({ spec: def({ ...CURL, logConfiguration: { logDriver: 'awslogs', options } }) });
  assert.deepEqual(containerMetadata(ec2({ containers: [prefixed] }), prefixed, 'v4').LogOptions, {
    'awslogs-group': '/ecs/metadata', 'awslogs-region': 'us-west-2', 'awslogs-create-group': 'true',
    'awslogs-stream': 'ecs/curl/158d1c8083dd49d6b527399fd6414f5c',
  });
  // No prefix: the options as given (Docker's stream is then the container's id, not an option).
  assert.deepEqual(containerMetadata(ec2(), container(), 'v4').LogOptions, { 'awslogs-group': '/ecs/metadata' });
  // Another driver's options are its own, a prefix-like key included.
  const other = container({ spec: def({ ...CURL, logConfiguration: { logDriver: 'json-file', options: { 'max-size': '10m' } } }) });
  assert.deepEqual(containerMetadata(ec2({ containers: [other] }), other, 'v4').LogOptions, { 'max-size': '10m' });
});

test('v4 task metadata on EC2: Cluster short name, Revision a string, ServiceName and VPCID, ClockDrift; Limits omitted without a task size', () => {
  const t = taskMetadata(ec2(), 'v4');
  assert.deepEqual(Object.keys(t).sort(), [
    'AvailabilityZone', 'ClockDrift', 'Cluster', 'Containers', 'DesiredStatus', 'Family', 'KnownStatus', 'LaunchType', 'PullStartedAt', 'PullStoppedAt',
    'Revision', 'ServiceName', 'TaskARN', 'VPCID',
  ]);
  assert.deepEqual([t.Cluster, t.Revision, t.ServiceName, t.VPCID, t.LaunchType], ['default', '26', 'MyService', 'vpc-1234567890abcdef0', 'EC2']);
  assert.equal(t.PullStartedAt, '2020-10-02T00:43:06.200Z');
  assert.deepEqual(t.ClockDrift, { ClockErrorBound: 0.446931, ReferenceTimestamp: '2023-01-01T00:00:00.000Z', ClockSynchronizationStatus: 'SYNCHRONIZED' });
  assert.equal((t.Containers as unknown[]).length, 1);
});

test('v4 task metadata on Fargate: the cluster ARN, Limits in vCPUs, EphemeralStorageMetrics, awsvpc Networks; no ServiceName or VPCID', () => {
  const m = ec2({
    spec: spec(task({ launchType: 'FARGATE' })), networkMode: 'awsvpc', cpuUnits: 256, memoryMiB: 512, vpcId: undefined,
    subnet: { cidr: '10.0.2.0/24', gateway: '10.0.2.1', prefixLength: 24, region: 'us-west-2' },
    eni: { details: [{ name: 'macAddress', value: '0e:9e:32:c7:48:85' }, { name: 'privateDnsName', value: 'ip-10-0-2-106.us-west-2.compute.internal' }] },
    containers: [container({ network: { name: 'curl', ip: '10.0.2.106', networkBindings: [], networkInterfaces: [] } })],
    ephemeral: { utilizedMiB: 261, reservedMiB: 20496 },
  });
  const t = taskMetadata(m, 'v4');
  assert.equal(t.Cluster, 'arn:aws:ecs:us-west-2:111122223333:cluster/default');
  assert.deepEqual(t.Limits, { CPU: 0.25, Memory: 512 });
  assert.deepEqual(t.EphemeralStorageMetrics, { Utilized: 261, Reserved: 20496 });
  assert.equal(t.ServiceName, undefined);
  assert.equal(t.VPCID, undefined);
  const c = (t.Containers as Record<string, unknown>[])[0]!;
  assert.deepEqual(c.Networks, [{
    NetworkMode: 'awsvpc', IPv4Addresses: ['10.0.2.106'], AttachmentIndex: 0, MACAddress: '0e:9e:32:c7:48:85',
    IPv4SubnetCIDRBlock: '10.0.2.0/24', PrivateDNSName: 'ip-10-0-2-106.us-west-2.compute.internal', SubnetGatewayIpv4Address: '10.0.2.1/24',
  }]);
});

test('v3 leaves out what v4 added: LaunchType, ContainerARN, log settings, ClockDrift, the ENI\'s network details', () => {
  const m = ec2({ networkMode: 'awsvpc', containers: [container({ network: { name: 'curl', ip: '10.0.2.106', networkBindings: [], networkInterfaces: [] } })] });
  const t = taskMetadata(m, 'v3');
  for (const k of ['LaunchType', 'ClockDrift', 'ServiceName', 'VPCID', 'EphemeralStorageMetrics']) assert.equal(k in t, false, k);
  const c = (t.Containers as Record<string, unknown>[])[0]!;
  for (const k of ['ContainerARN', 'LogDriver', 'LogOptions']) assert.equal(k in c, false, k);
  assert.deepEqual(c.Networks, [{ NetworkMode: 'awsvpc', IPv4Addresses: ['10.0.2.106'] }]);
});

test('a stopped container has its exit code and FinishedAt; host mode has a host network and its ports on the host', () => {
  const stopped = containerMetadata(ec2({ networkMode: 'host' }), container({
    knownStatus: 'STOPPED', exitCode: 2, finishedAt: Date.UTC(2020, 9, 2, 1), network: undefined,
    spec: def({ name: 'curl', image: 'x', portMappings: [{ containerPort: 80 }] }),
  }), 'v4');
  assert.deepEqual([stopped.KnownStatus, stopped.ExitCode, stopped.FinishedAt], ['STOPPED', 2, '2020-10-02T01:00:00.000Z']);
  assert.deepEqual(stopped.Networks, [{ NetworkMode: 'host' }]);
  assert.deepEqual(stopped.Ports, [{ ContainerPort: 80, Protocol: 'tcp', HostPort: 80, HostIp: '0.0.0.0' }]);
  assert.deepEqual(stopped.Limits, { CPU: 0 });
});

test('RestartCount: in v4, only for a container with a restart policy', () => {
  const restarted = containerMetadata(ec2(), container({ restartCount: 2 }), 'v4');
  assert.equal(restarted.RestartCount, 2);
  assert.equal('RestartCount' in containerMetadata(ec2(), container(), 'v4'), false);
  assert.equal('RestartCount' in containerMetadata(ec2(), container({ restartCount: 2 }), 'v3'), false);
});
