/**
 * Fargate Spot's interruption, end to end (issue 15: "Spot: interrupt → replacement RUNNING
 * p50 under 2 s, stopTimeout aside"): a service of FARGATE_SPOT tasks under `berth up` with
 * its agent, one task interrupted at a time (`berth spot interrupt`'s endpoint), timed from
 * the interruption to its replacement RUNNING; beside it, in the same run, a plain RunTask
 * FARGATE of the same task definition timed to RUNNING (the baseline: what a start costs
 * with nothing else to do). Both are polled the same way (DescribeTasks every POLL_MS).
 *
 * The container exits on SIGTERM at once, so the interrupted task's stopTimeout plays no
 * part; the replacement does not wait for it anyway (the service scheduler starts it on the
 * warning, within maximumPercent). Each trial's row gives where the time went: the
 * replacement created (the scheduler's reaction), then started (the agent's sandbox start).
 *
 *   flock /tmp/berth-bench.lock flock /tmp/berth-host.lock bin/bench spot [--trials N]
 *
 * As root (gVisor sandboxes, network namespaces). Every task, the service and the host are
 * cleaned up however it ends.
 */
import { availableParallelism, loadavg } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { adminJson } from '../src/cli/admin-client.ts';
import { ecsClient, type EcsClient } from './lib/aws-json.ts';
import { describeTasks, runTask, stopTasks, waitForStatus, type Task } from './lib/ecs-tasks.ts';
import { figuresJson, figuresTable, type FigureRow } from './lib/figures-table.ts';
import { msPair, summarize } from './lib/latency-stats.ts';
import { backgroundCores } from './lib/machine.ts';
import { cleanupNow, run, tempDir } from './lib/processes.ts';
import { createService, isStable, watchService } from './lib/service-waits.ts';
import { cleanup, startBerth, takeOverSignals } from './lib/task-start-berth.ts';
import { CLUSTER } from './lib/task-load.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** Issue 15's target for interrupt → replacement RUNNING. */
const TARGET_P50_MS = 2_000;
/** How often a wait polls DescribeTasks / ListTasks: small against the figures measured. */
const POLL_MS = 20;
/** The longest any one wait may take before it is a failure rather than a figure. */
const WAIT_TIMEOUT_MS = 120_000;
const SERVICE = 'bench-spot';
const FAMILY = 'bench-spot';
const NETWORK = { awsvpcConfiguration: { subnets: ['subnet-berth'], assignPublicIp: 'DISABLED' } };
const say = (line: string) => process.stderr.write(`spot: ${line}\n`);

const HELP = `Usage: flock /tmp/berth-bench.lock flock /tmp/berth-host.lock bin/bench spot [options]   (as root)
  --trials N      interruptions timed, and plain FARGATE starts as the baseline (default 20)
  --desired N     the FARGATE_SPOT service's desired count (default 2)
  --output text|json`;

