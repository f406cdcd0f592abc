// Nodes with the real kubectl against a real Berth: two simulated hosts join (the benchmarks'
// scripted agent, no containers), a node group claims them, `aws eks update-kubeconfig`, then
// `kubectl get nodes [-o wide]`, `describe node`, `get nodes -w`, `cordon`/`uncordon` (ECS's DRAINING is not
// touched, and a DRAINING instance is a cordoned node kubectl cannot uncordon), `label node`
// (the label is the instance's ECS attribute: ListAttributes and a label selector find the same
// host), `taint node`, a label ECS cannot keep refused, and `delete node` (the host leaves its
// node group, which claims a free host again, as a kubelet re-registers its node).
import { spawn } from 'node:child_process';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SimulatedAgent } from '../bench/sim/simulated-agent.ts';
import { startServer, type RunningServer } from '../src/server/server.ts';
import { awsEnv } from './support/aws-cli.ts';
import { run } from './support/run.ts';
import { until } from './support/until.ts';

let server: RunningServer;
let agent: SimulatedAgent | undefined;
let dataDir: string;
let dir: string;

const env = () => ({ ...awsEnv(), KUBECONFIG: join(dir, 'config'), KUBECACHEDIR: join(dir, 'cache') });
const aws = async <T = Record<string, unknown>>(...args: string[]): Promise<T> => {
  const r = await run('/usr/bin/aws', ['--endpoint-url', server.url, '--output', 'json', ...args], { env: env() });
  assert.equal(r.code, 0, `aws ${args.join(' ')}: ${r.stderr}`);
  // update-kubeconfig answers a sentence, not JSON.
  return (r.stdout.trim().startsWith('{') ? JSON.parse(r.stdout) : {}) as T;
};
const kubectl = async (...args: string[]) => run('kubectl', args, { env: env() });
const ok = async (...args: string[]): Promise<string> => {
  const r = await kubectl(...args);
  assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
};
const names = async (...args: string[]): Promise<string[]> => (await ok('get', 'nodes', '-o', 'name', ...args)).trim().split('\n').filter(Boolean).sort();


before(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'berth-eks-nodes-'));
  dir = mkdtempSync(join(tmpdir(), 'berth-eks-nodes-kubeconfig-'));
  server = await startServer({ host: '127.0.0.1', port: 0, dataDir, accountId: '000000000000', region: 'us-east-1', log: () => {} });
  await aws('ecs', 'create-cluster', '--cluster-name', 'default');
  const joinToken = readFileSync(join(dataDir, 'join-token'), 'utf8').trim();
  agent = (await SimulatedAgent.start({ endpoint: server.url, joinToken, cluster: 'default', instances: 2, cpu: 2048, memory: 4096 })).agent;
  await aws('eks', 'create-cluster', '--name', 'demo', '--role-arn', 'arn:aws:iam::000000000000:role/eks', '--resources-vpc-config', 'subnetIds=subnet-a');
  await aws('eks', 'wait', 'cluster-active', '--name', 'demo');
  await aws('eks', 'create-nodegroup', '--cluster-name', 'demo', '--nodegroup-name', 'workers', '--subnets', 'subnet-a', '--node-role', 'arn:aws:iam::000000000000:role/node', '--scaling-config', 'minSize=1,maxSize=2,desiredSize=2');
  await aws('eks', 'wait', 'nodegroup-active', '--cluster-name', 'demo', '--nodegroup-name', 'workers');
  await aws('eks', 'update-kubeconfig', '--name', 'demo');
});
after(async () => {
  agent?.close();
  await server?.close();
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(dir, { recursive: true, force: true });
});

interface Instance { containerInstanceArn: string; ec2InstanceId: string; status: string; attributes: { name: string; value?: string }[] }
async function instances(): Promise<Instance[]> {
  const arns = (await aws<{ containerInstanceArns: string[] }>('ecs', 'list-container-instances', '--cluster', 'default')).containerInstanceArns;
  return (await aws<{ containerInstances: Instance[] }>('ecs', 'describe-container-instances', '--cluster', 'default', '--container-instances', ...arns)).containerInstances;
}

