// The berth command as a person meets it: help on every command, one-line errors that
// say what to do (port in use, data dir unwritable, a missing --yes), JSON output.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { commands } from '../src/cli/commands/index.ts';
import { ROOT, startBerth, type BerthProcess } from './support/berth.ts';
import { aws, AWS_CLIS } from './support/aws-cli.ts';
import { run } from './support/run.ts';

const berthCli = (...args: string[]) => run(process.execPath, [join(ROOT, 'src/cli/main.ts'), ...args]);
let berth: BerthProcess;
before(async () => { berth = await startBerth(); });
after(async () => { await berth.stop(); });

test('every command has --help, and berth --help lists them all', async () => {
  const top = await berthCli('--help');
  assert.equal(top.code, 0);
  for (const name of Object.keys(commands)) {
    assert.match(top.stdout, new RegExp(`^  ${name} `, 'm'));
    const h = await berthCli(name, '--help');
    assert.equal(h.code, 0, name);
    assert.match(h.stdout, new RegExp(`^Usage: berth ${name}`), name);
  }
});

test('an unknown command or option is a one-line usage error with exit code 2', async () => {
  const unknown = await berthCli('frobnicate');
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /^berth: unknown command 'frobnicate'\. Run 'berth --help'/);
  const option = await berthCli('up', '--bogus');
  assert.equal(option.code, 2);
  assert.equal(option.stderr.trim().split('\n').length, 1);
});

test('berth up on a port in use, or with a data dir it cannot write, says what to do', async () => {
  const scratch = mkdtempSync(join(tmpdir(), 'berth-cli-'));
  const busy = await berthCli('up', '--no-agent', '--port', String(berth.port), '--data-dir', join(scratch, 'data'));
  assert.equal(busy.code, 1);
  assert.match(busy.stderr, new RegExp(`^berth: port ${berth.port} on 127\\.0\\.0\\.1 is in use: stop what is using it, or pass --port`));
  const file = join(scratch, 'not-a-dir');
  writeFileSync(file, '');
  const unwritable = await berthCli('up', '--no-agent', '--port', '0', '--data-dir', join(file, 'sub'));
  assert.equal(unwritable.code, 1);
  assert.match(unwritable.stderr, /^berth: cannot write to the data dir .* \(ENOTDIR\): pass --data-dir with a directory you can write to\./);
  rmSync(scratch, { recursive: true, force: true });
});

test('berth up on a data dir another berth holds is refused', async () => {
  const r = await berthCli('up', '--no-agent', '--port', '0', '--data-dir', berth.dataDir);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /in use by another process .* pass another --data-dir/);
});

test('reset needs --yes, then wipes state; version prints JSON', async () => {
  const refused = await berthCli('reset', '--endpoint', berth.endpoint);
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /pass --yes/);
  const done = await berthCli('reset', '--yes', '--endpoint', berth.endpoint, '--output', 'json');
  assert.equal(done.code, 0, done.stderr);
  assert.equal((JSON.parse(done.stdout) as { reset: boolean }).reset, true);
  const v = JSON.parse((await berthCli('version', '--output', 'json')).stdout) as { version: string; node: string };
  assert.match(v.version, /^\d+\.\d+\.\d+$/);
  assert.equal(v.node.split('.')[0], '24');
});

test('a command that cannot reach Berth says how to start it', async () => {
  const r = await berthCli('ps', '--endpoint', 'http://127.0.0.1:1');
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^berth: cannot reach http:\/\/127\.0\.0\.1:1 .*start it with 'berth up', or pass --endpoint\./);
});

