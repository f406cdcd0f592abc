// `kubectl port-forward` (1.32, the real client) through the SPDY-over-WebSocket tunnel: a
// fixture API server hands the pod's portforward upgrade to servePortForward, which dials a
// local HTTP server in place of the pod's port (the agent's side comes with pods).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { connect } from 'node:net';
import { once } from 'node:events';
import { PORT_FORWARD_PROTOCOL, servePortForward } from './kube-port-forward.ts';
import { startKubeFixture, type KubeFixture } from './testing/kube-fixture.ts';

let fixture: KubeFixture;
let web: Server;
let webPort = 0;
const dialled: number[] = [];
const children: ChildProcess[] = [];

before(async () => {
  web = createServer((req, res) => res.end(`hello from the pod: ${req.url}`));
  await new Promise<void>((r) => web.listen(0, '127.0.0.1', r));
  webPort = (web.address() as { port: number }).port;
  fixture = await startKubeFixture((offered) => (offered.has(PORT_FORWARD_PROTOCOL) ? PORT_FORWARD_PROTOCOL : false), (sub, ws) => {
    if (sub !== 'portforward') return ws.close();
    servePortForward(ws, {
      pod: 'default/box',
      dial: async (port) => {
        dialled.push(port);
        if (port !== 80) throw new Error(`dial tcp4 127.0.0.1:${port}: connect: connection refused`);
        const s = connect(webPort, '127.0.0.1');
        await once(s, 'connect');
        return s;
      },
    });
  });
});

after(() => {
  for (const c of children) c.kill('SIGKILL');
  fixture.close();
  web.close();
});

/** Starts `kubectl port-forward` and resolves with the local port it listens on. */
async function portForward(remote: number, stderr: string[] = []): Promise<number> {
  const child = spawn('kubectl', ['--kubeconfig', fixture.kubeconfig, 'port-forward', 'pod/box', `:${remote}`], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  // Read with a listener, not for-await: leaving that loop would destroy kubectl's stdout, and
  // kubectl dies of the broken pipe at its next "Handling connection" line.
  child.stderr!.on('data', (chunk: Buffer) => stderr.push(String(chunk)));
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += String(chunk);
      const m = /Forwarding from 127\.0\.0\.1:(\d+) ->/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('close', () => reject(new Error(`kubectl port-forward ended: ${out}`)));
  });
}

test('connections to the local port reach the pod port, several in turn and at once', async () => {
  const local = await portForward(80);
  const first = await fetch(`http://127.0.0.1:${local}/one`);
  assert.equal(await first.text(), 'hello from the pod: /one');
  const many = await Promise.all([1, 2, 3, 4, 5].map((n) => fetch(`http://127.0.0.1:${local}/n${n}`, { headers: { connection: 'close' } }).then((r) => r.text())));
  assert.deepEqual(many, [1, 2, 3, 4, 5].map((n) => `hello from the pod: /n${n}`));
  assert.ok(dialled.filter((p) => p === 80).length >= 6);
});

test('a port nothing listens on fails the connection with the reason, and kubectl ends as it does against a kubelet', async () => {
  const stderr: string[] = [];
  const local = await portForward(81, stderr);
  const child = children.at(-1)!;
  const exited = new Promise<number | null>((r) => child.once('close', (code) => r(code)));
  await assert.rejects(fetch(`http://127.0.0.1:${local}/`));
  // client-go closes the whole connection after an error on the error stream (so that a
  // deleted pod ends the forward), and kubectl exits.
  assert.equal(await exited, 1);
  assert.deepEqual(dialled.filter((p) => p === 81), [81]);
  const said = stderr.join('');
  assert.match(said, /error forwarding port 81 to pod default\/box: dial tcp4 127\.0\.0\.1:81: connect: connection refused/);
  assert.match(said, /lost connection to pod/);
});
