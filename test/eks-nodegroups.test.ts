// A node group is a set of Berth hosts: with three simulated hosts joined (the benchmarks'
// scripted agent, no containers), CreateNodegroup's desiredSize takes that many of them,
// marked with eks.amazonaws.com/nodegroup and eks:cluster-name as the ECS API shows;
// UpdateNodegroupConfig grows and shrinks it, more than there are hosts is DEGRADED, and
// DeleteNodegroup lets every host go. Fargate profiles go CREATING → ACTIVE → gone.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { SimulatedAgent } from '../bench/sim/simulated-agent.ts';
import { AWS_CLIS, aws, awsFails } from './support/aws-cli.ts';
import { startEksBerth, type EksBerth } from './support/eks-berth.ts';
import { until } from './support/until.ts';

const cli = AWS_CLIS[0];
const HOSTS = 3;
let berth: EksBerth;
let agent: SimulatedAgent | undefined;

before(async () => {
  berth = await startEksBerth();
  await aws(cli, berth.endpoint, ['ecs', 'create-cluster', '--cluster-name', 'default']);
  agent = (await SimulatedAgent.start({ endpoint: berth.endpoint, joinToken: berth.joinToken(), cluster: 'default', instances: HOSTS, cpu: 2048, memory: 4096 })).agent;
  await aws(cli, berth.endpoint, ['eks', 'create-cluster', '--name', 'demo', '--role-arn', 'arn:aws:iam::000000000000:role/eks', '--resources-vpc-config', 'subnetIds=subnet-a']);
  await aws(cli, berth.endpoint, ['eks', 'wait', 'cluster-active', '--name', 'demo']);
});
after(async () => {
  agent?.close();
  await berth?.stop();
});

const eks = <T = Record<string, unknown>>(...args: string[]) => aws<T>(cli, berth.endpoint, ['eks', ...args]);

interface Instance { containerInstanceArn: string; attributes: { name: string; value?: string }[] }

/** Which hosts carry which node group, from the ECS API. */
async function nodes(): Promise<Map<string, string>> {
  const arns = (await aws<{ containerInstanceArns: string[] }>(cli, berth.endpoint, ['ecs', 'list-container-instances', '--cluster', 'default'])).containerInstanceArns;
  const { containerInstances } = await aws<{ containerInstances: Instance[] }>(cli, berth.endpoint, ['ecs', 'describe-container-instances', '--cluster', 'default', '--container-instances', ...arns]);
  const out = new Map<string, string>();
  for (const i of containerInstances) {
    const ng = i.attributes.find((a) => a.name === 'eks.amazonaws.com/nodegroup')?.value;
    const cluster = i.attributes.find((a) => a.name === 'eks:cluster-name')?.value;
    if (ng) out.set(i.containerInstanceArn, `${cluster}/${ng}`);
  }
  return out;
}

async function nodegroup(): Promise<{ status: string; health: { issues: { code: string; message: string }[] }; scalingConfig: { desiredSize: number } }> {
  return (await eks<{ nodegroup: Awaited<ReturnType<typeof nodegroup>> }>('describe-nodegroup', '--cluster-name', 'demo', '--nodegroup-name', 'workers')).nodegroup;
}

const settled = (status: string, count: number) => until(`${status} with ${count} nodes`, async () => {
  const [ng, n] = [await nodegroup(), await nodes()];
  return ng.status === status && n.size === count ? n : undefined;
}, 30_000);

