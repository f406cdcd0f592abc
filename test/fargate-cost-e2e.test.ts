// Issue 15 item 6 on a real Fargate task: under `berth up` with its agent, a FARGATE task
// runs a few seconds in its sandbox and exits; `berth cost --output json` shows it billed as
// AWS bills it, one minute at least: vCPU-seconds and GB-seconds = 60 × its size, priced at
// the table's FARGATE rate (src/cost/prices.ts). First counted live from the stopped task
// record, then from the usage record the metering job writes within its minute: the same.
// Host-touching: run under flock /tmp/berth-host.lock.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { CPU_UNITS_PER_VCPU, MIB_PER_GB, MINIMUM_BILLED_SECONDS } from '../src/cost/billing.ts';
import { DEFAULT_PRICES, priceOf, rateOf } from '../src/cost/prices.ts';
import type { CostReport } from '../src/cost/report.ts';
import { AWS_CLIS, aws } from './support/aws-cli.ts';
import { ROOT, type BerthProcess } from './support/berth.ts';
import { startBerthWithSamples, stopBerthAndTasks } from './support/berth-with-agent.ts';
import { run } from './support/run.ts';
import { until } from './support/until.ts';

let berth: BerthProcess;
const ecs = <T = Record<string, unknown>>(...args: string[]) => aws<T>(AWS_CLIS[1], berth.endpoint, ['ecs', ...args]);
const NETWORK = 'awsvpcConfiguration={subnets=[subnet-berth],assignPublicIp=DISABLED}';
/** The task's size: the smallest Fargate one. */
const CPU = 256;
const MEMORY = 512;
/** How long the container runs: well under the minute AWS bills at least. */
const RUN_SECONDS = 3;

type Report = CostReport & { counted: { stored: number; live: number } };
const cost = async (): Promise<Report> => {
  const r = await run(process.execPath, ['--disable-warning=ExperimentalWarning', join(ROOT, 'src/cli/main.ts'), 'cost', '--endpoint', berth.endpoint, '--output', 'json', '--since', '1h', '--by', 'provider']);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as Report;
};

before(async () => {
  berth = await startBerthWithSamples();
});

after(async () => {
  await stopBerthAndTasks(berth, ecs);
});

test('a FARGATE task of a few seconds is billed one minute of its size at the table\'s FARGATE price, live and once metered', async () => {
  await ecs('register-task-definition', '--cli-input-json', JSON.stringify({
    family: 'short', networkMode: 'awsvpc', requiresCompatibilities: ['FARGATE'], cpu: String(CPU), memory: String(MEMORY),
    containerDefinitions: [{ name: 'app', image: 'berth/sleep', essential: true, command: ['sleep', String(RUN_SECONDS)] }],
  }));
  const ran = await ecs<{ tasks: { taskArn: string }[]; failures: unknown[] }>('run-task', '--launch-type', 'FARGATE', '--task-definition', 'short', '--network-configuration', NETWORK);
  assert.deepEqual(ran.failures, []);
  const arn = ran.tasks[0]!.taskArn;
  await ecs('wait', 'tasks-stopped', '--tasks', arn);
  const [task] = (await ecs<{ tasks: { lastStatus: string; stopCode?: string; pullStartedAt?: string; executionStoppedAt?: string; containers: { exitCode?: number }[] }[] }>('describe-tasks', '--tasks', arn)).tasks;
  assert.deepEqual([task!.lastStatus, task!.stopCode, task!.containers[0]!.exitCode], ['STOPPED', 'EssentialContainerExited', 0], JSON.stringify(task));
  // The clock AWS bills: from the pull's start to the task's stop, here a few seconds.
  const ranFor = (Date.parse(task!.executionStoppedAt!) - Date.parse(task!.pullStartedAt!)) / 1000;
  assert.ok(ranFor >= RUN_SECONDS && ranFor < MINIMUM_BILLED_SECONDS, `billed clock ${ranFor} s`);

  // What AWS bills for it, from src/cost's own constants and table.
  const vcpuSeconds = (CPU / CPU_UNITS_PER_VCPU) * MINIMUM_BILLED_SECONDS;
  const gbSeconds = (MEMORY / MIB_PER_GB) * MINIMUM_BILLED_SECONDS;
  const price = priceOf({ vcpuSeconds, gbSeconds, storageGbSeconds: 0 }, rateOf(DEFAULT_PRICES, 'us-east-1', 'FARGATE', 'x86_64').rate);
  const check = (rep: Report, how: string) => {
    assert.deepEqual(rep.rows.map((r) => [r.group, r.tasks]), [['FARGATE', 1]], how);
    const row = rep.rows[0]!;
    assert.ok(Math.abs(row.vcpuHours * 3600 - vcpuSeconds) < 1e-9, `${how}: ${row.vcpuHours * 3600} vCPU-seconds, not ${vcpuSeconds}`);
    assert.ok(Math.abs(row.gbHours * 3600 - gbSeconds) < 1e-9, `${how}: ${row.gbHours * 3600} GB-seconds, not ${gbSeconds}`);
    assert.equal(row.storageGbHours, 0, `${how}: the default 20 GiB of ephemeral storage is not billed`);
    assert.ok(Math.abs(row.fargateCost - price) < 1e-12 && Math.abs(row.totalCost - price) < 1e-12, `${how}: $${row.fargateCost}, not $${price}`);
    assert.deepEqual([row.spotCost, row.spotSavings], [0, 0], how);
    assert.equal(rep.prices.date, DEFAULT_PRICES.date);
  };

  const live = await cost();
  // Stopped but not metered yet: counted from its task record (or already metered: the job may have run).
  assert.equal(live.counted.stored + live.counted.live, 1, JSON.stringify(live.counted));
  check(live, 'from the stopped task');
  // The metering job (every minute) writes its usage record: the report then counts that, once.
  const metered = await until('the task metered', async () => {
    const rep = await cost();
    return rep.counted.stored === 1 ? rep : undefined;
  }, 150_000);
  assert.deepEqual(metered.counted, { stored: 1, live: 0 });
  check(metered, 'from its usage record');
});
