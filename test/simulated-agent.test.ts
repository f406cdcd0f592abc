/**
 * The benchmarks' simulated agent (bench/sim/simulated-agent.ts) against a real `berth up
 * --no-agent`: its instances join through the join path and show as ACTIVE, connected,
 * with the CPU, memory and zone they were given and the `berth.simulated` attribute; RunTask
 * tasks reach RUNNING (with a dynamic host port bound), StopTask tasks reach STOPPED; and a
 * killed control plane finds the sessions back after its restart.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { ecsClient, type EcsClient } from '../bench/lib/aws-json.ts';
import { SIMULATED_ATTRIBUTE, SimulatedAgent } from '../bench/sim/simulated-agent.ts';
import { startBerth, type BerthProcess } from './support/berth.ts';

const CLUSTER = 'sim';
const INSTANCES = 6;

interface Task { taskArn: string; lastStatus: string; containerInstanceArn: string; containers: { networkBindings: { hostPort: number }[] }[] }

let berth: BerthProcess;
let ecs: EcsClient;
let agent: SimulatedAgent | undefined;

before(async () => {
  berth = await startBerth();
  ecs = ecsClient(berth.endpoint);
  await ecs.ok('CreateCluster', { clusterName: CLUSTER });
  await ecs.ok('RegisterTaskDefinition', {
    family: 'sim-web', requiresCompatibilities: ['EC2'],
    containerDefinitions: [{ name: 'web', image: 'busybox', cpu: 256, memory: 512, essential: true, portMappings: [{ containerPort: 80, hostPort: 0 }] }],
  });
});

after(async () => {
  agent?.close();
  ecs?.close();
  await berth?.stop();
});

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

async function describe(arns: string[]): Promise<Task[]> {
  return (await ecs.ok<{ tasks: Task[] }>('DescribeTasks', { cluster: CLUSTER, tasks: arns })).tasks;
}

test('simulated instances join through the join path and keep sessions', async () => {
  const started = await SimulatedAgent.start({ endpoint: berth.endpoint, joinToken: berth.joinToken(), cluster: CLUSTER, instances: INSTANCES, cpu: 2048, memory: 4096 });
  agent = started.agent;
  assert.equal(agent.instances.length, INSTANCES);
  assert.equal(agent.stats().connected, INSTANCES);
  const arns = (await ecs.ok<{ containerInstanceArns: string[] }>('ListContainerInstances', { cluster: CLUSTER })).containerInstanceArns;
  assert.equal(arns.length, INSTANCES);
  const { containerInstances } = await ecs.ok<{ containerInstances: { containerInstanceArn: string; status: string; agentConnected: boolean; registeredResources: { name: string; integerValue?: number }[]; attributes: { name: string; value?: string }[] }[] }>(
    'DescribeContainerInstances', { cluster: CLUSTER, containerInstances: arns });
  const zones = new Map<string, number>();
  for (const ci of containerInstances) {
    assert.equal(ci.status, 'ACTIVE');
    assert.equal(ci.agentConnected, true);
    assert.equal(ci.registeredResources.find((r) => r.name === 'CPU')?.integerValue, 2048);
    assert.equal(ci.registeredResources.find((r) => r.name === 'MEMORY')?.integerValue, 4096);
    assert.ok(ci.attributes.some((a) => a.name === SIMULATED_ATTRIBUTE), 'marked simulated');
    const zone = ci.attributes.find((a) => a.name === 'ecs.availability-zone')?.value ?? 'none';
    zones.set(zone, (zones.get(zone) ?? 0) + 1);
  }
  assert.deepEqual(Object.fromEntries(zones), { 'us-east-1a': 2, 'us-east-1b': 2, 'us-east-1c': 2 });
});

test('tasks placed on simulated instances are reported RUNNING, then STOPPED when stopped', async () => {
  const run = await ecs.ok<{ tasks: Task[]; failures: unknown[] }>('RunTask', { cluster: CLUSTER, taskDefinition: 'sim-web', count: 10 });
  assert.equal(run.tasks.length, 10, JSON.stringify(run.failures));
  const arns = run.tasks.map((t) => t.taskArn);
  const running = await until('10 tasks RUNNING', async () => {
    const ts = await describe(arns);
    return ts.every((t) => t.lastStatus === 'RUNNING') ? ts : undefined;
  });
  for (const t of running) assert.ok(t.containers[0]!.networkBindings[0]!.hostPort >= 49_153, 'a dynamic host port is bound');
  assert.equal(agent!.stats().running, 10);
  await ecs.ok('StopTask', { cluster: CLUSTER, task: arns[0], reason: 'test' });
  await until('the stopped task STOPPED', async () => ((await describe([arns[0]!]))[0]!.lastStatus === 'STOPPED' ? true : undefined));
  assert.equal(agent!.stats().stoppedReports, 1);
  await until('every report acknowledged', async () => (agent!.stats().unacknowledged === 0 ? true : undefined));
});

test('the sessions come back after the control plane is killed and restarted', async () => {
  await berth.kill9();
  await until('every session down', async () => (agent!.stats().connected === 0 ? true : undefined));
  await berth.restart();
  await until('every session back', async () => (agent!.stats().connected === INSTANCES ? true : undefined));
  const run = await ecs.ok<{ tasks: Task[] }>('RunTask', { cluster: CLUSTER, taskDefinition: 'sim-web', count: 2 });
  const arns = run.tasks.map((t) => t.taskArn);
  await until('new tasks RUNNING after the restart', async () => ((await describe(arns)).every((t) => t.lastStatus === 'RUNNING') ? true : undefined));
});
