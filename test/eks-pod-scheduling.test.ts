// The pod scheduler on a real Berth: two simulated hosts (the benchmarks' scripted agent, no
// containers: it reports each task it is given RUNNING) join cluster default, a node group
// claims them, and pods' tasks made through the task store as the pods backend makes them
// (no host) are placed by Berth's scheduler: a nodeSelector picks the labelled node (kubectl
// label), a taint and a cordon (kubectl taint, cordon) keep pods off, an unfit pod says why in
// its status (PodScheduled False) and is placed once a node fits it (uncordon; a bigger host
// joins the node group). The ECS API shows the pods as tasks of the hosts, RUNNING.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SimulatedAgent } from '../bench/sim/simulated-agent.ts';
import { startServer, type RunningServer } from '../src/server/server.ts';
import { eksKeys } from '../src/core/eks/keys.ts';
import { POD_ECS_CLUSTER } from '../src/core/kube/pod/hosting.ts';
import type { PodSpec } from '../src/core/kube/pod/types.ts';
import { readTask, type StoredTask } from '../src/core/workload/task-store.ts';
import { podTaskId, podTaskOps } from '../src/scheduler/testing/pod-tasks.ts';
import { awsEnv } from './support/aws-cli.ts';
import { run } from './support/run.ts';
import { until } from './support/until.ts';

const SCOPE = { account: '000000000000', region: 'us-east-1' };
let server: RunningServer;
const agents: SimulatedAgent[] = [];
let dataDir: string;
let dir: string;
let clusterUid: string;

const env = () => ({ ...awsEnv(), KUBECONFIG: join(dir, 'config'), KUBECACHEDIR: join(dir, 'cache') });
const aws = async <T = Record<string, unknown>>(...args: string[]): Promise<T> => {
  const r = await run('/usr/bin/aws', ['--endpoint-url', server.url, '--output', 'json', ...args], { env: env() });
  assert.equal(r.code, 0, `aws ${args.join(' ')}: ${r.stderr}`);
  return (r.stdout.trim().startsWith('{') ? JSON.parse(r.stdout) : {}) as T;
};
const kubectl = async (...args: string[]): Promise<string> => {
  const r = await run('kubectl', args, { env: env() });
  assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
};

interface Instance { containerInstanceArn: string; ec2InstanceId: string }
async function instances(): Promise<Instance[]> {
  const arns = (await aws<{ containerInstanceArns: string[] }>('ecs', 'list-container-instances', '--cluster', POD_ECS_CLUSTER)).containerInstanceArns;
  return (await aws<{ containerInstances: Instance[] }>('ecs', 'describe-container-instances', '--cluster', POD_ECS_CLUSTER, '--container-instances', ...arns)).containerInstances;
}
const nodeOf = (arn: string, all: Instance[]) => all.find((i) => i.containerInstanceArn === arn)!.ec2InstanceId.toLowerCase();
const agent = async (instances: number, memory: number, firstIndex: number) => {
  const joinToken = readFileSync(join(dataDir, 'join-token'), 'utf8').trim();
  agents.push((await SimulatedAgent.start({ endpoint: server.url, joinToken, cluster: POD_ECS_CLUSTER, instances, cpu: 2048, memory, firstIndex })).agent);
};

/** Makes pod n as the pods backend does: its task in cluster default with no host. */
async function createPod(n: number, name: string, spec: Partial<PodSpec> = {}): Promise<void> {
  await server.store.txn({ ops: podTaskOps(SCOPE, n, name, clusterUid, spec, Date.now()) });
}
const podTask = async (n: number): Promise<StoredTask> => (await readTask(server.store, { scope: SCOPE, cluster: POD_ECS_CLUSTER, id: podTaskId(n) }))!;
const placedOn = async (n: number): Promise<string | undefined> => (await podTask(n)).spec!.placement.instanceArn;
const describeTask = async (n: number) => (await aws<{ tasks: { lastStatus: string; containerInstanceArn?: string; group: string }[] }>('ecs', 'describe-tasks', '--cluster', POD_ECS_CLUSTER, '--tasks', podTaskId(n))).tasks[0]!;

