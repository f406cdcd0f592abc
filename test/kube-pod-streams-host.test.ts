// The pod streams end to end on this host (issue 17 item 4): a control plane (startServer, as
// `berth up --no-agent` runs it, in this process) whose agent gateway is handed to a
// cluster's Kubernetes API server as Berth composes it, a real `berth agent` joined to it, and
// an ECS task with a real busybox container standing in for a pod (the pods backend is another
// part's: a test resolvePod maps the pod to the task). kubectl 1.32 runs `kubectl logs` (-f,
// --tail, --timestamps), `kubectl exec` (with and without -i, exit codes) and `kubectl
// port-forward`, curl-ed through to busybox httpd inside the task's network namespace.
// Host-touching (a real agent, namespaces, containers): run under `flock /tmp/berth-host.lock`.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultKubeApiHost, startServer, type RunningServer } from '../src/server/server.ts';
import { KindRegistry, type KindInfo } from '../src/api/kube/kinds.ts';
import { POD_STREAM_SUBRESOURCES, type PodAgents } from '../src/api/kube/pod-streams.ts';
import type { PodTarget } from '../src/api/kube/pod-target.ts';
import { notFound } from '../src/api/kube/status.ts';
import { AWS_CLIS, aws } from './support/aws-cli.ts';
import { ROOT } from './support/berth.ts';
import { startAgentProcess, stopAgentProcess } from './support/agent-process.ts';
import { cleanupHost } from './support/host-cleanup.ts';
import { startKubeTestServer, type KubeTestServer } from './support/kube.ts';
import { registryWithPods, TEST_PODS } from './support/kube-pods.ts';
import { run } from './support/run.ts';
import { until } from './support/until.ts';

const PODS: KindInfo = { ...TEST_PODS, subresources: [...TEST_PODS.subresources, ...POD_STREAM_SUBRESOURCES] };
const cli = AWS_CLIS[1];
const dataDir = mkdtempSync(join(tmpdir(), 'berth-podio-cp-'));
const agentDir = mkdtempSync(join(tmpdir(), 'berth-podio-agent-'));
let server: RunningServer;
let agent: ChildProcess | undefined;
let agents: PodAgents | undefined;
let k: KubeTestServer;
let target: PodTarget | undefined;
const children: ChildProcess[] = [];
const ecs = <T = Record<string, unknown>>(...args: string[]) => aws<T>(cli, server.url, ['ecs', ...args]);

interface Task { taskArn: string; lastStatus: string; containerInstanceArn?: string; containers: { name: string; runtimeId?: string }[] }

/** The pod's container: a line at start, one on stderr, a tick every 300 ms, and httpd on port 80 of the task's network. */
const SCRIPT = 'mkdir -p /www; echo hi from the pod > /www/index.html; httpd -p 80 -h /www; echo started; echo on-stderr >&2; i=0; while true; do echo tick $i; i=$((i+1)); sleep 0.3; done';

