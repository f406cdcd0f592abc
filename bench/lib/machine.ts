/**
 * How busy the machine is before a benchmark starts: on a shared 2-core machine another
 * process using a core halves what a server pinned beside it can do, so the report says
 * so instead of printing figures that look clean.
 */

import { cpus } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';

/** Cores' worth of CPU something else used while nothing of ours ran (0 = idle, 1 = one full core). */
export async function backgroundCores(sampleMs = 1_000): Promise<number> {
  const before = totals();
  await sleep(sampleMs);
  const after = totals();
  const total = after.total - before.total;
  const idle = after.idle - before.idle;
  return total === 0 ? 0 : ((total - idle) / total) * cpus().length;
}

function totals(): { total: number; idle: number } {
  let total = 0;
  let idle = 0;
  for (const c of cpus()) {
    const t = c.times;
    total += t.user + t.nice + t.sys + t.idle + t.irq;
    idle += t.idle;
  }
  return { total, idle };
}