async function main(): Promise<number> {
  const { values: v } = parseArgs({ options: {
    trials: { type: 'string', default: '20' }, desired: { type: 'string', default: '2' }, output: { type: 'string', default: 'text' }, help: { type: 'boolean', default: false },
  } });
  if (v.help) { process.stdout.write(`${HELP}\n`); return 0; }
  if (process.getuid?.() !== 0) throw new Error('run as root (Fargate tasks run in gVisor sandboxes with their own network namespaces)');
  const trials = Number(v.trials);
  const desired = Number(v.desired);
  const background = await backgroundCores();
  const loadAtStart = loadavg()[0]!;
  takeOverSignals();
  const work = tempDir('berth-bench-spot-', '/var/tmp');
  let rows: FigureRow[];
  try {
    const berth = await startBerth(work, 'berth', { runtime: undefined, profileDir: undefined, agentEntry: undefined, agentNodeOptions: undefined, image: 'berth/sleep', memory: 64 }, false);
    say('pushing the sample images (bin/berth image samples)');
    await run(join(ROOT, 'bin/berth'), ['image', 'samples', '--endpoint', berth.url]);
    const client = ecsClient(berth.url);
    try {
      // SIGTERM ends the container at once (`wait` returns on the signal; the trap exits).
      await client.ok('RegisterTaskDefinition', {
        family: FAMILY, networkMode: 'awsvpc', requiresCompatibilities: ['FARGATE'], cpu: '256', memory: '512',
        containerDefinitions: [{ name: 'app', image: 'berth/sleep', essential: true, stopTimeout: 2, command: ['sh', '-c', "trap 'exit 0' TERM; sleep 3600 & wait"] }],
      });
      say('warm-up: one FARGATE task (image cached, first sandbox)');
      await baselineTrial(client);
      say(`baseline: ${trials} × RunTask FARGATE → RUNNING`);
      const baseline: number[] = [];
      for (let i = 0; i < trials; i++) baseline.push(await baselineTrial(client));
      say(`spot: a FARGATE_SPOT service of ${desired}, ${trials} interruptions`);
      const spot = await spotTrials(client, berth.url, trials, desired);
      rows = figures(baseline, spot, desired);
    } finally {
      await client.ok('DeleteService', { cluster: CLUSTER, service: SERVICE, force: true }).catch(() => undefined);
      client.close();
    }
  } finally {
    await cleanup.run();
  }
  const meta = { benchmark: 'spot', date: new Date().toISOString(), node: process.version, cores: availableParallelism(), machine: { backgroundCoresAtStart: background, loadAverage1mAtStart: loadAtStart, loadAverage1mAtEnd: loadavg()[0]! } };
  if (v.output === 'json') process.stdout.write(`${figuresJson(rows, meta)}\n`);
  else {
    process.stdout.write(`\nFargate Spot: interruption → replacement RUNNING, beside a plain FARGATE start (${process.version}, ${meta.cores} cores)\n`);
    process.stdout.write(`machine: ${background.toFixed(2)} cores busy before the run; 1-minute load average ${loadAtStart.toFixed(2)} at the start, ${loadavg()[0]!.toFixed(2)} at the end\n\n${figuresTable(rows)}\n`);
  }
  return rows.every((r) => r.pass !== false) ? 0 : 1;
}

/** RunTask FARGATE → RUNNING in ms; the task is stopped again (not timed). */
async function baselineTrial(client: EcsClient): Promise<number> {
  const t0 = performance.now();
  const r = await runTask(client, { cluster: CLUSTER, taskDefinition: FAMILY, launchType: 'FARGATE', networkConfiguration: NETWORK });
  if (r.failures.length || r.tasks.length !== 1) throw new Error(`RunTask FARGATE failed: ${JSON.stringify(r.failures)}`);
  const arn = r.tasks[0]!.taskArn;
  const [t] = await waitForStatus(client, CLUSTER, [arn], 'RUNNING', WAIT_TIMEOUT_MS, POLL_MS);
  const ms = performance.now() - t0;
  if (t!.lastStatus !== 'RUNNING') throw new Error(`the baseline task stopped before RUNNING: ${t!.stoppedReason ?? ''}`);
  await stopTasks(client, CLUSTER, [arn], WAIT_TIMEOUT_MS);
  return ms;
}

interface SpotTrial {
  /** Interruption (before the call) → the replacement RUNNING. */
  readonly ms: number;
  /** Interruption → the replacement's createdAt (the scheduler's reaction; server clock, same machine). */
  readonly createdMs: number;
  /** The replacement's createdAt → its startedAt (the start itself). */
  readonly startMs: number;
}

