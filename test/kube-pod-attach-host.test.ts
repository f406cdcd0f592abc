// Touches the host: run under flock /tmp/berth-host.lock (bin/test runs host tests one at a time).
// A container's stdin end to end (issue 17, pods/attach): `berth up` with its agent, an EKS
// cluster whose node group claims the agent's host, and real pods placed there. kubectl 1.32:
// `kubectl attach -i` to a pod `stdin: true, stdinOnce: true` running `cat` sends lines and sees
// them echoed, and the end of its input ends cat (conmon closes the container's stdin);
// `kubectl run -i --rm` prints what its command read; `attach -i` to a container without
// stdin is refused with why. No timing assertions: every wait is for a condition.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { startEksHostCluster, type EksHostCluster } from './support/eks-host-cluster.ts';
import { until } from './support/until.ts';

let k: EksHostCluster;
const children: ChildProcess[] = [];
/** Pod start (image cached by `image samples`) and conmon's exit: minutes of slack for a loaded CI host. */
const WAIT_MS = 180_000;
const env = () => k.env();
const kubectl = (args: string[], input?: string) => k.kubectlResult(args, input);
const ok = (args: string[], input?: string): Promise<string> => k.kubectl(args, input);
const phase = async (pod: string) => (await kubectl(['get', 'pod', pod, '-o', 'jsonpath={.status.phase}'])).stdout.trim();
const running = (pod: string) => until(`pod ${pod} Running`, async () => ((await phase(pod)) === 'Running' ? true : undefined), WAIT_MS);

const pod = (name: string, container: Record<string, unknown>) => JSON.stringify({
  apiVersion: 'v1', kind: 'Pod', metadata: { name },
  spec: { restartPolicy: 'Never', terminationGracePeriodSeconds: 1, containers: [{ name, image: 'busybox', ...container }] },
});

before(async () => {
  k = await startEksHostCluster();
});

after(async () => {
  for (const c of children) c.kill('SIGKILL');
  await k?.stop();
});

test('kubectl attach -i: lines go to cat\'s stdin and come back; the end of input ends cat (stdinOnce)', async () => {
  await ok(['apply', '-f', '-'], pod('cat', { command: ['cat'], stdin: true, stdinOnce: true }));
  await running('cat');
  const child = spawn('kubectl', ['attach', '-i', 'cat'], { env: { ...process.env, ...env() }, stdio: ['pipe', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  // Lines are sent one at a time, each after the previous came back: what cat echoes is what it read.
  child.stdin.write('first line\n');
  await until('cat echoing the first line', async () => (out.includes('first line\n') ? true : undefined), WAIT_MS);
  child.stdin.write('second line\n');
  await until('cat echoing the second line', async () => (out.includes('second line\n') ? true : undefined), WAIT_MS);
  child.stdin.end();
  assert.equal(await exited, 0, `kubectl attach: ${err}`);
  assert.equal(out, 'first line\nsecond line\n');
  // cat read its end of file and exited 0: the pod (restartPolicy Never) succeeded.
  await until('pod cat Succeeded', async () => ((await phase('cat')) === 'Succeeded' ? true : undefined), WAIT_MS);
  const logs = await ok(['logs', 'cat']);
  assert.equal(logs, 'first line\nsecond line\n', 'what the container wrote is in its log too');
});

test('kubectl run -i --rm: the command reads what kubectl sends, its output comes back, the pod is deleted', async () => {
  const r = await kubectl(['run', 'reader', '-i', '--rm', '--restart=Never', '--image=busybox', '--pod-running-timeout=3m', '--', 'sh', '-c', 'read line; echo "read: $line"; read other; echo "then: $other"'], 'hello there\nsecond\n');
  assert.equal(r.code, 0, `kubectl run: ${r.stderr}`);
  assert.match(r.stdout, /read: hello there\nthen: second\n/);
  assert.match(r.stdout, /pod "reader" deleted/);
  await until('pod reader gone', async () => ((await kubectl(['get', 'pod', 'reader'])).code !== 0 ? true : undefined), WAIT_MS);
});

test('kubectl attach -i to a container without stdin: true is refused with why; without -i it attaches', async () => {
  await ok(['apply', '-f', '-'], pod('quiet', { command: ['sh', '-c', 'i=0; while true; do echo tick $i; i=$((i+1)); sleep 0.5; done'] }));
  await running('quiet');
  const refused = await kubectl(['attach', '-i', 'quiet'], 'ignored\n');
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, /unable to attach to the stdin of container quiet in pod quiet: the container does not have stdin enabled/);
  // Output only: the ticks from now on.
  const child = spawn('kubectl', ['attach', 'quiet'], { env: { ...process.env, ...env() }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  await until('two ticks through attach', async () => ((out.match(/tick \d+\n/g) ?? []).length >= 2 ? true : undefined), WAIT_MS);
  child.kill('SIGTERM');
});