test('kubectl get nodes [-o wide] and describe node show the hosts the node group claimed', async () => {
  const nodes = await until('two nodes', async () => {
    const n = await names();
    return n.length === 2 ? n : undefined;
  }, 30_000);
  const ids = (await instances()).map((i) => `node/${i.ec2InstanceId.toLowerCase()}`).sort();
  assert.deepEqual(nodes, ids, 'a node per claimed instance, named by its instance id');

  const table = (await ok('get', 'nodes')).trim().split('\n');
  assert.match(table[0]!, /^NAME\s+STATUS\s+ROLES\s+AGE\s+VERSION$/);
  for (const row of table.slice(1)) assert.match(row, /^i-\S+\s+Ready\s+<none>\s+\S+\s+v1\.32\.0-eks-berth$/);
  const wide = (await ok('get', 'nodes', '-o', 'wide')).trim().split('\n');
  assert.match(wide[0]!, /^NAME\s+STATUS\s+ROLES\s+AGE\s+VERSION\s+INTERNAL-IP\s+EXTERNAL-IP\s+OS-IMAGE\s+KERNEL-VERSION\s+CONTAINER-RUNTIME$/);
  // INTERNAL-IP: the address each host's agent connects from (its hello's hostAddress); no external one.
  for (const row of wide.slice(1)) assert.match(row, /\s\d{1,3}(?:\.\d{1,3}){3}\s+<none>\s+Linux\s+<unknown>\s+berth:\/\/\S+-simulated$/);

  const name = nodes[0]!.slice('node/'.length);
  const describe = await ok('describe', 'node', name);
  assert.match(describe, new RegExp(`^Name:\\s+${name}$`, 'm'));
  // The simulated agent's own custom attribute is a label too, as every custom ECS attribute that can be one.
  assert.match(describe, /^Labels:\s+berth\.simulated=true\n\s+beta\.kubernetes\.io\/arch=amd64$/m);
  assert.match(describe, /^Non-terminated Pods:\s+\(0 in total\)$/m);
  assert.match(describe, /eks\.amazonaws\.com\/nodegroup=workers/);
  assert.match(describe, /^Unschedulable:\s+false$/m);
  assert.match(describe, /^\s+Ready\s+True\s.*KubeletReady/m);
  assert.match(describe, /^Capacity:\n\s+cpu:\s+2\n/m);
});

test('cordon and uncordon: SchedulingDisabled without ECS DRAINING; a DRAINING instance is cordoned and kubectl cannot uncordon it', async () => {
  const name = (await names())[0]!.slice('node/'.length);
  // A watcher (kubectl get -w, Table rows per event) sees the cordon as it happens.
  const watcher = spawn('kubectl', ['get', 'nodes', '-w', '--output-watch-events', '--no-headers'], { env: { ...process.env, ...env() } });
  let watched = '';
  watcher.stdout.on('data', (c: Buffer) => (watched += c.toString()));
  try {
    await until('the watch to list the nodes', async () => (watched.split('\n').filter((l) => l.startsWith('ADDED')).length === 2 ? true : undefined), 30_000);
    assert.equal((await ok('cordon', name)).trim(), `node/${name} cordoned`);
    await until('the watch to see the cordon', async () => (new RegExp(`^MODIFIED\\s+${name}\\s+Ready,SchedulingDisabled\\s`, 'm').test(watched) ? true : undefined), 30_000);
  } finally {
    watcher.kill();
  }
  assert.match(await ok('get', 'node', name, '--no-headers'), /\sReady,SchedulingDisabled\s/);
  assert.ok((await instances()).every((i) => i.status === 'ACTIVE'), 'kubectl cordon moves no ECS task: the instance stays ACTIVE');
  assert.equal(await ok('get', 'node', name, '-o', 'jsonpath={.spec.taints[*].key}'), 'node.kubernetes.io/unschedulable');
  assert.deepEqual(await names('--field-selector', 'spec.unschedulable=true'), [`node/${name}`]);
  assert.equal((await ok('uncordon', name)).trim(), `node/${name} uncordoned`);
  assert.match(await ok('get', 'node', name, '--no-headers'), /\sReady\s/);

  const arn = (await instances()).find((i) => i.ec2InstanceId.toLowerCase() === name)!.containerInstanceArn;
  await aws('ecs', 'update-container-instances-state', '--cluster', 'default', '--container-instances', arn, '--status', 'DRAINING');
  assert.match(await ok('get', 'node', name, '--no-headers'), /\sReady,SchedulingDisabled\s/);
  const refused = await kubectl('uncordon', name);
  // kubectl 1.32 prints a failed uncordon's error and exits 0 all the same.
  assert.match(refused.stderr, /^error: unable to uncordon node "i-\S+": Node "i-\S+" is invalid: spec\.unschedulable: Forbidden: container instance \S+ is DRAINING in ECS, which keeps its node unschedulable: set it ACTIVE \(aws ecs update-container-instances-state --status ACTIVE\) to uncordon the node/);
  await aws('ecs', 'update-container-instances-state', '--cluster', 'default', '--container-instances', arn, '--status', 'ACTIVE');
  assert.match(await ok('get', 'node', name, '--no-headers'), /\sReady\s/);
});

