// `kubectl exec` (1.32, the real client) against the channel protocol: a small API server
// fixture serves discovery, one Running pod and its exec route, and relays the command to a
// local process in place of the pod's agent (the agent's side has tests of its own).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFile } from 'node:child_process';
import { join, dirname } from 'node:path';
import { chooseProtocol } from './kube-channel.ts';
import { serveKubeExec, type KubeExecIo, type KubeExecRelay } from './kube-exec-stream.ts';
import { startKubeFixture, type KubeFixture } from './testing/kube-fixture.ts';

let fixture: KubeFixture;
const resizes: [number, number][] = [];
const seen: { command: string[]; container: string | null; tty: boolean }[] = [];
/** How long a terminal command waits for the client's size before it starts anyway. */
const SIZE_WAIT_MS = 5_000;

/**
 * The relay a pod's agent would be: here a local process with pipes. On a terminal it starts
 * once the client's size has come (as a shell on a real pty would read it first), so a command
 * that ends at once cannot end the session before kubectl's resize arrives.
 */
function localRelay(command: string[], io: KubeExecIo, tty: boolean): KubeExecRelay {
  let child: ReturnType<typeof spawn> | undefined;
  const pending: (() => void)[] = [];
  const start = () => {
    if (child) return;
    clearTimeout(wait);
    child = spawn(command[0]!, command.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
    child.stdout!.on('data', (d: Buffer) => io.output('stdout', d));
    child.stderr!.on('data', (d: Buffer) => io.output('stderr', d));
    child.on('error', (e) => io.exit(undefined, `cannot run ${command[0]}: ${e.message}`));
    child.on('close', (code) => io.exit(code ?? undefined, code === null ? 'killed' : undefined));
    child.stdin!.on('error', () => undefined);
    for (const f of pending.splice(0)) f();
  };
  const wait = setTimeout(start, tty ? SIZE_WAIT_MS : 0);
  const later = (f: () => void) => (child ? f() : pending.push(f));
  return {
    input: (d) => later(() => child!.stdin!.write(d)),
    endInput: () => later(() => child!.stdin!.end()),
    resize: (cols, rows) => { resizes.push([cols, rows]); start(); },
    close: () => { clearTimeout(wait); child?.kill('SIGKILL'); },
  };
}

before(async () => {
  fixture = await startKubeFixture((offered) => chooseProtocol(offered) ?? false, (sub, ws, q) => {
    if (sub !== 'exec') return ws.close();
    const command = q.getAll('command');
    const streams = { stdin: q.get('stdin') === 'true', stdout: q.get('stdout') === 'true', stderr: q.get('stderr') === 'true', tty: q.get('tty') === 'true' };
    seen.push({ command, container: q.get('container'), tty: streams.tty });
    serveKubeExec(ws, chooseProtocol([ws.protocol])!, command, streams, (io) => localRelay(command, io, streams.tty));
  });
});

after(() => fixture.close());

const kubectl = (args: string[], input?: string) => fixture.kubectl(args, input);

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
    execFile('script', ['-qec', `stty cols 91 rows 27; kubectl --kubeconfig ${fixture.kubeconfig} --cache-dir ${join(dirname(fixture.kubeconfig), 'cache')} exec -it box -- sh -c 'echo on-a-tty; exit 0'`, '/dev/null'],
      { timeout: 30_000 }, (err, stdout) => resolve({ code: err ? 1 : 0, out: stdout }));
  });
  assert.match(r.out, /on-a-tty/);
  assert.equal(r.code, 0);
  assert.equal(seen.at(-1)?.tty, true);
  assert.deepEqual(resizes.at(-1), [91, 27]);
});
