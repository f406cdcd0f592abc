/**
 * ECS task calls a task benchmark makes, over the AWS JSON 1.1 client of aws-json.ts:
 * RunTask, DescribeTasks in pages of 100 (the API's limit), waiting for a status, and
 * stopping every task the benchmark started (StopTask, then waiting for STOPPED).
 */

import { setTimeout as sleep } from 'node:timers/promises';
import { pool, type EcsClient } from './aws-json.ts';

/** DescribeTasks takes at most 100 tasks per call (ECS API reference). */
const DESCRIBE_PAGE = 100;
/** RunTask starts at most 10 tasks per call (ECS API reference, `count`). */
export const RUN_TASK_MAX_COUNT = 10;
/** StopTask calls in flight while stopping many tasks: enough to keep the agent busy, not the API. */
const STOP_CONCURRENCY = 16;

/** The fields of a DescribeTasks task that the benchmark reads (timestamps are epoch seconds). */
export interface Task {
  readonly taskArn: string;
  readonly lastStatus: string;
  readonly desiredStatus: string;
  readonly createdAt?: number;
  readonly pullStartedAt?: number;
  readonly pullStoppedAt?: number;
  readonly startedAt?: number;
  readonly stoppedAt?: number;
  readonly stopCode?: string;
  readonly stoppedReason?: string;
  readonly containers: readonly { name: string; lastStatus: string; runtimeId?: string; exitCode?: number; reason?: string }[];
}

export interface RunTaskResult {
  readonly tasks: Task[];
  readonly failures: { arn?: string; reason?: string; detail?: string }[];
}

export async function runTask(client: EcsClient, input: Record<string, unknown>): Promise<RunTaskResult> {
  return client.ok<RunTaskResult>('RunTask', input);
}

/** DescribeTasks for any number of tasks, a page of 100 at a time. */
export async function describeTasks(client: EcsClient, cluster: string, arns: readonly string[]): Promise<Task[]> {
  const out: Task[] = [];
  for (let i = 0; i < arns.length; i += DESCRIBE_PAGE) {
    const page = await client.ok<{ tasks: Task[] }>('DescribeTasks', { cluster, tasks: arns.slice(i, i + DESCRIBE_PAGE) });
    out.push(...page.tasks);
  }
  return out;
}

/** Every task of the cluster with the given desired status (ListTasks, all pages). */
export async function listTasks(client: EcsClient, cluster: string, desiredStatus: 'RUNNING' | 'STOPPED'): Promise<string[]> {
  const arns: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await client.ok<{ taskArns: string[]; nextToken?: string }>('ListTasks', { cluster, desiredStatus, maxResults: 100, ...(nextToken && { nextToken }) });
    arns.push(...page.taskArns);
    nextToken = page.nextToken;
  } while (nextToken);
  return arns;
}

/**
 * Waits until every task is `status` (or STOPPED, which ends every wait); returns the
 * tasks as last described. Throws after `timeoutMs` naming how many are not there yet.
 */
export async function waitForStatus(client: EcsClient, cluster: string, arns: readonly string[], status: 'RUNNING' | 'STOPPED', timeoutMs: number, pollMs = 250): Promise<Task[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const tasks = await describeTasks(client, cluster, arns);
    const waiting = tasks.filter((t) => t.lastStatus !== status && t.lastStatus !== 'STOPPED');
    if (waiting.length === 0) return tasks;
    if (Date.now() > deadline) throw new Error(`${waiting.length} of ${arns.length} tasks did not reach ${status} within ${timeoutMs} ms (e.g. ${waiting[0]!.taskArn} is ${waiting[0]!.lastStatus})`);
    await sleep(pollMs);
  }
}

/** StopTask for each task (already stopped ones too: StopTask is idempotent), then waits for STOPPED. */
export async function stopTasks(client: EcsClient, cluster: string, arns: readonly string[], timeoutMs: number): Promise<Task[]> {
  await pool(arns.length, STOP_CONCURRENCY, async (i) => {
    await client.ok('StopTask', { cluster, task: arns[i]!, reason: 'task-start benchmark over' });
  });
  return waitForStatus(client, cluster, arns, 'STOPPED', timeoutMs);
}

/** Why a task stopped, in one line (for a task that should have reached RUNNING). */
export function whyStopped(t: Task): string {
  const c = t.containers.find((x) => x.reason);
  return `${t.stopCode ?? ''} ${t.stoppedReason ?? ''}${c ? ` (${c.name}: ${c.reason})` : ''}`.trim();
}

/** When, after `wallStartMs`, the first and last task were created and the last one started (the server's clock, same machine). */
export function taskPhases(tasks: readonly Task[], wallStartMs: number): { firstCreatedMs: number; lastCreatedMs: number; lastStartedMs: number } {
  const at = (f: (t: Task) => number | undefined, pick: (a: number, b: number) => number) => tasks.map(f).filter((x) => x !== undefined).reduce((a, b) => pick(a, b)) * 1000 - wallStartMs;
  return { firstCreatedMs: at((t) => t.createdAt, Math.min), lastCreatedMs: at((t) => t.createdAt, Math.max), lastStartedMs: at((t) => t.startedAt, Math.max) };
}
