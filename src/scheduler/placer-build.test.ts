import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyReport } from '../core/ecs/task-report.ts';
import { taskView } from '../core/ecs/task.ts';
import { buildTaskDefinition, type RegisterInput } from '../core/ecs/task-definition.ts';
import type { Launch } from './launch.ts';
import { buildTask, fargateFields } from './placer-build.ts';
import type { PlacementInstance } from './types.ts';

const scope = { account: '000000000000', region: 'us-east-1' };
const FARGATE: RegisterInput = { family: 'web', requiresCompatibilities: ['FARGATE'], networkMode: 'awsvpc', cpu: '256', memory: '512', containerDefinitions: [{ name: 'web', image: 'nginx', portMappings: [{ containerPort: 80 }] }] };
const td = buildTaskDefinition(scope, FARGATE, 1, 1, 'arn:aws:iam::000000000000:root');
const POOL_HOST = 'arn:aws:ecs:us-east-1:berth-fargate:container-instance/fargate/0123456789abcdef0123456789abcdef';
const host: PlacementInstance = {
  arn: POOL_HOST, id: '0123456789abcdef0123456789abcdef', status: 'ACTIVE', agentConnected: true, registeredAt: 0,
  attributes: new Map([['ecs.availability-zone', 'us-east-1a'], ['ecs.cpu-architecture', 'x86_64']]),
  cpu: 4096, memory: 8192, eni: 10, portsInUse: new Set(), groups: new Map(), taskCount: 0,
};
let n = 0;
const ids = { taskId: () => (++n).toString(16).padStart(32, '0'), uuid: () => `00000000-0000-4000-8000-${(++n).toString(16).padStart(12, '0')}` };
const launch = (extra: Partial<Launch> = {}): Launch => ({
  scope, cluster: 'c', taskDefinitionArn: td.taskDefinitionArn, count: 1, now: 100, launchType: 'FARGATE',
  networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-1'] } }, ...extra,
});

test("a Fargate task as DescribeTasks answers it: AWS's Fargate members, no containerInstanceArn", () => {
  const task = buildTask(launch(), td, host, 'family:web', ids);
  const view = taskView(task, false);
  assert.equal(view.launchType, 'FARGATE');
  assert.equal(view.platformVersion, '1.4.0');
  assert.equal(view.platformFamily, 'Linux');
  assert.equal(view.availabilityZone, 'us-east-1a');
  assert.deepEqual(view.ephemeralStorage, { sizeInGiB: 20 });
  assert.deepEqual(view.attributes, [{ name: 'ecs.cpu-architecture', value: 'x86_64' }]);
  assert.equal('containerInstanceArn' in view, false, "a Fargate task's view has no container instance");
  // The record keeps the pool host, for the agent and the pool's usage.
  assert.equal(task.containerInstanceArn, POOL_HOST);
  // AWS's describe-tasks of a task run with launchType FARGATE names no capacity provider (the
  // placer names FARGATE or FARGATE_SPOT for a strategy's share).
  assert.equal('capacityProviderName' in view, false);
  assert.deepEqual(view.attachments.map((a) => [a.type, a.status, a.details]), [['ElasticNetworkInterface', 'PRECREATED', [{ name: 'subnetId', value: 'subnet-1' }]]]);
});

test('an EC2 task keeps its container instance and provider, and gets none of the Fargate members', () => {
  const ec2 = taskView(buildTask(launch({ launchType: 'EC2' }), td, { ...host, capacityProvider: 'hosts' }, 'family:web', ids), false);
  assert.equal(ec2.containerInstanceArn, POOL_HOST);
  assert.equal(ec2.capacityProviderName, 'hosts');
  for (const member of ['platformVersion', 'platformFamily', 'ephemeralStorage']) assert.equal(member in ec2, false, member);
});

test('the ephemeral storage is the override\'s, else the definition\'s; the architecture the host\'s, else the definition\'s', () => {
  const big = buildTaskDefinition(scope, { ...FARGATE, ephemeralStorage: { sizeInGiB: 100 }, runtimePlatform: { cpuArchitecture: 'ARM64' } }, 2, 1, 'x');
  assert.deepEqual(fargateFields({}, big).ephemeralStorage, { sizeInGiB: 100 });
  assert.deepEqual(fargateFields({ overrides: { ephemeralStorage: { sizeInGiB: 150 } } }, big).ephemeralStorage, { sizeInGiB: 150 });
  assert.deepEqual(fargateFields({}, big).attributes, [{ name: 'ecs.cpu-architecture', value: 'arm64' }]);
  assert.deepEqual(fargateFields({}, big, 'x86_64').attributes, [{ name: 'ecs.cpu-architecture', value: 'x86_64' }]);
  assert.equal(fargateFields({ platformVersion: '1.4.0' }, big).platformVersion, '1.4.0');
});

test("the agent's report gives the ENI attachment and the isolation, shown as AWS shapes it and as the berth.isolation attribute", () => {
  const task = buildTask(launch(), td, host, 'family:web', ids);
  const eni = {
    id: task.attachments[0]!.id, type: 'ElasticNetworkInterface', status: 'ATTACHED',
    details: [
      { name: 'subnetId', value: 'subnet-1' }, { name: 'networkInterfaceId', value: 'eni-0123456789abcdef0' }, { name: 'macAddress', value: '0e:76:83:01:17:a9' },
      { name: 'privateDnsName', value: 'ip-10-0-1-41.ec2.internal' }, { name: 'privateIPv4Address', value: '10.0.1.41' },
    ],
  };
  const reported = applyReport(task, {
    taskArn: task.taskArn, status: 'RUNNING', attachments: [eni], isolation: 'gvisor',
    containers: [{ name: 'web', status: 'RUNNING', networkInterfaces: [{ attachmentId: eni.id, privateIpv4Address: '10.0.1.41' }] }],
  }, 110)!;
  assert.equal(reported.isolation, 'gvisor');
  const view = taskView(reported, false);
  assert.deepEqual(view.attachments, [eni]);
  assert.deepEqual(view.attributes, [{ name: 'ecs.cpu-architecture', value: 'x86_64' }, { name: 'berth.isolation', value: 'gvisor' }]);
  assert.equal('isolation' in view, false, "the record's isolation is Berth's own: an attribute in the view");
  assert.deepEqual(view.containers[0]!.networkInterfaces, [{ attachmentId: eni.id, privateIpv4Address: '10.0.1.41' }]);
});