async function spotTrials(client: EcsClient, url: string, trials: number, desired: number): Promise<SpotTrial[]> {
  await client.ok('PutClusterCapacityProviders', { cluster: CLUSTER, capacityProviders: ['FARGATE', 'FARGATE_SPOT'], defaultCapacityProviderStrategy: [] });
  const created = await createService(client, {
    cluster: CLUSTER, serviceName: SERVICE, taskDefinition: FAMILY, desiredCount: desired, networkConfiguration: NETWORK,
    capacityProviderStrategy: [{ capacityProvider: 'FARGATE_SPOT', weight: 1 }],
  });
  await watchService(client, CLUSTER, created.serviceName, isStable, WAIT_TIMEOUT_MS);
  const out: SpotTrial[] = [];
  for (let i = 0; i < trials; i++) {
    const before = await serviceTasks(client);
    const victim = before.find((t) => t.lastStatus === 'RUNNING' && t.desiredStatus === 'RUNNING');
    if (!victim) throw new Error('no RUNNING Spot task to interrupt');
    const known = new Set(before.map((t) => t.taskArn));
    const wall0 = Date.now();
    const t0 = performance.now();
    const answer = await adminJson<{ interrupted: unknown[] }>(url, '/_berth/spot/interrupt', { method: 'POST', body: { cluster: CLUSTER, task: victim.taskArn } });
    if (answer.interrupted.length !== 1) throw new Error(`the interruption of ${victim.taskArn} was not done: ${JSON.stringify(answer)}`);
    const replacement = await replacementRunning(client, known);
    const ms = performance.now() - t0;
    const createdMs = replacement.createdAt! * 1000 - wall0;
    out.push({ ms, createdMs, startMs: (replacement.startedAt! - replacement.createdAt!) * 1000 });
    // The next trial starts from a steady service: the old task STOPPED, the count restored.
    await waitForStatus(client, CLUSTER, [victim.taskArn], 'STOPPED', WAIT_TIMEOUT_MS, POLL_MS);
    await watchService(client, CLUSTER, created.serviceName, isStable, WAIT_TIMEOUT_MS);
    say(`trial ${i + 1}: ${ms.toFixed(0)} ms (created after ${createdMs.toFixed(0)} ms)`);
  }
  await client.ok('UpdateService', { cluster: CLUSTER, service: SERVICE, desiredCount: 0 });
  await watchService(client, CLUSTER, SERVICE, (s) => s.runningCount === 0 && s.pendingCount === 0, WAIT_TIMEOUT_MS);
  return out;
}

async function serviceTasks(client: EcsClient): Promise<Task[]> {
  const { taskArns } = await client.ok<{ taskArns: string[] }>('ListTasks', { cluster: CLUSTER, serviceName: SERVICE, desiredStatus: 'RUNNING' });
  return describeTasks(client, CLUSTER, taskArns);
}

/** The first task of the service not in `known` once it is RUNNING. */
async function replacementRunning(client: EcsClient, known: ReadonlySet<string>): Promise<Task> {
  const deadline = Date.now() + WAIT_TIMEOUT_MS;
  for (;;) {
    const fresh = (await serviceTasks(client)).filter((t) => !known.has(t.taskArn));
    const up = fresh.find((t) => t.lastStatus === 'RUNNING');
    if (up) return up;
    if (Date.now() > deadline) throw new Error(`no replacement RUNNING within ${WAIT_TIMEOUT_MS} ms (${fresh.map((t) => t.lastStatus).join(', ') || 'none created'})`);
    await sleep(POLL_MS);
  }
}

function figures(baseline: readonly number[], spot: readonly SpotTrial[], desired: number): FigureRow[] {
  const b = summarize(baseline);
  const s = summarize(spot.map((t) => t.ms));
  const created = summarize(spot.map((t) => t.createdMs));
  const started = summarize(spot.map((t) => t.startMs));
  return [
    {
      figure: `interrupt → replacement RUNNING p50/p95 (${s.n} trials)`, berth: `${msPair(s)} ms`, baseline: `RunTask FARGATE ${msPair(b)} ms`, ratio: s.p50 / b.p50,
      target: `p50 < ${TARGET_P50_MS} ms`, pass: s.p50 < TARGET_P50_MS, values: { spot, baseline, summary: { spot: s, baseline: b } },
      note: `a FARGATE_SPOT service of ${desired}, one task interrupted at a time (the container exits on SIGTERM); baseline: RunTask --launch-type FARGATE → RUNNING of the same definition, ${b.n} runs; both polled every ${POLL_MS} ms`,
    },
    {
      figure: 'of which: interrupt → replacement created', berth: `${msPair(created)} ms`, baseline: '-', ratio: undefined, target: '-', pass: undefined, values: { created },
      note: "the service scheduler's reaction to the warning (the replacement's createdAt, server clock)",
    },
    {
      figure: 'of which: replacement created → started', berth: `${msPair(started)} ms`, baseline: `RunTask FARGATE ${msPair(b)} ms`, ratio: started.p50 / b.p50, target: '-', pass: undefined, values: { started },
      note: "placement and the agent's sandbox start (createdAt → startedAt)",
    },
  ];
}

main().then((code) => {
  cleanupNow();
  process.exitCode = code;
}, async (err: unknown) => {
  process.stderr.write(`spot: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  await cleanup.run();
  cleanupNow();
  process.exitCode = 2;
});
