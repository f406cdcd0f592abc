/**
 * The Spot reclaim model, pure: which running FARGATE_SPOT tasks the platform takes back.
 *
 * Two causes, as on AWS:
 * - **rate** — every running Spot task is interrupted by a Poisson process at
 *   `interruptionsPerHour`. A Poisson process's first arrival after any moment is an
 *   exponential draw (memoryless), so each task gets ONE draw: `E ~ Exp(1)` from a seeded rng
 *   keyed by (seed, task, the settings' change time), and is interrupted at
 *   `from + E / rate`, where `from` is the later of its start and the last settings change.
 *   The decision is then the same whichever pass makes it, however often passes run, and
 *   after a restart: deterministic for a seed and the same tasks. A rate change redraws
 *   (the process restarts from the change, exact by memorylessness).
 * - **capacity** — a zone with a capacity holds at most that many Spot tasks; when more
 *   hold a place there (the capacity was lowered), the newest are interrupted first, so the
 *   longest-running keep going.
 *
 * A task already told to stop (desiredStatus STOPPED) is neither counted nor interrupted again.
 */
import type { SpotSettings } from '../../core/ecs/fargate.ts';
import type { TaskStatus } from '../../core/ecs/task-lifecycle.ts';
import { seededRandom } from '../../lib/seeded-random.ts';

const MS_PER_HOUR = 3_600_000;

/** What the model reads of a Spot task. Times are epoch seconds, as task records hold them. */
export interface SpotTask {
  readonly key: string;
  readonly modRevision: number;
  readonly taskArn: string;
  readonly lastStatus: TaskStatus;
  readonly desiredStatus: 'RUNNING' | 'STOPPED';
  readonly createdAt: number;
  readonly startedAt?: number;
  /** Its availability zone (its instance's), when known. */
  readonly zone?: string;
}

export interface ReclaimSettings extends SpotSettings {
  /** Epoch ms of the last change (spot-settings.ts); absent: never changed. */
  readonly updatedAt?: number;
}

export type ReclaimCause = 'rate' | 'capacity';

export interface Reclaim {
  readonly interrupt: readonly { readonly task: SpotTask; readonly cause: ReclaimCause }[];
  /** Epoch ms of the next interruption the rate has drawn, if any. */
  readonly nextAt?: number;
}

/** FNV-1a over a string: a 32-bit seed for one task's draw. */
function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** The task's unit-exponential draw: the same for the same seed, task and settings change. */
export function unitExponential(seed: number, taskArn: string, settingsChangedAt: number): number {
  const u = seededRandom(hash32(`${seed}|${taskArn}|${settingsChangedAt}`))();
  // u is in [0, 1): 1 - u is in (0, 1], so the log is finite.
  return -Math.log(1 - u);
}

/** Epoch ms at which the rate interrupts this running task; undefined when the rate is 0 or it is not running. */
export function interruptionAt(task: SpotTask, settings: ReclaimSettings): number | undefined {
  if (settings.interruptionsPerHour <= 0 || task.lastStatus !== 'RUNNING' || task.desiredStatus !== 'RUNNING') return undefined;
  const changed = settings.updatedAt ?? 0;
  const from = Math.max((task.startedAt ?? task.createdAt) * 1000, changed);
  return from + (unitExponential(settings.seed, task.taskArn, changed) / settings.interruptionsPerHour) * MS_PER_HOUR;
}

/** Which of `tasks` (one region's running and pending Spot tasks) to interrupt at `nowMs`. */
export function reclaim(tasks: readonly SpotTask[], settings: ReclaimSettings, nowMs: number): Reclaim {
  const interrupt: { task: SpotTask; cause: ReclaimCause }[] = [];
  const chosen = new Set<string>();
  let nextAt: number | undefined;
  for (const t of tasks) {
    const at = interruptionAt(t, settings);
    if (at === undefined) continue;
    if (at <= nowMs) {
      interrupt.push({ task: t, cause: 'rate' });
      chosen.add(t.key);
    } else {
      nextAt = Math.min(nextAt ?? Infinity, at);
    }
  }
  const byZone = new Map<string, SpotTask[]>();
  for (const t of tasks) {
    if (t.zone === undefined || settings.capacity[t.zone] === undefined) continue;
    if (t.desiredStatus !== 'RUNNING' || t.lastStatus === 'STOPPED' || chosen.has(t.key)) continue;
    byZone.set(t.zone, [...(byZone.get(t.zone) ?? []), t]);
  }
  for (const [zone, held] of [...byZone].sort(([a], [b]) => a.localeCompare(b))) {
    const excess = held.length - settings.capacity[zone]!;
    if (excess <= 0) continue;
    // Newest first (ties: by ARN, so the choice is deterministic).
    held.sort((a, b) => b.createdAt - a.createdAt || b.taskArn.localeCompare(a.taskArn));
    for (const t of held.slice(0, excess)) interrupt.push({ task: t, cause: 'capacity' });
  }
  return { interrupt, ...(nextAt !== undefined && { nextAt }) };
}
