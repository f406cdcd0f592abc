// `kubectl exec` (1.32, the real client) against the channel protocol: a small API server
// fixture serves discovery, one Running pod and its exec route, and relays the command to a
// local process in place of the pod's agent (the agent's side has tests of its own).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { spawn, execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocketServer } from 'ws';
import { chooseProtocol } from './kube-channel.ts';
import { serveKubeExec, type KubeExecIo, type KubeExecRelay } from './kube-exec-stream.ts';

const POD = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'box', namespace: 'default', uid: '0b1d5c2e-0000-4000-8000-000000000001' },
  spec: { containers: [{ name: 'main', image: 'busybox' }] }, status: { phase: 'Running' } };
const DISCOVERY: Record<string, object> = {
  '/api': { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1' }] },
  '/apis': { kind: 'APIGroupList', apiVersion: 'v1', groups: [] },
  '/api/v1': { kind: 'APIResourceList', groupVersion: 'v1', resources: [
    { name: 'pods', singularName: 'pod', namespaced: true, kind: 'Pod', verbs: ['get', 'list'], shortNames: ['po'] },
    { name: 'pods/exec', singularName: '', namespaced: true, kind: 'PodExecOptions', verbs: ['create', 'get'] },
  ] },
  '/api/v1/namespaces/default/pods/box': POD,
};

let server: Server;
let dir: string;
let kubeconfig: string;
const resizes: [number, number][] = [];
const seen: { command: string[]; container: string | null; tty: boolean }[] = [];

/** The relay a pod's agent would be: here a local process with pipes. */
function localRelay(command: string[], io: KubeExecIo): KubeExecRelay {
  const child = spawn(command[0]!, command.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
  child.stdout.on('data', (d: Buffer) => io.output('stdout', d));
  child.stderr.on('data', (d: Buffer) => io.output('stderr', d));
  child.on('error', (e) => io.exit(undefined, `cannot run ${command[0]}: ${e.message}`));
  child.on('close', (code) => io.exit(code ?? undefined, code === null ? 'killed' : undefined));
  child.stdin.on('error', () => undefined);
  return {
    input: (d) => child.stdin.write(d),
    endInput: () => child.stdin.end(),
    resize: (cols, rows) => resizes.push([cols, rows]),
    close: () => child.kill('SIGKILL'),
  };
}

before(async () => {
  const wss = new WebSocketServer({ noServer: true, handleProtocols: (offered) => chooseProtocol(offered) ?? false });
  server = createServer((req, res) => {
    const body = DISCOVERY[new URL(req.url!, 'http://x').pathname];
    res.writeHead(body ? 200 : 404, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body ?? { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', reason: 'NotFound', code: 404 }));
  });
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url!, 'http://x');
    if (url.pathname !== '/api/v1/namespaces/default/pods/box/exec') return socket.destroy();
    wss.handleUpgrade(req, socket, head, (ws) => {
      const q = url.searchParams;
      const command = q.getAll('command');
      const streams = { stdin: q.get('stdin') === 'true', stdout: q.get('stdout') === 'true', stderr: q.get('stderr') === 'true', tty: q.get('tty') === 'true' };
      seen.push({ command, container: q.get('container'), tty: streams.tty });
      serveKubeExec(ws, chooseProtocol([ws.protocol])!, command, streams, (io) => localRelay(command, io));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  dir = mkdtempSync(join(tmpdir(), 'berth-kexec-'));
  kubeconfig = join(dir, 'config');
  writeFileSync(kubeconfig, JSON.stringify({
    apiVersion: 'v1', kind: 'Config', 'current-context': 'c',
    clusters: [{ name: 'c', cluster: { server: `http://127.0.0.1:${port}` } }],
    users: [{ name: 'u', user: {} }],
    contexts: [{ name: 'c', context: { cluster: 'c', user: 'u', namespace: 'default' } }],
  }));
});

after(() => {
  server.closeAllConnections();
  server.close();
  rmSync(dir, { recursive: true, force: true });
});

function kubectl(args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile('kubectl', ['--kubeconfig', kubeconfig, '--cache-dir', join(dir, 'cache'), ...args], { timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
    if (input !== undefined) child.stdin!.end(input);
  });
}

test('stdout and stderr arrive on their own streams, and the exit code comes back through the Status', async () => {
  const r = await kubectl(['exec', 'box', '--', 'sh', '-c', 'echo out; echo err >&2; exit 3']);
  assert.equal(r.stdout, 'out\n');
  assert.match(r.stderr, /^err\n/);
  assert.match(r.stderr, /command terminated with exit code 3/);
  assert.equal(r.code, 3);
  assert.deepEqual(seen.at(-1), { command: ['sh', '-c', 'echo out; echo err >&2; exit 3'], container: 'main', tty: false });
});

test('stdin streams in, and its end (the v5 close signal) ends the command', async () => {
  const r = await kubectl(['exec', '-i', 'box', '--', 'sh', '-c', 'cat; echo done'], 'one\ntwo\n');
  assert.equal(r.stdout, 'one\ntwo\ndone\n');
  assert.equal(r.code, 0);
});

test('a command that succeeds exits 0, one that cannot run says why', async () => {
  assert.equal((await kubectl(['exec', 'box', '--', 'true'])).code, 0);
  const missing = await kubectl(['exec', 'box', '--', '/no/such/command']);
  assert.notEqual(missing.code, 0);
  assert.match(missing.stderr, /cannot run \/no\/such\/command/);
});

test('on a terminal kubectl asks for one stream and sends the terminal size', async () => {
  // `script` gives kubectl a terminal of a known size, so -t is honoured.
  const r = await new Promise<{ code: number | null; out: string }>((resolve) => {
    execFile('script', ['-qec', `stty cols 91 rows 27; kubectl --kubeconfig ${kubeconfig} --cache-dir ${join(dir, 'cache')} exec -it box -- sh -c 'echo on-a-tty; exit 0'`, '/dev/null'],
      { timeout: 30_000 }, (err, stdout) => resolve({ code: err ? 1 : 0, out: stdout }));
  });
  assert.match(r.out, /on-a-tty/);
  assert.equal(r.code, 0);
  assert.equal(seen.at(-1)?.tty, true);
  assert.deepEqual(resizes.at(-1), [91, 27]);
});
