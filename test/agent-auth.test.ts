// Agents prove who they are, against `berth up` as its own process (control plane only,
// listening on every interface): forged agents on the raw WebSocket wire, registrations
// with wrong credentials, the admin endpoints from another address, token rotation and
// revocation at deregistration. The agent with real containers: test/agent-join.test.ts.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { joinEndpoint } from '../src/agent/registration.ts';
import { AgentSession } from '../src/agent/session.ts';
import type { Assignment } from '../src/agent/protocol.ts';
import { secretHash } from '../src/core/agent-credentials.ts';
import { AWS_CLIS, aws } from './support/aws-cli.ts';
import { ROOT, startBerth, type BerthProcess } from './support/berth.ts';
import { run } from './support/run.ts';

const cli = AWS_CLIS[0];
let berth: BerthProcess;
const ecs = <T = Record<string, unknown>>(...args: string[]) => aws<T>(cli, berth.endpoint, ['ecs', ...args]);
/** This machine's own non-loopback address: calls from it are calls from "another host". */
const outside = Object.values(networkInterfaces()).flat().find((a) => a && !a.internal && a.family === 'IPv4')?.address;

const resources = [{ name: 'CPU', type: 'INTEGER', integerValue: 2048 }, { name: 'MEMORY', type: 'INTEGER', integerValue: 4096 }];
const joinAs = (cluster: string, bearer = berth.joinToken()) => joinEndpoint(berth.endpoint, 'us-east-1')(bearer, { cluster, totalResources: resources });
/**
 * POSTs JSON to Berth from a chosen source address: every 127.x address is this host, and
 * each is its own caller to the failure count, so one test's refusals do not block the next.
 */
function post(path: string, bearer: string | undefined, body: unknown, { to = '127.0.0.1', from = to }: { to?: string; from?: string } = {}): Promise<{ status: number; json: () => Promise<unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: to, port: berth.port, path, method: 'POST', localAddress: from, headers: { 'content-type': 'application/json', ...(bearer !== undefined && { authorization: `Bearer ${bearer}` }) } }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, json: async () => JSON.parse(text) as unknown }));
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}
const get = (path: string, to: string) => new Promise<number>((resolve, reject) => {
  request({ host: to, port: berth.port, path }, (res) => { res.resume(); resolve(res.statusCode!); }).on('error', reject).end();
});

async function until(cond: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A masked client frame (RFC 6455 §5.2) of a payload under 126 bytes or up to 64 KiB. */
function frame(opcode: number, payload: Buffer): Buffer {
  const mask = randomBytes(4);
  const len = payload.length < 126 ? Buffer.from([0x80 | payload.length]) : Buffer.from([0x80 | 126, payload.length >> 8, payload.length & 0xff]);
  const masked = Buffer.from(payload.map((b, i) => b ^ mask[i % 4]!));
  return Buffer.concat([Buffer.from([0x80 | opcode]), len, mask, masked]);
}

/**
 * A forged agent on the raw wire: upgrades with `authorization` (if any), sends a hello
 * claiming `arn` and a task report, answers the server's close, and returns every byte the
 * server sent, so nothing it learnt can hide in a frame a WebSocket library would drop.
 */
async function forge(authorization: string | undefined, arn: string, from: string, { hello = true } = {}): Promise<{ bytes: Buffer; status: string; frames: { opcode: number; payload: Buffer }[] }> {
  const port = berth.port;
  const socket = connect({ port, host: '127.0.0.1', localAddress: from });
  const chunks: Buffer[] = [];
  const frames: { opcode: number; payload: Buffer }[] = [];
  let answeredClose = false;
  socket.on('data', (c) => {
    chunks.push(c);
    const all = Buffer.concat(chunks);
    const end = all.indexOf('\r\n\r\n');
    if (end < 0) return;
    frames.length = 0;
    for (let at = end + 4; at + 2 <= all.length;) {
      const len = all[at + 1]! & 0x7f;
      const size = len === 126 ? all.readUInt16BE(at + 2) : len;
      const start = at + 2 + (len === 126 ? 2 : 0);
      if (start + size > all.length) break;
      frames.push({ opcode: all[at]! & 0x0f, payload: all.subarray(start, start + size) });
      at = start + size;
    }
    if (!answeredClose && frames.some((f) => f.opcode === 8)) {
      answeredClose = true;
      socket.write(frame(8, Buffer.from([0x03, 0xe8])));
    }
  });
  await new Promise<void>((resolve, reject) => { socket.once('connect', resolve); socket.once('error', reject); });
  socket.write([
    'GET /_berth/agent/v1 HTTP/1.1', `Host: 127.0.0.1:${port}`, 'Upgrade: websocket', 'Connection: Upgrade',
    `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}`, 'Sec-WebSocket-Version: 13',
    ...(authorization !== undefined ? [`Authorization: ${authorization}`] : []), '', '',
  ].join('\r\n'));
  if (hello) {
    socket.write(frame(1, Buffer.from(JSON.stringify({ type: 'hello', version: 1, cluster: 'auth', containerInstanceArn: arn, agentVersion: 'forged' }))));
    socket.write(frame(1, Buffer.from(JSON.stringify({ type: 'heartbeat' }))));
  }
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => { socket.destroy(); resolve(); }, 20_000);
    socket.once('close', () => { clearTimeout(timer); resolve(); });
  });
  const bytes = Buffer.concat(chunks);
  return { bytes, status: bytes.subarray(0, bytes.indexOf('\r\n')).toString(), frames };
}