test('label node: the label is the instance\'s ECS attribute; taint node; a label ECS cannot keep is refused', async () => {
  const name = (await names())[1]!.slice('node/'.length);
  assert.equal((await ok('label', 'node', name, 'disktype=ssd')).trim(), `node/${name} labeled`);
  assert.deepEqual(await names('-l', 'disktype=ssd'), [`node/${name}`]);
  const attrs = await aws<{ attributes: { name: string; value: string; targetId: string }[] }>('ecs', 'list-attributes', '--cluster', 'default', '--target-type', 'container-instance', '--attribute-name', 'disktype');
  assert.deepEqual(attrs.attributes.map((a) => [a.value, a.targetId.split('/').pop()]), [['ssd', (await instances()).find((i) => i.ec2InstanceId.toLowerCase() === name)!.containerInstanceArn.split('/').pop()]]);
  assert.equal((await ok('label', 'node', name, 'disktype-')).trim(), `node/${name} unlabeled`);
  assert.deepEqual(await names('-l', 'disktype'), []);

  const bad = await kubectl('label', 'node', name, 'ecs.os-type=windows');
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, new RegExp(`Node "${name}" is invalid: metadata\\.labels: Forbidden: label "ecs\\.os-type" names an attribute ECS sets itself`));

  assert.equal((await ok('taint', 'node', name, 'dedicated=gpu:NoSchedule')).trim(), `node/${name} tainted`);
  assert.equal(await ok('get', 'node', name, '-o', 'jsonpath={.spec.taints[0].key}={.spec.taints[0].value}:{.spec.taints[0].effect}'), 'dedicated=gpu:NoSchedule');
  assert.match(await ok('describe', 'node', name), /^Taints:\s+dedicated=gpu:NoSchedule$/m);
  assert.equal((await ok('taint', 'node', name, 'dedicated=gpu:NoSchedule-')).trim(), `node/${name} untainted`);
  assert.equal(await ok('get', 'node', name, '-o', 'jsonpath={.spec.taints}'), '');
});

test('delete node: the host leaves the node group (it is not destroyed), which claims a free host again', async () => {
  const name = (await names())[0]!.slice('node/'.length);
  assert.equal((await ok('delete', 'node', name)).trim(), `node "${name}" deleted`);
  const all = await instances();
  assert.equal(all.length, 2, 'the host is still registered');
  // The node group wants two nodes and the released host is free: it is claimed again, a new node.
  await until('the node group whole again', async () => ((await names()).length === 2 ? true : undefined), 30_000).catch(async (e: unknown) => {
    throw new Error(`${String(e)}: ${JSON.stringify(await instances())} ${JSON.stringify(await aws('eks', 'describe-nodegroup', '--cluster-name', 'demo', '--nodegroup-name', 'workers'))}`);
  });
});