before(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'berth-eks-podsched-'));
  dir = mkdtempSync(join(tmpdir(), 'berth-eks-podsched-kubeconfig-'));
  server = await startServer({ host: '127.0.0.1', port: 0, dataDir, accountId: SCOPE.account, region: SCOPE.region, log: () => {} });
  await aws('ecs', 'create-cluster', '--cluster-name', POD_ECS_CLUSTER);
  await agent(2, 4096, 0);
  await aws('eks', 'create-cluster', '--name', 'demo', '--role-arn', 'arn:aws:iam::000000000000:role/eks', '--resources-vpc-config', 'subnetIds=subnet-a');
  await aws('eks', 'wait', 'cluster-active', '--name', 'demo');
  await aws('eks', 'create-nodegroup', '--cluster-name', 'demo', '--nodegroup-name', 'workers', '--subnets', 'subnet-a', '--node-role', 'arn:aws:iam::000000000000:role/node', '--scaling-config', 'minSize=1,maxSize=3,desiredSize=2');
  await aws('eks', 'wait', 'nodegroup-active', '--cluster-name', 'demo', '--nodegroup-name', 'workers');
  await aws('eks', 'update-kubeconfig', '--name', 'demo');
  // The cluster's uid (what a pod's task names its cluster by), as the pods backend has it.
  clusterUid = (JSON.parse((await server.store.get(eksKeys.cluster(SCOPE, 'demo')))!.value) as { uid: string }).uid;
});
after(async () => {
  for (const a of agents) a.close();
  await server?.close();
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(dir, { recursive: true, force: true });
});

test('pods are placed on the node group\'s hosts, spread, a nodeSelector picking the labelled node; their agent runs them', async () => {
  const all = await instances();
  const [a, b] = all.map((i) => i.ec2InstanceId.toLowerCase()).sort();
  await kubectl('label', 'node', b!, 'disktype=ssd');
  await createPod(1, 'plain-1');
  await createPod(2, 'plain-2');
  await createPod(3, 'ssd', { nodeSelector: { disktype: 'ssd' } });
  const placed = await until('three pods placed', async () => {
    const arns = await Promise.all([1, 2, 3].map(placedOn));
    return arns.every(Boolean) ? arns as string[] : undefined;
  }, 30_000);
  assert.equal(nodeOf(placed[2]!, all), b, 'the nodeSelector\'s node');
  assert.deepEqual(new Set(placed.slice(0, 2).map((arn) => nodeOf(arn, all))), new Set([a, b]), 'the two plain pods spread over both nodes');
  const task = await until('the agent to run pod 3', async () => {
    const t = await describeTask(3);
    return t.lastStatus === 'RUNNING' ? t : undefined;
  }, 30_000);
  assert.equal(task.containerInstanceArn, placed[2]);
  assert.equal(task.group, 'pod:default/ssd', 'the ECS side shows the pod as a task of its host');
});

test('a taint and a cordon keep a pod off (PodScheduled False with kube-scheduler\'s message); uncordon places it', async () => {
  const [a, b] = (await instances()).map((i) => i.ec2InstanceId.toLowerCase()).sort();
  await kubectl('taint', 'node', a!, 'dedicated=gpu:NoSchedule');
  await kubectl('cordon', b!);
  await createPod(4, 'waits');
  const waiting = await until('pod 4 to be told why', async () => (await podTask(4)).status!.unschedulable, 30_000);
  assert.equal(waiting.message, '0/2 nodes are available: 1 node(s) had untolerated taint {dedicated: gpu}, 1 node(s) were unschedulable. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.');
  assert.equal(await placedOn(4), undefined);
  await kubectl('uncordon', b!);
  const arn = await until('pod 4 placed once the node is uncordoned', () => placedOn(4), 30_000);
  assert.equal(nodeOf(arn, await instances()), b);
  assert.equal((await podTask(4)).status!.unschedulable, undefined, 'PodScheduled turns True');
  // A pod that tolerates the taint may go to the tainted node (nodeName binds it there).
  await createPod(5, 'tolerates', { tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' }], nodeName: a! });
  assert.equal(nodeOf(await until('pod 5 placed', () => placedOn(5), 30_000), await instances()), a);
});

test('a pod no node has room for waits (Insufficient memory) and is placed when a bigger host joins the node group', async () => {
  await createPod(6, 'big', { containers: [{ name: 'app', image: 'busybox', resources: { requests: { memory: '6Gi' } } }] });
  const waiting = await until('pod 6 to be told why', async () => (await podTask(6)).status!.unschedulable, 30_000);
  assert.equal(waiting.message, '0/2 nodes are available: 1 Insufficient memory, 1 node(s) had untolerated taint {dedicated: gpu}. preemption: 0/2 nodes are available: 1 No preemption victims found for incoming pod, 1 Preemption is not helpful for scheduling.');
  await aws('eks', 'update-nodegroup-config', '--cluster-name', 'demo', '--nodegroup-name', 'workers', '--scaling-config', 'minSize=1,maxSize=3,desiredSize=3');
  await agent(1, 16384, 2);
  const arn = await until('pod 6 placed on the new host', () => placedOn(6), 60_000);
  const all = await instances();
  assert.equal(all.length, 3);
  assert.equal(await until('the agent to run pod 6', async () => ((await describeTask(6)).lastStatus === 'RUNNING' ? true : undefined), 30_000), true);
  assert.ok(all.find((i) => i.containerInstanceArn === arn), 'on a host of cluster default');
});