/** A real agent session that records what it is sent and what it is told. */
function session(arn: string, secret: string) {
  const assignments = new Map<string, Assignment>();
  const lines: string[] = [];
  let snapshots = 0;
  const s = new AgentSession(berth.endpoint, { cluster: 'auth', containerInstanceArn: arn, agentVersion: 'test' }, secret, {
    onSnapshot: (all) => { snapshots++; for (const a of all) assignments.set(a.spec.ecs.taskArn, a); },
    onAssignment: (a) => assignments.set(a.spec.ecs.taskArn, a),
    log: (line) => lines.push(line),
  });
  s.start();
  return { s, assignments, lines, snapshots: () => snapshots };
}

before(async () => { berth = await startBerth(['--host', '0.0.0.0']); });
after(async () => { await berth.stop(); });

describe('agents prove who they are', () => {
  const password = `hunter2-${randomBytes(6).toString('hex')}`;
  let a: { arn: string; secret: string };
  let b: { arn: string; secret: string };
  let taskArn: string;
  let real: ReturnType<typeof session>;

  test('the join token is made private to its owner; joining with it gives each instance its own secret, which no ECS answer shows', async () => {
    assert.equal(statSync(join(berth.dataDir, 'join-token')).mode & 0o777, 0o600);
    await ecs('create-cluster', '--cluster-name', 'auth');
    await ecs('create-cluster', '--cluster-name', 'other');
    const ja = await joinAs('auth');
    const jb = await joinAs('other');
    a = { arn: ja.containerInstance.containerInstanceArn, secret: ja.instanceSecret! };
    b = { arn: jb.containerInstance.containerInstanceArn, secret: jb.instanceSecret! };
    assert.match(a.secret, /^berth_inst_[A-Za-z0-9_-]{43}$/);
    assert.notEqual(a.secret, b.secret);
    // The store file itself holds the hash, never the secret.
    const described = JSON.stringify(await ecs('describe-container-instances', '--cluster', 'auth', '--container-instances', a.arn, '--include', 'TAGS'));
    const listed = JSON.stringify(await ecs('list-container-instances', '--cluster', 'auth'));
    for (const text of [described, listed]) {
      assert.ok(!text.includes(a.secret) && !text.includes(secretHash(a.secret)) && !text.includes('berth_inst_') && !text.includes('secret'), text);
    }
  });

  test('the real agent gets its task, environment included', async () => {
    real = session(a.arn, a.secret);
    await until(() => real.s.connected && real.snapshots() > 0);
    await ecs('register-task-definition', '--family', 'db', '--container-definitions',
      JSON.stringify([{ name: 'db', image: 'berth/web', memory: 64, environment: [{ name: 'DB_PASSWORD', value: password }] }]));
    taskArn = (await ecs<{ tasks: { taskArn: string }[] }>('run-task', '--cluster', 'auth', '--task-definition', 'db')).tasks[0]!.taskArn;
    await until(() => real.assignments.has(taskArn));
    assert.ok(JSON.stringify(real.assignments.get(taskArn)!.spec.containers[0]).includes(password));
  });

  const forgeries: [string, () => string | undefined][] = [
    ['no token at all', () => undefined],
    ['the join token instead of a secret', () => `Bearer ${berth.joinToken()}`],
    ['a wrong secret of the right shape', () => `Bearer berth_inst_${randomBytes(32).toString('base64url')}`],
    ["another instance's secret", () => `Bearer ${b.secret}`],
    ['another scheme', () => 'Basic YWdlbnQ6c2VjcmV0'],
  ];
  for (const [name, authorization] of forgeries) {
    test(`a forged agent claiming the instance with ${name} is refused (1008, a reason) and receives nothing else`, async () => {
      const got = await forge(authorization(), a.arn, '127.0.0.2');
      assert.equal(got.status, 'HTTP/1.1 101 Switching Protocols');
      assert.deepEqual(got.frames.map((f) => f.opcode), [8], 'one close frame, no data frame');
      const close = got.frames[0]!.payload;
      assert.equal(close.readUInt16BE(0), 1008);
      assert.match(close.subarray(2).toString(), /secret|join token/);
      const text = got.bytes.toString('latin1');
      for (const leak of [password, taskArn, taskArn.split('/').pop()!, 'DB_PASSWORD', 'berth/web', '"tasks"', 'assignment']) {
        assert.ok(!text.includes(leak), `the forged agent received ${leak}`);
      }
      // The real agent is still connected and was not replaced.
      assert.ok(real.s.connected);
    });
  }

  test('a socket that never says hello is closed after 10 s, having received nothing', async () => {
    const t0 = Date.now();
    const got = await forge(`Bearer berth_inst_${randomBytes(32).toString('base64url')}`, a.arn, '127.0.0.5', { hello: false });
    assert.deepEqual(got.frames.map((f) => [f.opcode, f.payload.readUInt16BE(0), f.payload.subarray(2).toString()]), [[8, 1008, 'no hello in time']]);
    // Closed by the hello timer (1008 'no hello in time' above), and not before its 10 s.
    assert.ok(Date.now() - t0 >= 9_000, `closed after ${Date.now() - t0} ms`);
  });

  test('at most 256 sockets wait for their hello at once; the next is closed at once, and the count comes back as they go', async () => {
    const upgrade = () => new Promise<Socket>((resolve, reject) => {
      const socket = connect({ port: berth.port, host: '127.0.0.1', localAddress: '127.0.0.6' });
      socket.once('error', reject);
      socket.once('data', (c) => (c.toString().startsWith('HTTP/1.1 101') ? resolve(socket) : reject(new Error(c.toString()))));
      socket.write(['GET /_berth/agent/v1 HTTP/1.1', `Host: 127.0.0.1:${berth.port}`, 'Upgrade: websocket', 'Connection: Upgrade',
        `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}`, 'Sec-WebSocket-Version: 13',
        `Authorization: Bearer berth_inst_${randomBytes(32).toString('base64url')}`, '', ''].join('\r\n'));
    });
    const waiting = await Promise.all(Array.from({ length: 256 }, upgrade));
    try {
      const got = await forge(`Bearer berth_inst_${randomBytes(32).toString('base64url')}`, a.arn, '127.0.0.7', { hello: false });
      assert.deepEqual(got.frames.map((f) => f.payload.subarray(2).toString()), ['too many sessions waiting to say hello: try again']);
    } finally {
      for (const w of waiting) w.destroy();
    }
    await new Promise((r) => setTimeout(r, 200));
    const ok = session(a.arn, a.secret);
    await until(() => ok.snapshots() > 0);
    ok.s.close();
  });

  test('a report from a refused session changes nothing', async () => {
    const before = (await ecs<{ tasks: { lastStatus: string }[] }>('describe-tasks', '--cluster', 'auth', '--tasks', taskArn)).tasks[0]!.lastStatus;
    await forge(`Bearer ${b.secret}`, a.arn, '127.0.0.2');
    const afterward = (await ecs<{ tasks: { lastStatus: string }[] }>('describe-tasks', '--cluster', 'auth', '--tasks', taskArn)).tasks[0]!.lastStatus;
    assert.equal(afterward, before);
  });

  test('registration: no token, a wrong token, or a secret for another instance is refused and changes nothing', async () => {
    const describe = async () => (await ecs<{ containerInstances: { version: number }[] }>('describe-container-instances', '--cluster', 'auth', '--container-instances', a.arn)).containerInstances[0]!.version;
    const version = await describe();
    const instances = (await ecs<{ containerInstanceArns: string[] }>('list-container-instances', '--cluster', 'auth')).containerInstanceArns.length;
    const body = { cluster: 'auth', totalResources: resources };
    const cases: [string | undefined, unknown, number, RegExp][] = [
      [undefined, body, 401, /Bearer <join token>.*--token/],
      [`berth_join_${randomBytes(32).toString('base64url')}`, body, 403, /not this Berth's join token/],
      [b.secret, { ...body, containerInstanceArn: a.arn }, 401, /not the instance's secret/],
      [b.secret, body, 401, /re-registers the instance it was issued to/],
      [berth.joinToken(), { ...body, containerInstanceArn: a.arn }, 403, /has its own secret/],
      [berth.joinToken(), { ...body, containerInstanceArn: a.arn.split('/').pop() }, 400, /must be a container instance's full ARN/],
    ];
    for (const [bearer, input, status, message] of cases) {
      const res = await post('/_berth/agents/register', bearer, input, { from: '127.0.0.3' });
      const answer = await res.json() as { message: string; instanceSecret?: string };
      assert.equal(res.status, status, JSON.stringify(answer));
      assert.match(answer.message, message);
      assert.equal(answer.instanceSecret, undefined);
    }
    assert.equal(await describe(), version);
    assert.equal((await ecs<{ containerInstanceArns: string[] }>('list-container-instances', '--cluster', 'auth')).containerInstanceArns.length, instances);
    // Its own secret re-registers it, and no new secret is handed out.
    const again = await post('/_berth/agents/register', a.secret, { ...body, containerInstanceArn: a.arn }, { from: '127.0.0.3' });
    const answer = await again.json() as { containerInstance: { containerInstanceArn: string }; instanceSecret?: string };
    assert.equal(again.status, 200);
    assert.equal(answer.containerInstance.containerInstanceArn, a.arn);
    assert.equal(answer.instanceSecret, undefined);
  });

  test('berth token shows the token; --rotate refuses the old one for joins at once, and joined agents keep working', async () => {
    const main = join(ROOT, 'src/cli/main.ts');
    const shown = await run(process.execPath, [main, 'token', '--data-dir', berth.dataDir]);
    assert.equal(shown.code, 0, shown.stderr);
    const old = shown.stdout.trim();
    assert.equal(old, berth.joinToken());
    const rotated = await run(process.execPath, [main, 'token', '--rotate', '--data-dir', berth.dataDir]);
    assert.equal(rotated.code, 0, rotated.stderr);
    const fresh = rotated.stdout.trim();
    assert.match(fresh, /^berth_join_[A-Za-z0-9_-]{43}$/);
    assert.notEqual(fresh, old);
    assert.equal(statSync(join(berth.dataDir, 'join-token')).mode & 0o777, 0o600);
    assert.equal((await post('/_berth/agents/register', old, { cluster: 'other', totalResources: resources }, { from: '127.0.0.4' })).status, 403);
    assert.ok((await joinAs('other', fresh)).instanceSecret);
    assert.equal((await post('/_berth/agents/register', a.secret, { cluster: 'auth', containerInstanceArn: a.arn, totalResources: resources })).status, 200);
    const help = await run(process.execPath, [main, 'token', '--help']);
    assert.match(help.stdout, /--rotate/);
    const none = await run(process.execPath, [main, 'token', '--data-dir', join(berth.dataDir, 'nothing-here')]);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /has no join token: 'berth up' makes one/);
  });

  test('deregistration revokes the secret: the session is closed, and the secret neither reconnects nor re-registers', async () => {
    await ecs('deregister-container-instance', '--cluster', 'auth', '--container-instance', a.arn, '--force');
    await until(() => real.lines.some((l) => /refused this session: instance deregistered/.test(l)));
    const got = await forge(`Bearer ${a.secret}`, a.arn, '127.0.0.4');
    assert.equal(got.frames.length, 1);
    assert.equal(got.frames[0]!.payload.readUInt16BE(0), 1008);
    const res = await post('/_berth/agents/register', a.secret, { cluster: 'auth', containerInstanceArn: a.arn, totalResources: resources }, { from: '127.0.0.4' });
    assert.equal(res.status, 401);
    assert.match((await res.json() as { message: string }).message, /join again/);
    // It keeps retrying (0.5, 1, 2 s, …), and says so once per reason, not once per retry.
    await new Promise((r) => setTimeout(r, 4_000));
    assert.ok(real.lines.filter((l) => /refused this session/.test(l)).length <= 2, real.lines.join('\n'));
    real.s.close();
  });

  test('admin endpoints: open to this host, refused from another address without the join token, answered with it', { skip: outside === undefined && 'no non-loopback address' }, async () => {
    const from = { to: outside! };
    assert.equal(await get('/_berth/health', outside!), 200, 'health is open');
    const token = berth.joinToken();
    const noToken = await post('/_berth/reset', undefined, {}, from);
    assert.equal(noToken.status, 401);
    assert.match((await noToken.json() as { message: string }).message, /Authorization: Bearer <join token>/);
    assert.equal((await post('/_berth/reset', `berth_join_${randomBytes(32).toString('base64url')}`, {}, from)).status, 403);
    const exec = await post('/_berth/tasks/exec', undefined, { task: taskArn, cluster: 'auth', command: ['id'] }, from);
    assert.equal(exec.status, 401);
    assert.equal(await get(`/_berth/tasks/logs?task=${taskArn}&cluster=auth`, outside!), 401);
    // The refusals changed nothing: the task is still there.
    assert.equal((await ecs<{ tasks: unknown[] }>('describe-tasks', '--cluster', 'auth', '--tasks', taskArn)).tasks.length, 1);
    const gc = await post('/_berth/registry/gc', token, {}, from);
    assert.equal(gc.status, 200);
    // From loopback, as before: no token.
    assert.equal((await post('/_berth/registry/gc', undefined, {})).status, 200);
  });

  test('berth commands send $BERTH_TOKEN to a Berth on another host', { skip: outside === undefined && 'no non-loopback address' }, async () => {
    const endpoint = `http://${outside}:${berth.port}`;
    const refused = await run(process.execPath, [join(ROOT, 'src/cli/main.ts'), 'reset', '--yes', '--endpoint', endpoint], { env: { BERTH_TOKEN: '' } });
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /^berth: Berth's admin endpoints answer other hosts only with 'Authorization: Bearer <join token>'/);
    assert.equal((await ecs<{ clusterArns: string[] }>('list-clusters')).clusterArns.length, 2, 'nothing was reset');
    const done = await run(process.execPath, [join(ROOT, 'src/cli/main.ts'), 'reset', '--yes', '--endpoint', endpoint], { env: { BERTH_TOKEN: berth.joinToken() } });
    assert.equal(done.code, 0, done.stderr);
    assert.equal((await ecs<{ clusterArns: string[] }>('list-clusters')).clusterArns.length, 0);
  });

  test('an address with too many failures is refused outright for a while, even with the right token', { skip: outside === undefined && 'no non-loopback address' }, async () => {
    const from = { to: outside! };
    let status = 0;
    for (let i = 0; i < 12 && status !== 429; i++) status = (await post('/_berth/registry/gc', 'wrong', {}, from)).status;
    assert.equal(status, 429);
    const res = await post('/_berth/registry/gc', berth.joinToken(), {}, from);
    assert.equal(res.status, 429);
    assert.match((await res.json() as { message: string }).message, /Too many failed attempts .*wait 60 s/);
    assert.equal((await post('/_berth/registry/gc', undefined, {})).status, 200, 'this host is not affected');
    const log = berth.log();
    assert.equal(log.match(/failed attempts from/g)?.length, 1, 'a flood is two log lines, not one per attempt');
    assert.ok(!log.includes(berth.joinToken()) && !log.includes(a.secret) && !log.includes(b.secret), 'no secret is ever logged');
  });
});

test('berth up prints the line that joins another host, and on 0.0.0.0 what other hosts can reach', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'berth-up-output-'));
  const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', join(ROOT, 'src/cli/main.ts'), 'up', '--no-agent', '--host', '0.0.0.0', '--port', '0', '--data-dir', dataDir], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(async () => {
    if (child.exitCode === null) { child.kill('SIGTERM'); await new Promise((r) => child.once('exit', r)); }
    rmSync(dataDir, { recursive: true, force: true });
  });
  let out = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no complete start banner in 30 s:\n${out}`)), 30_000);
    child.stdout.on('data', (c: Buffer) => { out += c.toString(); if (/^ {2}admin /m.test(out)) { clearTimeout(timer); resolve(); } });
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`berth up exited with ${code}:\n${out}`)); });
  });
  const token = (await run(process.execPath, [join(ROOT, 'src/cli/main.ts'), 'token', '--data-dir', dataDir])).stdout.trim();
  const joinLine = /^ {2}join {7}berth agent --join (http:\/\/\S+) --token (\S+)$/m.exec(out);
  assert.ok(joinLine, out);
  assert.equal(joinLine[2], token);
  if (outside) assert.match(joinLine[1]!, new RegExp(`^http://${outside.replaceAll('.', '\\.')}:\\d+$`), 'a URL other hosts can use');
  assert.match(out, /^Listening on 0\.0\.0\.0: other hosts that reach this port can use$/m);
  assert.match(out, /^ {2}AWS APIs .*no signature check/m);
  assert.match(out, /^ {2}registry .*ECR token/m);
  assert.match(out, /^ {2}agents .*join token/m);
  assert.match(out, /^ {2}admin .*Authorization: Bearer <join token>/m);
});
