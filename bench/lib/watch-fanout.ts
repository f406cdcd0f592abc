/**
 * The watch part of the Kubernetes API benchmark: W watchers open on a server, then U writes,
 * each timed from the moment it was sent; every watcher's every event is matched to its write
 * by resourceVersion, and the delay from the write to the event's arrival is one sample.
 * The same code drives Berth (a merge PATCH per write) and the bare server (a POST /fanout
 * of a line of the same size), so the two figures differ only by the server.
 */
import { percentile } from './latency-stats.ts';
import type { KubeClient } from './kube-client.ts';

/** How long the watchers get, after the last write was answered, to see every event. */
const DRAIN_TIMEOUT_MS = 30_000;
const RV = /"resourceVersion":"(\d+)"/;

export interface FanoutResult {
  readonly watchers: number;
  readonly writes: number;
  /** Events every watcher was expected to see: watchers × writes. */
  readonly expected: number;
  /** Events matched to a write (a watcher's extra or unknown events are not counted). */
  readonly seen: number;
  /** Writes per second the writers reached. */
  readonly writesPerSecond: number;
  /** Write → arrival at a watcher, ms, over every matched event. */
  readonly delayMs: { readonly p50: number; readonly p99: number; readonly max: number };
  /** Each watcher's own p99 delay, ms: the best and the worst watcher's (every watcher's max is at most delayMs.max). */
  readonly watcherP99Ms: { readonly best: number; readonly worst: number };
  /** Events that arrived later than the target after their write. */
  readonly late: number;
  /** A write's own round trip, ms. */
  readonly writeMs: { readonly p50: number; readonly p99: number };
}

export interface FanoutPlan {
  readonly watchers: number;
  readonly writes: number;
  /** Writes in flight at once. */
  readonly writers: number;
  readonly targetMs: number;
  /** The path a watcher opens. */
  readonly watchPath: string;
  /** Sends write `i`; resolves to the resourceVersion its events will carry. */
  readonly write: (i: number) => Promise<string>;
}

export async function measureFanout(client: KubeClient, plan: FanoutPlan): Promise<FanoutResult> {
  // Per watcher: the resourceVersions it saw and when, in arrival order (parsed afterwards).
  const arrivals = Array.from({ length: plan.watchers }, () => ({ rvs: [] as string[], at: [] as number[] }));
  const streams = arrivals.map((a) => client.watch(plan.watchPath, (line, at) => {
    const m = RV.exec(line);
    if (m && line.startsWith('{"type":"MODIFIED"')) {
      a.rvs.push(m[1]!);
      a.at.push(at);
    }
  }));
  try {
    await Promise.all(streams.map((s) => s.opened));
    const sentAt = new Map<string, number>();
    const writeMs: number[] = [];
    let next = 0;
    const started = performance.now();
    await Promise.all(Array.from({ length: plan.writers }, async () => {
      while (next < plan.writes) {
        const i = next++;
        const t0 = performance.now();
        const rv = await plan.write(i);
        writeMs.push(performance.now() - t0);
        sentAt.set(rv, t0);
      }
    }));
    const writesPerSecond = plan.writes / ((performance.now() - started) / 1000);
    const deadline = Date.now() + DRAIN_TIMEOUT_MS;
    while (arrivals.some((a) => a.rvs.length < plan.writes) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));

    const delays: number[] = [];
    const watcherP99: number[] = [];
    for (const a of arrivals) {
      const own: number[] = [];
      for (let k = 0; k < a.rvs.length; k++) {
        const t0 = sentAt.get(a.rvs[k]!);
        if (t0 !== undefined) own.push(a.at[k]! - t0);
      }
      delays.push(...own);
      watcherP99.push(percentile(own, 99));
    }
    return {
      watchers: plan.watchers, writes: plan.writes, expected: plan.watchers * plan.writes, seen: delays.length, writesPerSecond,
      delayMs: { p50: percentile(delays, 50), p99: percentile(delays, 99), max: delays.reduce((m, d) => Math.max(m, d), 0) },
      watcherP99Ms: { best: Math.min(...watcherP99), worst: Math.max(...watcherP99) },
      late: delays.filter((d) => d > plan.targetMs).length,
      writeMs: { p50: percentile(writeMs, 50), p99: percentile(writeMs, 99) },
    };
  } finally {
    for (const s of streams) s.close();
  }
}
