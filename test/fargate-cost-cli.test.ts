// `berth cost` against a real `berth up`: Fargate tasks written into its store while it is
// stopped (no agent runs Fargate tasks yet on this branch), then the report through the
// admin endpoint: stored usage, a stopped task not yet metered, a running one metered up to
// now; the window, grouping, a price file and the one-line errors.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { keys } from '../src/core/ecs/keys.ts';
import type { TaskRecord } from '../src/core/ecs/task.ts';
import { usageOf } from '../src/cost/billing.ts';
import { DEFAULT_PRICES, priceOf, rateOf } from '../src/cost/prices.ts';
import type { CostReport } from '../src/cost/report.ts';
import { dayOf, usageKeys, type UsageRecord } from '../src/cost/usage-record.ts';
import { openSqliteStore } from '../src/store/sqlite/sqlite-store.ts';
import { aws, AWS_CLIS } from './support/aws-cli.ts';
import { freePort, ROOT, startBerth, type BerthProcess } from './support/berth.ts';
import { run } from './support/run.ts';

const SCOPE = { account: '000000000000', region: 'us-east-1' };
const berthCli = (...args: string[]) => run(process.execPath, ['--disable-warning=ExperimentalWarning', join(ROOT, 'src/cli/main.ts'), ...args]);
let berth: BerthProcess;
let scratch: string;
let T0: number;

function taskRecord(id: string, o: Partial<TaskRecord>): TaskRecord {
  return {
    taskArn: `arn:aws:ecs:us-east-1:000000000000:task/shop/${id}`, clusterArn: 'arn:aws:ecs:us-east-1:000000000000:cluster/shop',
    taskDefinitionArn: 'arn:aws:ecs:us-east-1:000000000000:task-definition/web:1', overrides: {}, lastStatus: 'RUNNING', desiredStatus: 'RUNNING',
    containers: [], version: 1, createdAt: T0 - 9000, group: 'service:web', launchType: 'FARGATE', attachments: [], healthStatus: 'UNKNOWN',
    tags: [], enableExecuteCommand: false, cpu: '1024', memory: '2048', ...o,
  };
}

before(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'berth-cost-'));
  berth = await startBerth();
  await aws(AWS_CLIS[0], berth.endpoint, ['ecs', 'create-cluster', '--cluster-name', 'shop']);
  await berth.stop({ keepData: true });
  T0 = Math.floor(Date.now() / 1000);
  const store = await openSqliteStore(join(berth.dataDir, 'state.db'));
  const put = async (key: string, value: unknown) => assert.ok((await store.txn({ ops: [{ type: 'put', key, value: JSON.stringify(value) }] })).ok);
  // Running two hours on FARGATE: metered live, up to now.
  await put(keys.task(SCOPE, 'shop', 'a'.repeat(32)), taskRecord('a'.repeat(32), { lastStatus: 'RUNNING', capacityProviderName: 'FARGATE', pullStartedAt: T0 - 7200, startedAt: T0 - 7190 }));
  // Stopped on FARGATE_SPOT after an hour, 50 GiB of storage, not metered yet.
  await put(keys.task(SCOPE, 'shop', 'b'.repeat(32)), taskRecord('b'.repeat(32), {
    lastStatus: 'STOPPED', desiredStatus: 'STOPPED', capacityProviderName: 'FARGATE_SPOT', cpu: '512', memory: '1024', ephemeralStorage: { sizeInGiB: 50 },
    pullStartedAt: T0 - 4000, executionStoppedAt: T0 - 400, stoppedAt: T0 - 390,
  }));
  // Never pulled (stopped while PROVISIONING), and an EC2 task: neither is billed.
  await put(keys.task(SCOPE, 'shop', 'c'.repeat(32)), taskRecord('c'.repeat(32), { lastStatus: 'STOPPED', desiredStatus: 'STOPPED', stoppedAt: T0 - 100 }));
  await put(keys.task(SCOPE, 'shop', 'd'.repeat(32)), taskRecord('d'.repeat(32), { launchType: 'EC2', pullStartedAt: T0 - 7200 }));
  // Metered yesterday, its task record long gone: 30 s billed as a minute.
  const size = { cpu: 256, memory: 512, storageGiB: 20, start: T0 - 86_430, end: T0 - 86_400 };
  const old: UsageRecord = { taskArn: 'arn:aws:ecs:us-east-1:000000000000:task/shop/old', cluster: 'shop', provider: 'FARGATE', arch: 'x86_64', ...size, ...usageOf(size) };
  await put(usageKeys.record(dayOf(size.end), SCOPE, 'shop', 'e'.repeat(32)), old);
  await store.close();
  await berth.restart();
});

after(async () => {
  await berth.stop();
  rmSync(scratch, { recursive: true, force: true });
});

const report = async (...args: string[]) => {
  const r = await berthCli('cost', '--endpoint', berth.endpoint, '--output', 'json', ...args);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as CostReport & { since: string; until: string; meterEc2: boolean; counted: { stored: number; live: number } };
};
const near = (actual: number, expected: number, slack: number, what: string) => assert.ok(Math.abs(actual - expected) <= slack, `${what}: ${actual} is not ${expected} ± ${slack}`);

