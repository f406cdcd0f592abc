// kubectl 1.32 (the real client) against the Kubernetes API server's pod streams:
// `kubectl logs` (--tail, --timestamps, -f, --limit-bytes, --previous), `kubectl exec` (stdout
// and stderr apart, stdin, exit codes), `kubectl attach`, `kubectl port-forward`, and the API
// server's refusals (authorization, container choice, finished pods). The pods are the
// test-only generic row (support/kube-pods.ts) with the streaming subresources added; the
// pod's agent is a stand-in here (logs from memory, commands as local processes, ports
// dialled on this machine): test/kube-pod-streams-host.test.ts runs the same through a real
// agent and container.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { connect } from 'node:net';
import { Duplex } from 'node:stream';
import { ADMIN_TOKEN, DEV_TOKEN, VIEWER_TOKEN, startKubeTestServer, type KubeTestServer } from './support/kube.ts';
import { kubeRequest } from './support/kube-http.ts';
import { until } from './support/until.ts';
import { registryWithPods, TEST_PODS } from './support/kube-pods.ts';
import type { PodAgents } from '../src/api/kube/pod-streams.ts';
import { POD_STREAM_SUBRESOURCES } from '../src/api/kube/kinds.ts';
import type { PodTarget } from '../src/api/kube/pod-target.ts';
import { notFound } from '../src/api/kube/status.ts';
import { KindRegistry, type KindInfo } from '../src/api/kube/kinds.ts';

const PODS: KindInfo = { ...TEST_PODS, subresources: [...TEST_PODS.subresources, ...POD_STREAM_SUBRESOURCES] };
const T0 = Date.parse('2026-12-07T10:00:00Z');
const rec = (ms: number, stream: 'stdout' | 'stderr', text: string, partial = false) =>
  `${new Date(T0 + ms).toISOString().replace('Z', '123456+00:00')} ${stream} ${partial ? 'P' : 'F'} ${text}\n`;
/** The container's log as the agent holds it (k8s-file), and the run before its restart. */
const LOG = rec(0, 'stdout', 'one') + rec(1000, 'stderr', 'two') + rec(2000, 'stdout', 'thr', true) + rec(2000, 'stdout', 'ee') + rec(3000, 'stdout', 'four');
const PREVIOUS = rec(-5000, 'stdout', 'before the restart');
/** What a followed log gets after it caught up, then the container ends. */
const LATER = [rec(4000, 'stdout', 'five'), rec(5000, 'stderr', 'six')];

const targets: Record<string, PodTarget> = {
  box: { taskArn: 'arn:aws:ecs:us-east-1:000000000000:task/default/0b1d', taskId: '0b1d', containerInstanceArn: 'ci/1', containers: [{ name: 'main' }], phase: 'Running' },
  duo: { taskArn: 'arn:aws:ecs:us-east-1:000000000000:task/default/0d00', taskId: '0d00', containerInstanceArn: 'ci/1', containers: [{ name: 'a' }, { name: 'b' }], phase: 'Running' },
  done: { taskArn: 'arn:aws:ecs:us-east-1:000000000000:task/default/0d01', taskId: '0d01', containerInstanceArn: 'ci/1', containers: [{ name: 'main' }], phase: 'Succeeded' },
  talk: { taskArn: 'arn:aws:ecs:us-east-1:000000000000:task/default/0d02', taskId: '0d02', containerInstanceArn: 'ci/1', containers: [{ name: 'main', stdin: true }], phase: 'Running' },
  tele: { taskArn: 'arn:aws:ecs:us-east-1:000000000000:task/default/0d03', taskId: '0d03', containerInstanceArn: 'ci/1', containers: [{ name: 'main', stdin: true, tty: true }], phase: 'Running' },
};

let k: KubeTestServer;
let web: Server;
let webPort = 0;
const asked: { what: string; container?: string; previous?: boolean; tty?: boolean; attach?: boolean }[] = [];
/** Terminal sizes the agent was given, `cols`x`rows`. */
const resized: string[] = [];
const children: ChildProcess[] = [];