before(async () => {
  await cleanupHost();
  server = await startServer({
    host: '127.0.0.1', port: 0, dataDir, accountId: '000000000000', region: 'us-east-1', log: () => {},
    kubeApiHost: (deps) => {
      agents = deps.agents;
      return defaultKubeApiHost(deps);
    },
  });
  const samples = await run(process.execPath, ['--disable-warning=ExperimentalWarning', join(ROOT, 'src/cli/main.ts'), 'image', 'samples', '--endpoint', server.url]);
  assert.equal(samples.code, 0, samples.stderr);
  const joined = await startAgentProcess({ endpoint: server.url, cluster: 'default', dataDir: agentDir, args: ['--token', readFileSync(join(dataDir, 'join-token'), 'utf8').trim()] });
  agent = joined.child;
  assert.ok(joined.arn, joined.out);
  await ecs('register-task-definition', '--family', 'pod-web', '--network-mode', 'awsvpc', '--container-definitions',
    JSON.stringify([{ name: 'web', image: 'busybox', command: ['sh', '-c', SCRIPT], memory: 32, stopTimeout: 1 }]));
  const taskArn = (await ecs<{ tasks: Task[] }>('run-task', '--task-definition', 'pod-web', '--network-configuration', 'awsvpcConfiguration={subnets=[subnet-berth]}')).tasks[0]!.taskArn;
  await ecs('wait', 'tasks-running', '--tasks', taskArn);
  const t = (await ecs<{ tasks: Task[] }>('describe-tasks', '--tasks', taskArn)).tasks[0]!;
  target = {
    taskArn, taskId: taskArn.slice(taskArn.lastIndexOf('/') + 1), containerInstanceArn: t.containerInstanceArn,
    containers: t.containers.map((c) => ({ name: c.name, ...(c.runtimeId && { runtimeId: c.runtimeId }) })), phase: 'Running',
  };
  assert.ok(agents, 'the composition root handed the agent gateway to the Kubernetes API host');
  k = await startKubeTestServer({
    registry: new KindRegistry(registryWithPods().kinds.map((x) => (x === TEST_PODS ? PODS : x))),
    pods: { agents, resolvePod: async (_ns, name) => (name === 'web' && target ? target : notFound({ group: '', plural: 'pods' }, name)) },
  });
  await k.kubectl(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web' }, spec: { containers: [{ name: 'web', image: 'busybox' }] } }));
  await k.server.storage.update(PODS, 'default', 'web', (cur) => cur && { ...cur, status: { phase: 'Running' } }, { dryRun: false, fieldManager: 'kubelet', subresource: 'status' });
  // The container has written its first lines.
  await until('the first ticks', async () => ((await k.kubectlResult(['logs', 'web'])).stdout.includes('tick 1') ? true : undefined), 30_000);
});

after(async () => {
  for (const c of children) c.kill('SIGKILL');
  await k?.close();
  if (target) {
    await ecs('stop-task', '--task', target.taskArn).catch(() => undefined);
    await ecs('wait', 'tasks-stopped', '--tasks', target.taskArn).catch(() => undefined);
  }
  if (agent) await stopAgentProcess(agent);
  await server?.close();
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(agentDir, { recursive: true, force: true });
  await cleanupHost();
});

test('kubectl logs: the container\'s stdout and stderr from the agent\'s log on the host; --tail and --timestamps', async () => {
  const all = await k.kubectl(['logs', 'web']);
  // stdout and stderr are two pipes to conmon: their lines interleave as they were read.
  const lines = all.trimEnd().split('\n');
  assert.equal(lines[0], 'started');
  assert.ok(lines.includes('on-stderr'), all);
  const ticks = lines.filter((l) => l.startsWith('tick ')).map((l) => Number(l.slice(5)));
  assert.deepEqual(ticks, ticks.map((_, i) => i), 'every tick once, in order');
  const tail = await k.kubectl(['logs', 'web', '--tail=2']);
  assert.equal(tail.split('\n').length, 3);
  assert.match(tail, /^tick \d+\ntick \d+\n$/);
  const stamped = await k.kubectl(['logs', 'web', '--timestamps', '--tail=1']);
  assert.match(stamped, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z tick \d+\n$/);
  assert.ok(Math.abs(Date.parse(stamped.slice(0, 30)) - Date.now()) < 60_000, 'the runtime\'s own time of the line');
});

test('kubectl logs -f: new lines arrive as the container writes them', async () => {
  const child = spawn('kubectl', ['--kubeconfig', k.kubeconfig, 'logs', '-f', 'web', '--tail=1'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, HOME: k.dir } });
  children.push(child);
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  const ticks = () => [...out.matchAll(/tick (\d+)/g)].map((m) => Number(m[1]));
  await until('three followed ticks', async () => (ticks().length >= 3 ? true : undefined), 15_000);
  const seen = ticks();
  assert.deepEqual(seen.slice(0, 3), [seen[0]!, seen[0]! + 1, seen[0]! + 2], 'one line after another, none lost or repeated');
  child.kill('SIGTERM');
});

test('kubectl exec: a command in the container, its streams apart and its exit code', async () => {
  const r = await k.kubectlResult(['exec', 'web', '--', 'sh', '-c', 'cat /www/index.html; echo oops >&2; exit 4']);
  assert.equal(r.stdout, 'hi from the pod\n');
  assert.match(r.stderr, /^oops\n/);
  assert.match(r.stderr, /command terminated with exit code 4/);
  assert.equal(r.code, 4);
  assert.equal((await k.kubectlResult(['exec', 'web', '--', 'true'])).code, 0);
});

test('kubectl exec -i: stdin reaches the command, and its end ends it', async () => {
  assert.equal(await k.kubectl(['exec', '-i', 'web', '--', 'sh', '-c', 'wc -l; echo end'], 'a\nb\nc\n'), '3\nend\n');
});

test('kubectl exec -it: a terminal in the container, its size the client\'s', async () => {
  const r = await new Promise<{ code: number; out: string }>((resolve) => {
    const c = spawn('script', ['-qec', `stty cols 91 rows 27; HOME=${k.dir} kubectl --kubeconfig ${k.kubeconfig} exec -it web -- sh -c 'sleep 0.5; stty size; exit 5'`, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
    children.push(c);
    let out = '';
    c.stdout.on('data', (d: Buffer) => (out += d.toString()));
    c.on('close', (code) => resolve({ code: code ?? -1, out }));
  });
  assert.match(r.out, /27 91/);
  assert.equal(r.code, 5);
});

test('kubectl port-forward: curl reaches busybox httpd on the pod\'s port inside its network namespace', async () => {
  const child = spawn('kubectl', ['--kubeconfig', k.kubeconfig, 'port-forward', 'pod/web', ':80'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, HOME: k.dir } });
  children.push(child);
  const local = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /Forwarding from 127\.0\.0\.1:(\d+) ->/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('close', () => reject(new Error(`kubectl port-forward ended: ${out}`)));
  });
  for (let i = 0; i < 3; i++) {
    const r = await run('curl', ['-sS', '--max-time', '10', `http://127.0.0.1:${local}/`]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'hi from the pod\n');
  }
  child.kill('SIGTERM');
});