test('berth cost counts stored usage, stopped tasks not yet metered and running ones up to now, by service', async () => {
  const rep = await report('--since', '2d');
  assert.deepEqual(rep.rows.map((r) => [r.group, r.tasks]), [['shop/-', 1], ['shop/web', 2]]);
  const web = rep.rows[1]!;
  const elapsed = Date.now() / 1000 - T0 + 5;
  // a: 1 vCPU, 2 GB for 7200 s and counting; b: 0.5 vCPU, 1 GB, 30 GB of storage beyond 20, for 3600 s.
  near(web.vcpuHours, 2 + 0.5, elapsed / 3600, 'vCPU-hours');
  near(web.gbHours, 4 + 1, (2 * elapsed) / 3600, 'GB-hours');
  near(web.storageGbHours, 30, 1e-9, 'storage GB-hours');
  const od = rateOf(DEFAULT_PRICES, 'us-east-1', 'FARGATE', 'x86_64').rate;
  const spot = rateOf(DEFAULT_PRICES, 'us-east-1', 'FARGATE_SPOT', 'x86_64').rate;
  const b = { vcpuSeconds: 1800, gbSeconds: 3600, storageGbSeconds: 30 * 3600 };
  near(web.spotCost, priceOf(b, spot), 1e-9, 'Spot $');
  near(web.spotSavings, priceOf(b, od) - priceOf(b, spot), 1e-9, 'Spot saved $');
  near(web.fargateCost, od.vcpuHour * 2 + od.gbHour * 4, (od.vcpuHour + 2 * od.gbHour) * elapsed / 3600, 'FARGATE $');
  // yesterday's task: a minute of 0.25 vCPU and 0.5 GB.
  near(rep.rows[0]!.vcpuHours, 15 / 3600, 1e-12, 'a minute at least');
  assert.equal(rep.total.tasks, 3);
  assert.equal(rep.prices.date, DEFAULT_PRICES.date);
});

test('the window, the grouping and a price file change what is counted and how it is priced', async () => {
  // The last two hours leave yesterday's task out.
  assert.deepEqual((await report('--since', '2h')).rows.map((r) => r.group), ['shop/web']);
  assert.deepEqual((await report('--since', '2d', '--by', 'provider')).rows.map((r) => [r.group, r.tasks]), [['FARGATE', 2], ['FARGATE_SPOT', 1]]);
  assert.deepEqual((await report('--since', '2d', '--service', 'web', '--by', 'cluster')).rows.map((r) => [r.group, r.tasks]), [['shop', 2]]);
  assert.deepEqual((await report('--cluster', 'other')).rows, []);
  const file = join(scratch, 'prices.json');
  writeFileSync(file, JSON.stringify({ date: '2026-12-01', regions: { 'us-east-1': { FARGATE_SPOT: { x86_64: { vcpuHour: 0, gbHour: 0 } } } } }));
  const priced = await report('--since', '2d', '--prices', file, '--by', 'provider');
  assert.equal(priced.prices.date, '2026-12-01');
  near(priced.rows[1]!.spotCost, 30 * 0.000111, 1e-12, 'storage alone');
  // The same file named once in the environment.
  const env = await run(process.execPath, ['--disable-warning=ExperimentalWarning', join(ROOT, 'src/cli/main.ts'), 'cost', '--endpoint', berth.endpoint, '--output', 'json'], { env: { BERTH_FARGATE_PRICES: file } });
  assert.equal(env.code, 0, env.stderr);
  assert.equal((JSON.parse(env.stdout) as CostReport).prices.date, '2026-12-01');
});

test('--ec2 adds what the EC2-mode tasks would have cost on FARGATE, in a column of its own, and says whether they are metered', async () => {
  const rep = await report('--since', '2d', '--by', 'provider', '--ec2');
  assert.deepEqual(rep.rows.map((r) => [r.group, r.tasks]), [['EC2', 1], ['FARGATE', 2], ['FARGATE_SPOT', 1]]);
  const od = rateOf(DEFAULT_PRICES, 'us-east-1', 'FARGATE', 'x86_64').rate;
  // The EC2 task: 1 vCPU and 2 GB (a Fargate size already), running two hours and counting.
  const elapsed = Date.now() / 1000 - T0 + 5;
  near(rep.rows[0]!.ec2AsFargateCost, 2 * (od.vcpuHour + 2 * od.gbHour), (od.vcpuHour + 2 * od.gbHour) * elapsed / 3600, 'EC2 as FARGATE $');
  assert.equal(rep.rows[0]!.totalCost, 0);
  const table = await berthCli('cost', '--endpoint', berth.endpoint, '--since', '2d', '--ec2');
  assert.match(table.stdout, /SPOT SAVED \$\s+EC2 AS FARGATE \$\n/);
  // This Berth meters Fargate tasks only: the report says what that leaves out.
  assert.equal(rep.meterEc2, false);
  assert.match(table.stdout, /^EC2-mode tasks are not metered \(start Berth with 'berth up --meter-ec2'\): only the ones still held, running or stopped within the hour, are counted\.$/m);
  assert.doesNotMatch((await berthCli('cost', '--endpoint', berth.endpoint, '--since', '2d')).stdout, /not metered/, 'said only to --ec2');
  const metering = await startBerth(['--meter-ec2']);
  try {
    const r = await berthCli('cost', '--endpoint', metering.endpoint, '--ec2', '--output', 'json');
    assert.equal(r.code, 0, r.stderr);
    assert.equal((JSON.parse(r.stdout) as { meterEc2: boolean }).meterEc2, true, 'berth up --meter-ec2 meters them');
    assert.doesNotMatch((await berthCli('cost', '--endpoint', metering.endpoint, '--ec2')).stdout, /not metered/);
  } finally {
    await metering.stop();
  }
});

