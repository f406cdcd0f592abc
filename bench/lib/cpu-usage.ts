/**
 * CPU time, to say where a load's CPU went on the machine: one process's own time, the
 * time of the children it waited for (short-lived tools such as ip, nft, crun start), and
 * the whole machine's busy time (everything else: double-forked monitors, the kernel).
 */

import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';

/** Linux's USER_HZ: /proc/<pid>/stat counts in 1/100 s on every architecture Berth runs on. */
const CLOCK_TICKS_PER_SECOND = 100;

export interface CpuSnapshot {
  /** The process's own user + system time, ms. */
  readonly selfMs: number;
  /** User + system time of its children that it waited for (and theirs), and of the commands its launcher shell ran, ms. */
  readonly childrenMs: number;
  /** All cores' non-idle time, ms. */
  readonly machineMs: number;
}

export function cpuSnapshot(pid: number): CpuSnapshot {
  const f = statFields(pid);
  const tick = 1000 / CLOCK_TICKS_PER_SECOND;
  let busy = 0;
  for (const c of cpus()) busy += c.times.user + c.times.nice + c.times.sys + c.times.irq;
  // Berth starts its tools through a long-lived launcher shell (src/lib/launcher.ts): the
  // shell reaps them, so their time is in the shell's children time until it exits.
  let launched = 0;
  for (const child of childPids(pid)) {
    const c = statFieldsOrUndefined(child);
    if (c?.comm === 'sh') launched += c.fields[11]! + c.fields[12]! + c.fields[13]! + c.fields[14]!;
  }
  return { selfMs: (f.fields[11]! + f.fields[12]!) * tick, childrenMs: (f.fields[13]! + f.fields[14]! + launched) * tick, machineMs: busy };
}

/** A process's own user + system time so far (all threads), ms. */
export function ownCpuMs(pid: number): number {
  const { fields } = statFields(pid);
  return ((fields[11]! + fields[12]!) * 1000) / CLOCK_TICKS_PER_SECOND;
}

/** /proc/<pid>/stat: the command name, and the fields after it (which may hold spaces), from field 3 on. */
function statFields(pid: number): { comm: string; fields: number[] } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return { comm: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')), fields: stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number) };
}

function statFieldsOrUndefined(pid: number): { comm: string; fields: number[] } | undefined {
  try {
    return statFields(pid);
  } catch {
    return undefined;
  }
}

function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(' ').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** What happened between two snapshots, per unit of work (e.g. per task started). */
export function cpuPer(before: CpuSnapshot, after: CpuSnapshot, units: number): { selfMs: number; childrenMs: number; restMs: number; machineMs: number } {
  const self = after.selfMs - before.selfMs;
  const children = after.childrenMs - before.childrenMs;
  const machine = after.machineMs - before.machineMs;
  return { selfMs: self / units, childrenMs: children / units, restMs: (machine - self - children) / units, machineMs: machine / units };
}

/** The most recently assigned pid (/proc/loadavg): its growth counts processes and threads created meanwhile. */
export function lastPid(): number {
  return Number(readFileSync('/proc/loadavg', 'utf8').trim().split(' ')[4]);
}

/** Pids assigned from `before` to `after`, across one wrap of the counter at pid_max. */
export function pidsBetween(before: number, after: number): number {
  const max = Number(readFileSync('/proc/sys/kernel/pid_max', 'utf8').trim());
  return after >= before ? after - before : after + max - before;
}

/** Share of one core that `pid` used over `ms` of wall time (0.5 = half a core). */
export async function coreShare(pid: number, ms: number): Promise<number> {
  const before = cpuSnapshot(pid);
  await new Promise((r) => setTimeout(r, ms));
  const after = cpuSnapshot(pid);
  return (after.selfMs - before.selfMs) / ms;
}