test('desiredSize takes that many hosts, grows, shrinks, and lets them all go on delete', async () => {
  const created = await eks<{ nodegroup: { status: string } }>('create-nodegroup', '--cluster-name', 'demo', '--nodegroup-name', 'workers', '--subnets', 'subnet-a', '--node-role', 'arn:aws:iam::000000000000:role/node', '--scaling-config', 'minSize=1,maxSize=5,desiredSize=2');
  assert.equal(created.nodegroup.status, 'CREATING');
  await eks('wait', 'nodegroup-active', '--cluster-name', 'demo', '--nodegroup-name', 'workers');
  const two = await settled('ACTIVE', 2);
  assert.deepEqual([...two.values()], ['demo/workers', 'demo/workers']);

  await eks('update-nodegroup-config', '--cluster-name', 'demo', '--nodegroup-name', 'workers', '--scaling-config', 'desiredSize=3');
  const three = await settled('ACTIVE', 3);
  for (const arn of two.keys()) assert.ok(three.has(arn), 'the hosts it had stay');

  await eks('update-nodegroup-config', '--cluster-name', 'demo', '--nodegroup-name', 'workers', '--scaling-config', 'desiredSize=5');
  await settled('DEGRADED', 3);
  const degraded = await nodegroup();
  assert.equal(degraded.health.issues[0]?.code, 'NodeCreationFailure');
  assert.match(degraded.health.issues[0]!.message, /wants 5 nodes and has 3/);

  await eks('update-nodegroup-config', '--cluster-name', 'demo', '--nodegroup-name', 'workers', '--scaling-config', 'desiredSize=1');
  await settled('ACTIVE', 1);

  const held = await awsFails(cli, berth.endpoint, ['eks', 'delete-cluster', '--name', 'demo']);
  assert.equal(held.code, 'ResourceInUseException');
  await eks('delete-nodegroup', '--cluster-name', 'demo', '--nodegroup-name', 'workers');
  await eks('wait', 'nodegroup-deleted', '--cluster-name', 'demo', '--nodegroup-name', 'workers');
  assert.equal((await nodes()).size, 0, 'no host carries the node group');
  assert.deepEqual((await eks<{ nodegroups: string[] }>('list-nodegroups', '--cluster-name', 'demo')).nodegroups, []);
});

test('Fargate profiles: selectors checked, CREATING → ACTIVE, hold the cluster, then deleted', async () => {
  const role = 'arn:aws:iam::000000000000:role/pods';
  const tooMany = await awsFails(cli, berth.endpoint, ['eks', 'create-fargate-profile', '--cluster-name', 'demo', '--fargate-profile-name', 'p', '--pod-execution-role-arn', role,
    '--selectors', ...['a', 'b', 'c', 'd', 'e', 'f'].map((n) => `namespace=${n}`)]);
  assert.equal(tooMany.code, 'InvalidParameterException');
  assert.match(tooMany.message, /at most 5 selectors/);
  const made = await eks<{ fargateProfile: { status: string; selectors: unknown[] } }>('create-fargate-profile', '--cluster-name', 'demo', '--fargate-profile-name', 'serverless', '--pod-execution-role-arn', role, '--selectors', 'namespace=serverless,labels={tier=web}');
  assert.equal(made.fargateProfile.status, 'CREATING');
  assert.deepEqual(made.fargateProfile.selectors, [{ namespace: 'serverless', labels: { tier: 'web' } }]);
  await eks('wait', 'fargate-profile-active', '--cluster-name', 'demo', '--fargate-profile-name', 'serverless');
  assert.deepEqual((await eks<{ fargateProfileNames: string[] }>('list-fargate-profiles', '--cluster-name', 'demo')).fargateProfileNames, ['serverless']);
  const held = await awsFails(cli, berth.endpoint, ['eks', 'delete-cluster', '--name', 'demo']);
  assert.deepEqual([held.code, held.message], ['ResourceInUseException', 'Cluster has fargate profiles attached']);
  await eks('delete-fargate-profile', '--cluster-name', 'demo', '--fargate-profile-name', 'serverless');
  await eks('wait', 'fargate-profile-deleted', '--cluster-name', 'demo', '--fargate-profile-name', 'serverless');
  const missing = await awsFails(cli, berth.endpoint, ['eks', 'describe-fargate-profile', '--cluster-name', 'demo', '--fargate-profile-name', 'serverless']);
  assert.deepEqual([missing.code, missing.message], ['ResourceNotFoundException', 'No Fargate Profile found with name: serverless.']);
});
