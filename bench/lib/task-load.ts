/**
 * The task-start benchmark's load: one task at a time (RunTask, then DescribeTasks until
 * RUNNING), and the sustained run (RunTask count 10 in a loop with a cap on tasks not yet
 * RUNNING), with the CPU each start cost the machine.
 */

import { setTimeout as sleep } from 'node:timers/promises';
import type { EcsClient } from './aws-json.ts';
import { cpuPer, cpuSnapshot, lastPid, pidsBetween } from './cpu-usage.ts';
import { describeTasks, runTask, RUN_TASK_MAX_COUNT, stopTasks, whyStopped, type Task } from './ecs-tasks.ts';

export const CLUSTER = 'default';
/** One measured task may take this long to run; a start slower than this is a failure, not a figure. */
export const TASK_TIMEOUT_MS = 60_000;
/** Stopping hundreds of tasks (stopTimeout 0: SIGKILL at once) takes seconds; this bounds a wedged stop. */
export const STOP_ALL_TIMEOUT_MS = 180_000;
/** How often the throughput run asks which tasks have reached RUNNING. */
const THROUGHPUT_POLL_MS = 100;
/** The throughput run stops issuing once this many tasks exist (memory reservations add up). */
const THROUGHPUT_MAX_TASKS = 600;

export function runInput(mode: 'bridge' | 'awsvpc', count: number): Record<string, unknown> {
  return {
    cluster: CLUSTER, taskDefinition: `bench-${mode}`, count,
    ...(mode === 'awsvpc' && { networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-berth'] } } }),
  };
}

/** Runs one task and polls until it is RUNNING; what the client saw and what the record says. */
export async function oneTask(client: EcsClient, mode: 'bridge' | 'awsvpc', pollMs: number, timeoutMs: number) {
  const t0 = performance.now();
  const out = await runTask(client, runInput(mode, 1));
  const t1 = performance.now();
  const arn = out.tasks[0]?.taskArn;
  if (!arn) throw new Error(`RunTask placed no task: ${JSON.stringify(out.failures)}`);
  const deadline = t0 + timeoutMs;
  for (;;) {
    const [t] = await describeTasks(client, CLUSTER, [arn]);
    if (t?.lastStatus === 'RUNNING') return { arn, task: t, clientMs: performance.now() - t0, runTaskMs: t1 - t0 };
    if (t?.lastStatus === 'STOPPED') throw new Error(`task ${arn} stopped instead of running: ${whyStopped(t)}`);
    if (performance.now() > deadline) throw new Error(`task ${arn} was not RUNNING within ${timeoutMs} ms (it is ${t?.lastStatus})`);
    await sleep(pollMs);
  }
}

/** Milliseconds between two epoch-second timestamps of a task record; NaN when one is missing. */
export const msBetween = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined ? NaN : (b - a) * 1000);

export interface LoadOptions {
  readonly seconds: number;
  readonly maxInFlight: number;
  /** Throws when the run should stop (Ctrl-C). */
  readonly check: () => void;
  readonly log: (line: string) => void;
}

export interface Throughput {
  mode: 'bridge' | 'awsvpc';
  issued: number;
  running: number;
  failed: number;
  placementFailures: number;
  /** Tasks whose startedAt fell in the steady window, per second. */
  sustained: number;
  /** All that reached RUNNING ÷ (last startedAt − first createdAt). */
  overall: number;
  windowSeconds: number;
  stopSeconds: number;
  /** CPU per started task, ms: berth up's own, its waited-for children's (ip, nft, crun start…), the rest of the machine's. */
  cpuPerTaskMs: { selfMs: number; childrenMs: number; restMs: number; machineMs: number; benchClientMs: number };
  /** Processes and threads created on the machine per started task (pid counter growth). */
  pidsPerTask: number;
}

/**
 * RunTask (count 10) in a loop for `o.seconds`, keeping at most `o.maxInFlight` tasks not
 * yet RUNNING; then waits for the rest and stops them all. The rate counts startedAt
 * (the record's own clock) in the window after the first second or two (the ramp-up).
 */
export async function throughput(client: EcsClient, mode: 'bridge' | 'awsvpc', o: LoadOptions, berthPid: number): Promise<Throughput> {
  const { check: checkInterrupted, log: say } = o;
  const cpuBefore = cpuSnapshot(berthPid);
  const benchBefore = process.cpuUsage();
  const pidBefore = lastPid();
  const arns: string[] = [];
  const waiting = new Set<string>();
  const done = new Map<string, Task>();
  let placementFailures = 0;
  let issuing = true;
  const poller = (async () => {
    while (issuing || waiting.size) {
      checkInterrupted();
      const ask = [...waiting];
      if (ask.length) {
        for (const t of await describeTasks(client, CLUSTER, ask)) {
          if (t.lastStatus === 'RUNNING' || t.lastStatus === 'STOPPED') {
            waiting.delete(t.taskArn);
            done.set(t.taskArn, t);
          }
        }
      }
      await sleep(THROUGHPUT_POLL_MS);
    }
  })();
  const deadline = performance.now() + o.seconds * 1000;
  try {
    while (performance.now() < deadline && arns.length < THROUGHPUT_MAX_TASKS) {
      checkInterrupted();
      if (waiting.size + RUN_TASK_MAX_COUNT > o.maxInFlight) {
        await sleep(5);
        continue;
      }
      const out = await runTask(client, runInput(mode, RUN_TASK_MAX_COUNT));
      placementFailures += out.failures.length;
      for (const t of out.tasks) {
        arns.push(t.taskArn);
        waiting.add(t.taskArn);
      }
      if (out.tasks.length === 0) await sleep(50);
    }
  } finally {
    issuing = false;
  }
  const waitDeadline = Date.now() + TASK_TIMEOUT_MS;
  while (waiting.size && Date.now() < waitDeadline) await sleep(50);
  await poller;
  const cpuAfter = cpuSnapshot(berthPid);
  const pidsCreated = pidsBetween(pidBefore, lastPid());
  const bench = process.cpuUsage(benchBefore);
  const tasks = await describeTasks(client, CLUSTER, arns);
  const started = tasks.filter((t) => t.startedAt !== undefined);
  const failed = tasks.filter((t) => t.startedAt === undefined);
  if (failed.length) say(`${mode}: ${failed.length} task(s) did not start, e.g. ${failed[0]!.taskArn}: ${failed[0]!.lastStatus} ${whyStopped(failed[0]!)}`);
  const t0 = Math.min(...tasks.map((t) => t.createdAt ?? Infinity));
  const warm = Math.min(2, o.seconds / 5);
  const windowEnd = t0 + o.seconds;
  const inWindow = started.filter((t) => t.startedAt! >= t0 + warm && t.startedAt! <= windowEnd).length;
  const last = Math.max(...started.map((t) => t.startedAt!));
  say(`${mode}: stopping ${arns.length} tasks`);
  const stopStart = performance.now();
  await stopTasks(client, CLUSTER, arns, STOP_ALL_TIMEOUT_MS);
  const stopSeconds = (performance.now() - stopStart) / 1000;
  return {
    mode, issued: arns.length, running: started.length, failed: failed.length, placementFailures,
    sustained: inWindow / (o.seconds - warm), overall: started.length / (last - t0), windowSeconds: o.seconds - warm, stopSeconds,
    cpuPerTaskMs: { ...cpuPer(cpuBefore, cpuAfter, Math.max(1, started.length)), benchClientMs: (bench.user + bench.system) / 1000 / Math.max(1, started.length) },
    pidsPerTask: pidsCreated / Math.max(1, started.length),
  };
}