test('berth cost prints a table with a total line', async () => {
  const r = await berthCli('cost', '--endpoint', berth.endpoint, '--since', '2d');
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.match(lines[0]!, /^Fargate cost in us-east-1, .* prices of \d{4}-\d{2}-\d{2} \(/);
  assert.match(lines[1]!, /^SERVICE\s+TASKS\s+VCPU-HOURS\s+GB-HOURS\s+STORAGE GB-HOURS\s+FARGATE \$\s+SPOT \$\s+TOTAL \$\s+SPOT SAVED \$$/);
  assert.match(lines[2]!, /^shop\/-\s+1\s+0\.004\s/);
  assert.match(lines.at(-1)!, /^TOTAL\s+3\s/);
});

test('bad input is a one-line usage error with exit code 2', async () => {
  const bad = join(scratch, 'bad.json');
  writeFileSync(bad, '{"regions":{"us-east-1":{"FARGATE":{"x86_64":{"vcpuHour":-1}}}}}');
  const cases: [string[], RegExp][] = [
    [['--since', 'yesterday'], /^berth: --since must be a duration back from now \(90m, 24h, 7d\) or a date\/time/],
    [['--since', '1h', '--until', '2h'], /^berth: --since \(.*\) must be before --until/],
    [['--by', 'region'], /^berth: --by must be one of service, cluster, provider, not 'region'/],
    [['--prices', bad], /^berth: --prices .*bad\.json: \$\.regions\.us-east-1\.FARGATE\.x86_64\.vcpuHour must be a number of dollars ≥ 0, not -1\./],
    [['--prices', join(scratch, 'missing.json')], /^berth: cannot read --prices .*missing\.json: ENOENT\./],
    [['--output', 'yaml'], /^berth: --output must be json/],
  ];
  for (const [args, message] of cases) {
    const r = await berthCli('cost', '--endpoint', berth.endpoint, ...args);
    assert.equal(r.code, 2, args.join(' '));
    assert.match(r.stderr, message);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
  const region = await berthCli('cost', '--endpoint', berth.endpoint, '--region', 'mars');
  assert.equal(region.code, 1);
  assert.match(region.stderr, /^berth: region must be a region name like us-east-1, not 'mars'\.$/m);
});

test('what is not Berth\'s answer is one line too: a refusal that is not JSON, an endpoint nobody serves', async () => {
  // A proxy in front of Berth answering for it, as a load balancer does when Berth is down.
  const proxy = createServer((_req, res) => {
    res.writeHead(502, { 'content-type': 'text/html' });
    res.end('502 Bad Gateway\n<html><body>upstream down</body></html>\n');
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  try {
    const refused = await berthCli('cost', '--endpoint', `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`);
    assert.equal(refused.code, 1);
    assert.equal(refused.stderr, 'berth: 502 Bad Gateway\n');
  } finally {
    proxy.close();
  }
  const endpoint = `http://127.0.0.1:${await freePort()}`;
  const nobody = await berthCli('cost', '--endpoint', endpoint);
  assert.equal(nobody.code, 1);
  assert.equal(nobody.stderr, `berth: cannot reach Berth at ${endpoint}: start it with 'berth up', or pass --endpoint.\n`);
});

test('the control plane meters the stopped task within its minute, and after kill -9 counts each task once, nothing lost', async () => {
  const deadline = Date.now() + 150_000;
  let rep = await report('--since', '2d');
  // The metering job runs every minute: the stopped Spot task moves from live to stored.
  while (rep.counted.stored < 2 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 2000));
    rep = await report('--since', '2d');
  }
  assert.deepEqual(rep.counted, { stored: 2, live: 1 }, 'yesterday\'s and the stopped task stored; the running one live');
  await berth.kill9();
  await berth.restart();
  const again = await report('--since', '2d', '--by', 'provider');
  assert.deepEqual(again.counted, { stored: 2, live: 1 });
  assert.deepEqual(again.rows.map((r) => [r.group, r.tasks]), [['FARGATE', 2], ['FARGATE_SPOT', 1]]);
  near(again.rows[1]!.vcpuHours, 0.5, 1e-9, 'the Spot task, once');
});
