// Issue 17, "a Fargate profile for one namespace: its pods land in the sandbox", as a user
// tries it: `berth up` (its host serves cluster default and the Fargate pool, gVisor where it
// runs), an EKS cluster with no node group, a Fargate profile for namespace `serverless`, then
// kubectl 1.32: a pod run there is admitted to Fargate (fargate-scheduler, CapacityProvisioned),
// runs on a node of its own (`fargate-ip-…`, compute-type fargate, tainted) that `kubectl get
// pods -o wide` names and that goes with it; `kubectl exec` reaches it in its sandbox (its own
// kernel: gVisor's, not the host's) and `kubectl logs` reads it; its node comes and goes in
// `kubectl get nodes -w` and a @kubernetes/client-node watch of nodes, and takes a label as an
// EKS Fargate node does; a pod of `default` (no node group, no profile) stays Pending with the
// scheduler's message.
// Host-touching (berth up, containers, namespaces, nft tables): run under flock /tmp/berth-host.lock.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import * as k8s from '@kubernetes/client-node';
import { release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { AWS_CLIS, awsEnv } from './support/aws-cli.ts';
import type { BerthProcess } from './support/berth.ts';
import { startBerthWithSamples } from './support/berth-with-agent.ts';
import { keepWatching, kubeConfigWithExecEnv } from './support/client-node.ts';
import { cleanupHost } from './support/host-cleanup.ts';
import { run } from './support/run.ts';
import { until } from './support/until.ts';

let berth: BerthProcess | undefined;
const dir = mkdtempSync(join(tmpdir(), 'berth-eks-fargate-'));
const env = () => ({ ...awsEnv('us-east-1', AWS_CLIS[1]), KUBECONFIG: join(dir, 'config'), KUBECACHEDIR: join(dir, 'cache') });
const aws = async <T = Record<string, unknown>>(...args: string[]): Promise<T> => {
  const r = await run('/usr/bin/aws', ['--endpoint-url', berth!.endpoint, '--output', 'json', ...args], { env: env() });
  assert.equal(r.code, 0, `aws ${args.join(' ')}: ${r.stderr}`);
  return (r.stdout.trim().startsWith('{') ? JSON.parse(r.stdout) : {}) as T;
};
const kubectlResult = (...args: string[]) => run('kubectl', args, { env: env() });
const kubectl = async (...args: string[]): Promise<string> => {
  const r = await kubectlResult(...args);
  assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
};

interface PodObject {
  metadata: { labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: { nodeName?: string; schedulerName?: string };
  status: { phase?: string; podIP?: string; conditions?: { type: string; status: string; reason?: string; message?: string }[] };
}
const pod = async (ns: string, name: string) => JSON.parse(await kubectl('get', 'pod', '-n', ns, name, '-o', 'json')) as PodObject;

/** What the pod prints: a line at start, then a tick every 300 ms. */
const SCRIPT = 'echo hello from fargate; i=0; while true; do echo tick $i; i=$((i+1)); sleep 0.3; done';

before(async () => {
  berth = await startBerthWithSamples();
  await aws('eks', 'create-cluster', '--name', 'demo', '--role-arn', 'arn:aws:iam::000000000000:role/eks', '--resources-vpc-config', 'subnetIds=subnet-a');
  await aws('eks', 'wait', 'cluster-active', '--name', 'demo');
  await aws('eks', 'create-fargate-profile', '--cluster-name', 'demo', '--fargate-profile-name', 'serverless',
    '--pod-execution-role-arn', 'arn:aws:iam::000000000000:role/fargate-pods', '--subnets', 'subnet-a', '--selectors', 'namespace=serverless');
  await aws('eks', 'wait', 'fargate-profile-active', '--cluster-name', 'demo', '--fargate-profile-name', 'serverless');
  await aws('eks', 'update-kubeconfig', '--name', 'demo');
  await kubectl('create', 'namespace', 'serverless');
});

after(async () => {
  if (berth) {
    // Best effort, as after any failure: the pods' tasks stopped the normal way, then Berth.
    await kubectlResult('delete', 'pod', '--all', '-n', 'serverless', '--grace-period=1', '--wait=true', '--timeout=60s').catch(() => undefined);
    await kubectlResult('delete', 'pod', '--all', '-n', 'default', '--grace-period=1', '--wait=true', '--timeout=60s').catch(() => undefined);
    await berth.stop();
  }
  await cleanupHost();
  rmSync(dir, { recursive: true, force: true });
});

test('a pod of the profile\'s namespace runs on Fargate: admitted by EKS\'s rules, on a node of its own, in its own sandbox; exec and logs reach it', async () => {
  // Node watches left running as a user would: kubectl's, and client-node's from a list.
  const watcher = spawn('kubectl', ['get', 'nodes', '-w', '--output-watch-events'], { env: { ...process.env, ...env() }, stdio: ['ignore', 'pipe', 'pipe'] });
  let watched = '';
  watcher.stdout.on('data', (c: Buffer) => (watched += c.toString()));
  const kc = kubeConfigWithExecEnv(join(dir, 'config'), env());
  const listed = await kc.makeApiClient(k8s.CoreV1Api).listNode();
  const nodeWatch = await keepWatching(kc, '/api/v1/nodes', {}, listed.metadata!.resourceVersion!);
  try {
    await podOnItsNode(() => watched, nodeWatch.events);
  } finally {
    watcher.kill();
    nodeWatch.stop();
  }
});

/** The Fargate pod's steps, with the node watches' output so far. */
async function podOnItsNode(watched: () => string, nodeEvents: readonly { type: string; name: string; resourceVersion: string }[]): Promise<void> {
  await kubectl('run', 'web', '-n', 'serverless', '--image=berth/sleep', '--restart=Never', '--', 'sh', '-c', SCRIPT);
  const admitted = await pod('serverless', 'web');
  assert.equal(admitted.spec.schedulerName, 'fargate-scheduler');
  assert.equal(admitted.metadata.labels?.['eks.amazonaws.com/fargate-profile'], 'serverless');
  assert.equal(admitted.metadata.annotations?.CapacityProvisioned, '0.25vCPU 0.5GB', 'no request: the smallest Fargate size');

  const running = await until('the pod Running on its node', async () => {
    const p = await pod('serverless', 'web');
    return p.status.phase === 'Running' && p.spec.nodeName ? p : undefined;
  }, 300_000);
  const node = running.spec.nodeName!;
  assert.equal(node, `fargate-ip-${running.status.podIP!.replaceAll('.', '-')}.us-east-1.compute.internal`, 'named by the pod\'s address');
  assert.match(await kubectl('get', 'pods', '-n', 'serverless', '-o', 'wide'), new RegExp(`web\\s+1/1\\s+Running\\s+0\\s+\\S+\\s+${running.status.podIP!.replaceAll('.', '\\.')}\\s+${node.replaceAll('.', '\\.')}`));

  const esc = node.replaceAll('.', '\\.');
  await until('the node ADDED in kubectl get nodes -w', async () => (new RegExp(`^ADDED\\s+${esc}\\s`, 'm').test(watched()) ? true : undefined), 60_000);
  await until('the node ADDED in the client-node watch', async () => (nodeEvents.some((e) => e.type === 'ADDED' && e.name === node) ? true : undefined), 60_000);
  // A label sticks, as on an EKS Fargate node (a real Node there), and the watches see it.
  assert.equal(await kubectl('label', 'node', node, 'team=blue'), `node/${node} labeled\n`);
  assert.equal(await kubectl('get', 'node', node, '-o', 'jsonpath={.metadata.labels.team}'), 'blue');
  const derived = await kubectlResult('label', 'node', node, '--overwrite', 'eks.amazonaws.com/compute-type=ec2');
  assert.match(derived.stderr, /is invalid: metadata\.labels: Forbidden: label "eks\.amazonaws\.com\/compute-type" is set by EKS on a Fargate node/);
  await until('the label in the client-node watch', async () => (nodeEvents.some((e) => e.type === 'MODIFIED' && e.name === node) ? true : undefined), 60_000);
  const n = JSON.parse(await kubectl('get', 'node', node, '-o', 'json')) as { metadata: { labels: Record<string, string> }; spec: { taints?: { key: string; value?: string; effect: string }[] } };
  assert.equal(n.metadata.labels['eks.amazonaws.com/compute-type'], 'fargate');
  assert.deepEqual(n.spec.taints, [{ key: 'eks.amazonaws.com/compute-type', value: 'fargate', effect: 'NoSchedule' }]);
  assert.match(await kubectl('get', 'nodes', '-l', 'eks.amazonaws.com/compute-type=fargate', '-o', 'name'), new RegExp(`^node/${node.replaceAll('.', '\\.')}$`, 'm'));

  // Its own kernel: the sandbox answers uname with its own release, not the host's.
  const kernel = (await kubectl('exec', '-n', 'serverless', 'web', '--', 'uname', '-r')).trim();
  assert.ok(kernel.length > 0);
  assert.notEqual(kernel, release(), `the pod sees a kernel of its own (${kernel}), not the host's (${release()})`);
  const logs = await until('its first lines in kubectl logs', async () => {
    const out = (await kubectlResult('logs', '-n', 'serverless', 'web')).stdout;
    return out.includes('tick 1') ? out : undefined;
  }, 60_000);
  assert.match(logs, /^hello from fargate\ntick 0\n/);

  // The node goes with the pod.
  await kubectl('delete', 'pod', '-n', 'serverless', 'web', '--grace-period=1', '--wait=true', '--timeout=60s');
  await until('the Fargate node gone', async () => ((await kubectlResult('get', 'node', node)).code !== 0 ? true : undefined), 60_000);
  await until('the node DELETED in kubectl get nodes -w', async () => (new RegExp(`^DELETED\\s+${esc}\\s`, 'm').test(watched()) ? true : undefined), 60_000);
  await until('the node DELETED in the client-node watch', async () => (nodeEvents.some((e) => e.type === 'DELETED' && e.name === node) ? true : undefined), 60_000);
  const mine = nodeEvents.filter((e) => e.name === node);
  assert.equal(mine[0]?.type, 'ADDED');
  assert.equal(mine.at(-1)?.type, 'DELETED');
  const versions = nodeEvents.map((e) => Number(e.resourceVersion));
  assert.deepEqual(versions, [...versions].sort((a, b) => a - b), 'node events in resourceVersion order');
}

test('a pod of another namespace (no profile selects it, no node group) stays Pending with the scheduler\'s message', async () => {
  await kubectl('run', 'elsewhere', '-n', 'default', '--image=berth/sleep', '--restart=Never', '--', 'sleep', '3600');
  const p = await until('the pod told why', async () => {
    const got = await pod('default', 'elsewhere');
    return got.status.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False') ? got : undefined;
  }, 60_000);
  assert.equal(p.spec.schedulerName, 'default-scheduler');
  assert.equal(p.spec.nodeName, undefined);
  assert.equal(p.status.phase, 'Pending');
  const scheduled = p.status.conditions!.find((c) => c.type === 'PodScheduled')!;
  assert.equal(scheduled.reason, 'Unschedulable');
  assert.equal(scheduled.message, 'no nodes available to schedule pods', 'kube-scheduler\'s ErrNoNodesAvailable: the cluster has no node at all');
});