const agents: PodAgents = {
  logs(task, container, follow, onData, options) {
    asked.push({ what: 'logs', container, previous: options.previous === true });
    let timer: NodeJS.Timeout | undefined;
    const done = new Promise<void>((resolve, reject) => {
      setImmediate(() => {
        if (options.previous && task.taskArn !== targets.box!.taskArn) return reject(new Error('no log for the previous run'));
        onData(options.previous ? PREVIOUS : LOG);
        if (!follow) return resolve();
        options.caughtUp?.();
        const later = [...LATER];
        const next = () => {
          const line = later.shift();
          if (line === undefined) return resolve();
          onData(line);
          timer = setTimeout(next, 150);
        };
        timer = setTimeout(next, 150);
      });
    });
    return { done, cancel: () => clearTimeout(timer) };
  },
  interactiveExec(_task, container, command, io, options) {
    asked.push({ what: 'exec', container, tty: options.tty === true, ...(options.attach && { attach: true }) });
    // An attach has no command: `cat` stands in for the container's own process.
    const argv = options.attach ? ['cat'] : command;
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
    children.push(child);
    child.stdout.on('data', (d: Buffer) => io.output(d, 'stdout'));
    child.stderr.on('data', (d: Buffer) => io.output(d, 'stderr'));
    child.on('error', (e) => io.exit(undefined, `cannot run ${command[0]}: ${e.message}`));
    child.on('close', (code) => { if (code !== null) io.exit(code); });
    child.stdin.on('error', () => undefined);
    return { input: (d) => child.stdin.write(d), endInput: () => child.stdin.end(), resize: (cols, rows) => resized.push(`${cols}x${rows}`), close: () => child.kill('SIGKILL') };
  },
  portForward(_task, port) {
    if (port === 80) return connect(webPort, '127.0.0.1');
    const refused = new Duplex({ read() {}, write(_c, _e, cb) { cb(); } });
    setImmediate(() => refused.destroy(new Error(`dial tcp4 127.0.0.1:${port}: connect: connection refused`)));
    return refused;
  },
};

before(async () => {
  web = createServer((req, res) => res.end(`hello from the pod: ${req.url}`));
  await new Promise<void>((r) => web.listen(0, '127.0.0.1', r));
  webPort = (web.address() as { port: number }).port;
  k = await startKubeTestServer({
    registry: new KindRegistry(registryWithPods().kinds.map((x) => (x === TEST_PODS ? PODS : x))),
    pods: { resolvePod: async (_ns, name) => targets[name] ?? notFound({ group: '', plural: 'pods' }, name), agents },
  });
  for (const [name, t] of Object.entries(targets)) {
    await k.kubectl(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers: t.containers.map((c) => ({ name: c.name, image: 'busybox', ...(c.stdin && { stdin: true }), ...(c.tty && { tty: true }) })) } }));
    await k.server.storage.update(PODS, 'default', name, (cur) => cur && { ...cur, status: { phase: t.phase } }, { dryRun: false, fieldManager: 'kubelet', subresource: 'status' });
  }
});

after(async () => {
  for (const c of children) c.kill('SIGKILL');
  await k.close();
  web.close();
});

test('kubectl logs: each record once, partial lines joined, stdout and stderr together', async () => {
  assert.equal(await k.kubectl(['logs', 'box']), 'one\ntwo\nthree\nfour\n');
  assert.deepEqual(asked.at(-1), { what: 'logs', container: 'main', previous: false });
});

test('kubectl logs --tail, --timestamps, --since-time and --limit-bytes', async () => {
  assert.equal(await k.kubectl(['logs', 'box', '--tail=2']), 'three\nfour\n');
  assert.equal(await k.kubectl(['logs', 'box', '--tail=0']), '');
  assert.equal(await k.kubectl(['logs', 'box', '--timestamps', '--tail=1']), '2026-12-07T10:00:03.000123456Z four\n');
  assert.equal(await k.kubectl(['logs', 'box', '--since-time=2026-12-07T10:00:01Z']), 'two\nthree\nfour\n');
  assert.equal(await k.kubectl(['logs', 'box', '--limit-bytes=6']), 'one\ntw');
});

test('kubectl logs -f streams what comes after the log so far, and ends with the container', async () => {
  const started = Date.now();
  assert.equal(await k.kubectl(['logs', '-f', 'box', '--tail=1']), 'four\nfive\nsix\n');
  assert.ok(Date.now() - started >= 250, 'the followed lines came as they were written');
});

test('kubectl logs --previous: the run before the restart, or the kubelet\'s words when there was none', async () => {
  assert.equal(await k.kubectl(['logs', 'box', '--previous']), 'before the restart\n');
  const none = await k.kubectlResult(['logs', 'duo', '-c', 'b', '--previous']);
  assert.notEqual(none.code, 0);
  assert.match(none.stderr, /previous terminated container "b" in pod "duo" not found/);
});