test('berth logs, exec and reset ask through the admin client: the requests they make, their answers, and a refusal that is not JSON in one line', async () => {
  // Berth's side played by a server that records what it is asked (the real routes need an
  // agent with containers: test/ecs-tasks-containers.test.ts drives them).
  const seen: { method: string; url: string; type?: string; body: string }[] = [];
  let down = false;
  const fake = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, ...(req.headers['content-type'] && { type: req.headers['content-type'] }), body });
      if (down) {
        res.writeHead(502, { 'content-type': 'text/html' });
        res.end('502 Bad Gateway\n<html></html>\n');
      } else if (req.url!.startsWith('/_berth/tasks/logs')) {
        res.end('2026-12-07T10:00:00Z stdout F hello\n2026-12-07T10:00:01Z stderr F bye\n');
      } else if (req.url === '/_berth/tasks/exec') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ exitCode: 3, stdout: 'out\n', stderr: 'err\n' }));
      } else {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ reset: true, revision: 7 }));
      }
    });
  });
  await new Promise<void>((resolve) => fake.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(fake.address() as AddressInfo).port}`;
  const task = 'a'.repeat(32);
  try {
    const logs = await berthCli('logs', task, '--cluster', 'c1', '--container', 'web', '--endpoint', endpoint);
    assert.deepEqual([logs.code, logs.stdout], [0, 'hello\nbye\n'], logs.stderr);
    const exec = await berthCli('exec', task, '--endpoint', endpoint, '--', 'ls', '-l');
    assert.deepEqual([exec.code, exec.stdout, exec.stderr], [3, 'out\n', 'err\n']);
    const reset = await berthCli('reset', '--yes', '--endpoint', endpoint);
    assert.deepEqual([reset.code, reset.stdout], [0, 'All state wiped (store revision 7).\n'], reset.stderr);
    assert.deepEqual(seen, [
      { method: 'GET', url: `/_berth/tasks/logs?task=${task}&cluster=c1&container=web&region=us-east-1`, body: '' },
      { method: 'POST', url: '/_berth/tasks/exec', type: 'application/json', body: JSON.stringify({ task, command: ['ls', '-l'], region: 'us-east-1' }) },
      { method: 'POST', url: '/_berth/reset', body: '' },
    ]);
    down = true;
    for (const args of [['logs', task, '--endpoint', endpoint], ['exec', task, '--endpoint', endpoint, '--', 'true'], ['reset', '--yes', '--endpoint', endpoint]]) {
      const r = await berthCli(...args);
      assert.deepEqual([r.code, r.stderr], [1, 'berth: 502 Bad Gateway\n'], args[0]);
    }
  } finally {
    fake.close();
  }
});

test('berth service lists services with desired, running and pending counts and the last event; berth ps lists them after the tasks; --output json', async () => {
  const cli = AWS_CLIS[1];
  const ecs = (...args: string[]) => aws(cli, berth.endpoint, ['ecs', ...args]);
  await ecs('create-cluster', '--cluster-name', 'svc');
  await ecs('register-task-definition', '--family', 'web', '--container-definitions', '[{"name":"web","image":"busybox","memory":64}]');
  await ecs('create-service', '--cluster', 'svc', '--service-name', 'web', '--task-definition', 'web', '--desired-count', '3');
  // The cluster has no instances: the service scheduler says so in an event, the last event shown.
  let lastEvent = '';
  for (let i = 0; i < 100 && !lastEvent; i++) {
    const d = await ecs('describe-services', '--cluster', 'svc', '--services', 'web') as { services: { events: { message: string }[] }[] };
    lastEvent = d.services[0]!.events[0]?.message ?? '';
    if (!lastEvent) await new Promise((r) => setTimeout(r, 100));
  }
  assert.match(lastEvent, /^\(service web\) was unable to place a task because no container instance met all of its requirements\. Reason: No Container Instances were found in your cluster\. /);
  const r = await berthCli('service', '--endpoint', berth.endpoint);
  assert.equal(r.code, 0, r.stderr);
  const [head, row] = r.stdout.trim().split('\n');
  assert.match(head!, /^SERVICE\s+CLUSTER\s+STATUS\s+DESIRED\s+RUNNING\s+PENDING\s+TASK DEFINITION\s+LAST EVENT$/);
  assert.ok(row!.replace(/^web\s+svc\s+ACTIVE\s+3\s+0\s+0\s+web:1\s+/, '') === lastEvent, row);
  const json = JSON.parse((await berthCli('service', 'ls', '--cluster', 'svc', '--endpoint', berth.endpoint, '--output', 'json')).stdout) as { services: { serviceName: string; desiredCount: number }[] };
  assert.deepEqual(json.services.map((s) => [s.serviceName, s.desiredCount]), [['web', 3]]);
  // berth ps lists the services after the tasks.
  const ps = await berthCli('ps', '--cluster', 'svc', '--endpoint', berth.endpoint);
  assert.equal(ps.code, 0, ps.stderr);
  assert.match(ps.stdout, /^TASK\s+CLUSTER\s+SERVICE OR POD\s+TASK DEFINITION\s+STATUS\s+PORTS\s+ISOLATION\s+AGE\n\nSERVICE\s+CLUSTER\s+STATUS.*\nweb\s+svc\s+ACTIVE\s+3\s+0\s+0\s+web:1\s+\(service web\) was unable to place a task because no container instance met all of its requirements\..*\n$/);
  const psJson = JSON.parse((await berthCli('ps', '--cluster', 'svc', '--endpoint', berth.endpoint, '--output', 'json')).stdout) as { tasks: unknown[]; services: { serviceName: string }[] };
  assert.deepEqual([psJson.tasks, psJson.services.map((s) => s.serviceName)], [[], ['web']]);
  const bad = await berthCli('service', 'frob', '--endpoint', berth.endpoint);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /^berth: unknown service action 'frob'\. Run 'berth service --help'\./);
});
