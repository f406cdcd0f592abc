// One host, two registrations, one capacity, end to end: `berth up`'s host is its cluster's
// container instance AND a Fargate pool host; EC2 and Fargate tasks share its one CPU, so a
// host full of EC2 tasks answers a Fargate launch with AWS's capacity failure, and the
// reverse. The id linking the two registrations (berth.host) is the agent's, not the user's.
// Host-touching: run under flock /tmp/berth-host.lock.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { AWS_CLIS, aws, awsFails } from './support/aws-cli.ts';
import type { BerthProcess } from './support/berth.ts';
import { startBerthWithSamples, stopBerthAndTasks } from './support/berth-with-agent.ts';

let berth: BerthProcess;
const cli = AWS_CLIS[0];
const ecs = <T = Record<string, unknown>>(...args: string[]) => aws<T>(cli, berth.endpoint, ['ecs', ...args]);
const fails = (...args: string[]) => awsFails(cli, berth.endpoint, ['ecs', ...args]);

interface RunAnswer { tasks: { taskArn: string }[]; failures: { arn: string; reason: string }[] }
interface Resource { name: string; integerValue?: number }
const NETWORK = 'awsvpcConfiguration={subnets=[subnet-berth],assignPublicIp=DISABLED}';
const CAPACITY_UNAVAILABLE = 'Capacity is unavailable at this time. Please try again later or in a different availability zone';
/** The host's CPU units (cores × 1024), registered on both its instances: `cores` tasks of 1 vCPU fill it. */
const CORES = availableParallelism();

const runEc2 = (count: number) => ecs<RunAnswer>('run-task', '--launch-type', 'EC2', '--task-definition', 'ec2-vcpu', '--count', String(count));
const runFargate = (count: number) => ecs<RunAnswer>('run-task', '--launch-type', 'FARGATE', '--task-definition', 'fg-vcpu', '--count', String(count), '--network-configuration', NETWORK);

async function stopAll(arns: string[]): Promise<void> {
  for (const t of arns) await ecs('stop-task', '--task', t);
  if (arns.length) await ecs('wait', 'tasks-stopped', '--tasks', ...arns);
}

before(async () => {
  berth = await startBerthWithSamples();
  // 1 vCPU each, little memory: the host's CPU is what they fill.
  await ecs('register-task-definition', '--cli-input-json', JSON.stringify({
    family: 'ec2-vcpu', containerDefinitions: [{ name: 'web', image: 'berth/web', cpu: 1024, memory: 64, essential: true, stopTimeout: 2 }],
  }));
  await ecs('register-task-definition', '--cli-input-json', JSON.stringify({
    family: 'fg-vcpu', networkMode: 'awsvpc', requiresCompatibilities: ['FARGATE'], cpu: '1024', memory: '2048',
    containerDefinitions: [{ name: 'web', image: 'berth/web', memory: 64, essential: true, stopTimeout: 2 }],
  }));
});

after(async () => {
  await stopBerthAndTasks(berth, ecs);
});

describe('one host, two registrations, one capacity', () => {
  test('the host\'s instance carries the agent\'s berth.host id; PutAttributes and DeleteAttributes refuse it', async () => {
    const hostId = readFileSync(join(berth.dataDir, 'agent', 'host-id'), 'utf8').trim();
    const listed = await ecs<{ attributes: { name: string; value: string; targetId: string }[] }>('list-attributes', '--target-type', 'container-instance', '--attribute-name', 'berth.host');
    assert.deepEqual(listed.attributes.map((a) => a.value), [hostId]);
    const instance = listed.attributes[0]!.targetId;
    for (const op of ['put-attributes', 'delete-attributes']) {
      const err = await fails(op, '--attributes', `name=berth.host,value=other,targetId=${instance}`);
      assert.equal(err.code, 'InvalidParameterException', op);
      assert.match(err.message, /berth\.host/);
    }
    // Nor may a caller register an instance claiming a host's id (it would share that host's capacity).
    const claim = await fails('register-container-instance', '--total-resources', 'name=CPU,type=INTEGER,integerValue=1024', '--attributes', `name=berth.host,value=${hostId}`);
    assert.equal(claim.code, 'InvalidParameterException');
    assert.equal((await ecs<{ containerInstanceArns: string[] }>('list-container-instances')).containerInstanceArns.length, 1, 'nothing registered');
    // Another custom attribute still goes on, and the host id stays.
    await ecs('put-attributes', '--attributes', `name=team,value=web,targetId=${instance}`);
    const after = await ecs<{ attributes: { value: string }[] }>('list-attributes', '--target-type', 'container-instance', '--attribute-name', 'berth.host');
    assert.deepEqual(after.attributes.map((a) => a.value), [hostId]);
  });

  test('a host full of EC2 tasks answers a Fargate launch with AWS\'s capacity failure', async () => {
    const filled = await runEc2(CORES);
    assert.deepEqual(filled.failures, []);
    const arns = filled.tasks.map((t) => t.taskArn);
    try {
      const fargate = await runFargate(1);
      assert.deepEqual(fargate.tasks, []);
      assert.deepEqual(fargate.failures.map((f) => f.reason), [CAPACITY_UNAVAILABLE]);
    } finally {
      await stopAll(arns);
    }
    // Stopped, the host's CPU is the pool's again.
    const fargate = await runFargate(1);
    assert.deepEqual(fargate.failures, []);
    await stopAll(fargate.tasks.map((t) => t.taskArn));
  });

  test('a host full of Fargate tasks answers an EC2 launch with RESOURCE:CPU, and DescribeContainerInstances shows no CPU left', async () => {
    const filled = await runFargate(CORES);
    assert.deepEqual(filled.failures, []);
    try {
      const ec2 = await runEc2(1);
      assert.deepEqual(ec2.tasks, []);
      assert.deepEqual(ec2.failures.map((f) => f.reason), ['RESOURCE:CPU']);
      // The instance's remaining resources are the placer's: less the pool side's tasks too.
      const [arn] = (await ecs<{ containerInstanceArns: string[] }>('list-container-instances')).containerInstanceArns;
      const [ci] = (await ecs<{ containerInstances: { runningTasksCount: number; registeredResources: Resource[]; remainingResources: Resource[] }[] }>('describe-container-instances', '--container-instances', arn!)).containerInstances;
      const cpu = (rs: Resource[]) => rs.find((r) => r.name === 'CPU')!.integerValue!;
      assert.equal(cpu(ci!.registeredResources), CORES * 1024);
      assert.equal(cpu(ci!.remainingResources), 0, 'its Fargate sibling\'s tasks hold it all');
      assert.equal(ci!.runningTasksCount, 0, 'they are not its own tasks');
    } finally {
      await stopAll(filled.tasks.map((t) => t.taskArn));
    }
  });
});