test('the API server\'s refusals: a container to choose, a container the pod lacks, bad options, no rights', async () => {
  const ambiguous = await kubeRequest(k, '/api/v1/namespaces/default/pods/duo/log', { token: ADMIN_TOKEN });
  assert.equal(ambiguous.status, 400);
  assert.equal(ambiguous.json().message, 'a container name must be specified for pod duo, choose one of: [a b]');
  const missing = await kubeRequest(k, '/api/v1/namespaces/default/pods/box/log?container=nope', { token: ADMIN_TOKEN });
  assert.equal(missing.status, 400);
  assert.equal(missing.json().message, 'container nope is not valid for pod box');
  const tail = await kubeRequest(k, '/api/v1/namespaces/default/pods/box/log?tailLines=-1', { token: ADMIN_TOKEN });
  assert.equal(tail.status, 422);
  assert.equal(tail.json().message, 'PodLogOptions "box" is invalid: tailLines: Invalid value: -1: must be greater than or equal to 0');
  const gone = await kubeRequest(k, '/api/v1/namespaces/default/pods/ghost/log', { token: ADMIN_TOKEN });
  assert.equal(gone.status, 404);
  const viewer = await kubeRequest(k, '/api/v1/namespaces/default/pods/box/log', { token: VIEWER_TOKEN });
  assert.equal(viewer.status, 403);
  assert.match(String(viewer.json().message), /cannot get resource "pods\/log" in API group "" in the namespace "default"/);
  const plain = await kubeRequest(k, '/api/v1/namespaces/default/pods/box/exec?command=true&stdout=true', { token: ADMIN_TOKEN, method: 'POST' });
  assert.equal(plain.status, 400);
  assert.equal(plain.json().message, 'Upgrade request required');
});

test('kubectl exec: stdout and stderr apart, the exit code through the Status', async () => {
  const r = await k.kubectlResult(['exec', 'box', '--', 'sh', '-c', 'echo out; echo err >&2; exit 3']);
  assert.equal(r.stdout, 'out\n');
  assert.match(r.stderr, /^err\n/);
  assert.match(r.stderr, /command terminated with exit code 3/);
  assert.equal(r.code, 3);
  assert.deepEqual(asked.at(-1), { what: 'exec', container: 'main', tty: false });
  assert.equal((await k.kubectlResult(['exec', 'duo', '-c', 'b', '--', 'true'])).code, 0);
  assert.equal(asked.at(-1)?.container, 'b');
});

test('kubectl exec -i: stdin streams in, and its end ends the command', async () => {
  assert.equal(await k.kubectl(['exec', '-i', 'box', '--', 'sh', '-c', 'cat; echo done'], 'one\ntwo\n'), 'one\ntwo\ndone\n');
});

test('kubectl exec refused: a finished pod, a container the pod lacks, a user without create on pods/exec', async () => {
  const finished = await k.kubectlResult(['exec', 'done', '--', 'true']);
  assert.notEqual(finished.code, 0);
  assert.match(finished.stderr, /cannot exec into a container in a completed pod; current phase is Succeeded/);
  const missing = await k.kubectlResult(['exec', 'box', '-c', 'nope', '--', 'true']);
  assert.notEqual(missing.code, 0);
  assert.match(missing.stderr, /container nope is not valid for pod box/);
  // `get` on pods/exec is what the WebSocket's GET asks; the API server asks `create` as well (as for SPDY's POST).
  await k.kubectl(['create', 'role', 'peek', '--verb=get', '--resource=pods,pods/exec']);
  await k.kubectl(['create', 'rolebinding', 'peek', '--role=peek', '--group=devs']);
  const dev = await k.kubectlResult(['--token', DEV_TOKEN, 'exec', 'box', '--', 'true']);
  assert.notEqual(dev.code, 0);
  assert.match(dev.stderr, /User "dev" cannot create resource "pods\/exec" in API group "" in the namespace "default"/);
  await k.kubectl(['create', 'role', 'runner', '--verb=create', '--resource=pods/exec']);
  await k.kubectl(['create', 'rolebinding', 'runner', '--role=runner', '--group=devs']);
  assert.equal((await k.kubectlResult(['--token', DEV_TOKEN, 'exec', 'box', '--', 'true'])).code, 0);
});

test('kubectl attach: the container\'s output from now on, until it ends', async () => {
  const r = await k.kubectlResult(['attach', 'box']);
  assert.equal(r.stdout, 'five\n');
  assert.match(r.stderr, /six/);
  assert.equal(r.code, 0);
});

