/**
 * Committed placements through the API: `clients` concurrent callers, each sending RunTask
 * `--count N` with one placement strategy and waiting for the answer before the next, for
 * a fixed time (closed loop, as the aws CLI in a script would). A task in an answer is a
 * committed placement: RunTask answers once its tasks are durable in the store.
 */
import type { PlacementStrategy } from '../../src/scheduler/types.ts';
import { ecsClient } from './aws-json.ts';
import { summarize, type Summary } from './latency-stats.ts';

/** Answer latencies kept for the percentiles (the first this many requests; summarize spreads them as arguments). */
const MAX_SAMPLES = 100_000;

export interface LoadOptions {
  readonly endpoint: string;
  readonly cluster: string;
  readonly taskDefinition: string;
  readonly count: number;
  readonly strategy: readonly PlacementStrategy[];
  readonly clients: number;
  readonly seconds: number;
}

export interface LoadResult {
  /** Tasks in the answers: committed placements. */
  readonly placed: number;
  readonly requests: number;
  /** Tasks asked for and not placed (`failures` in the answers). */
  readonly unplaced: number;
  /** Answers that were not 200, and the first one's error. */
  readonly errors: number;
  readonly firstError?: string;
  readonly seconds: number;
  readonly perSecond: number;
  /** RunTask latency, ms. */
  readonly latency: Summary;
  readonly taskArns: string[];
}

export async function runTaskLoad(o: LoadOptions): Promise<LoadResult> {
  const client = ecsClient(o.endpoint);
  const samples: number[] = [];
  const taskArns: string[] = [];
  let requests = 0;
  let unplaced = 0;
  let errors = 0;
  let firstError: string | undefined;
  const input = { cluster: o.cluster, taskDefinition: o.taskDefinition, count: o.count, placementStrategy: o.strategy, startedBy: 'berth-bench' };
  const start = performance.now();
  const deadline = start + o.seconds * 1000;
  // An answer with fewer tasks than asked means the cluster is full: the run ends there, and
  // the rate is over the time until then.
  let end = deadline;
  try {
    await Promise.all(Array.from({ length: o.clients }, async () => {
      while (performance.now() < Math.min(deadline, end)) {
        const t = performance.now();
        const r = await client.call<{ tasks?: { taskArn: string }[]; failures?: unknown[]; __type?: string; message?: string }>('RunTask', input);
        if (samples.length < MAX_SAMPLES) samples.push(performance.now() - t);
        requests++;
        if (r.status !== 200) {
          errors++;
          firstError ??= `${r.status} ${r.body.__type ?? ''}: ${r.body.message ?? ''}`;
          continue;
        }
        for (const task of r.body.tasks ?? []) taskArns.push(task.taskArn);
        unplaced += o.count - (r.body.tasks?.length ?? 0);
        if ((r.body.tasks?.length ?? 0) < o.count) end = Math.min(end, performance.now());
      }
    }));
  } finally {
    client.close();
  }
  const seconds = (Math.min(end, performance.now()) - start) / 1000;
  return { placed: taskArns.length, requests, unplaced, errors, ...(firstError && { firstError }), seconds, perSecond: taskArns.length / seconds, latency: summarize(samples), taskArns };
}