test('kubectl attach -i: stdin to the container\'s own process through the agent (execOpen attach), its output back; -i to a container without stdin: true is refused', async () => {
  asked.length = 0;
  const r = await k.kubectlResult(['attach', '-i', 'talk'], 'line one\nline two\n');
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'line one\nline two\n');
  assert.deepEqual(asked, [{ what: 'exec', container: 'main', tty: false, attach: true }]);
  asked.length = 0;
  const refused = await k.kubectlResult(['attach', '-i', 'box'], 'x\n');
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, /unable to attach to the stdin of container main in pod box: the container does not have stdin enabled \(set stdin: true in its spec\)/);
  assert.deepEqual(asked, [], 'nothing opened on the agent');
});

test('kubectl attach -it to a tty: true container: the agent attaches on the terminal, kubectl\'s keystrokes reach it and its size follows kubectl\'s terminal', async () => {
  asked.length = 0;
  resized.length = 0;
  // kubectl on a terminal of its own (util-linux script), sized 27 rows by 91 columns.
  const c = spawn('script', ['-qfec', `stty rows 27 cols 91 && exec kubectl --kubeconfig ${k.kubeconfig} attach -it tele`, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, HOME: k.dir, SHELL: '/bin/sh' } });
  children.push(c);
  let screen = '';
  c.stdout.on('data', (d: Buffer) => (screen += d.toString()));
  c.stdin.on('error', () => undefined);
  await until('the terminal\'s size', async () => (resized.includes('91x27') ? true : undefined), 30_000, 50);
  assert.deepEqual(asked, [{ what: 'exec', container: 'main', tty: true, attach: true }]);
  // kubectl sends one more row and column first, then the size, so that the process sees a change.
  assert.deepEqual(resized, ['92x28', '91x27']);
  c.stdin.write('typed on a terminal');
  // cat stands in for the container's process: what it read comes back on the one stream.
  await until('the keystrokes echoed', async () => (screen.includes('typed on a terminal') ? true : undefined), 30_000, 50);
  c.kill('SIGKILL');
});

test('attach with a terminal to a container started without one is refused before the upgrade, with why', async () => {
  asked.length = 0;
  const r = await kubeRequest(k, '/api/v1/namespaces/default/pods/talk/attach?stdin=true&stdout=true&tty=true', {
    token: ADMIN_TOKEN,
    headers: { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==', 'Sec-WebSocket-Protocol': 'v5.channel.k8s.io' },
  });
  assert.equal(r.status, 400);
  assert.equal(r.json().reason, 'BadRequest');
  assert.equal(r.json().message, 'unable to attach to container main in pod talk with a terminal: the container was started without one (set tty: true in its spec)');
  assert.deepEqual(asked, [], 'nothing opened on the agent');
});

test('kubectl port-forward: connections reach the pod\'s port; a closed port ends the forward with the reason', async () => {
  const local = await portForward(80);
  assert.equal(await (await fetch(`http://127.0.0.1:${local}/one`)).text(), 'hello from the pod: /one');
  const many = await Promise.all([1, 2, 3].map((n) => fetch(`http://127.0.0.1:${local}/n${n}`, { headers: { connection: 'close' } }).then((r) => r.text())));
  assert.deepEqual(many, [1, 2, 3].map((n) => `hello from the pod: /n${n}`));
  const said: string[] = [];
  const closed = await portForward(81, said);
  const child = children.at(-1)!;
  const exited = new Promise<number | null>((r) => child.once('close', (code) => r(code)));
  await assert.rejects(fetch(`http://127.0.0.1:${closed}/`));
  assert.equal(await exited, 1);
  assert.match(said.join(''), /error forwarding port 81 to pod default\/box: dial tcp4 127\.0\.0\.1:81: connect: connection refused/);
});

/** Starts `kubectl port-forward pod/box :<remote>` and resolves with its local port. */
function portForward(remote: number, stderr: string[] = []): Promise<number> {
  const child = spawn('kubectl', ['--kubeconfig', k.kubeconfig, 'port-forward', 'pod/box', `:${remote}`], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, HOME: k.dir } });
  children.push(child);
  child.stderr.on('data', (c: Buffer) => stderr.push(String(c)));
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += String(c);
      const m = /Forwarding from 127\.0\.0\.1:(\d+) ->/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('close', () => reject(new Error(`kubectl port-forward ended: ${out} ${stderr.join('')}`)));
  });
}

test('a server given no agents to reach pods through serves no pod streams: 404', async () => {
  const bare = await startKubeTestServer({ registry: new KindRegistry(registryWithPods().kinds.map((x) => (x === TEST_PODS ? PODS : x))) });
  try {
    const r = await kubeRequest(bare, '/api/v1/namespaces/default/pods/box/log', { token: ADMIN_TOKEN });
    assert.equal(r.status, 404);
    assert.equal(r.json().reason, 'NotFound');
  } finally {
    await bare.close();
  }
});
