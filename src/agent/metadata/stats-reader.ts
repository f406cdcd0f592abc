/**
 * Reads a {@link StatsSample}: the container's cgroup (v1 hierarchies on a hybrid host such
 * as this one, or v2), the host's /proc/stat, and the host end of the task's veth, whose
 * counters are the container's with received and sent swapped (the one interface every
 * mode but host has, gVisor's netstack included: its packets cross the same veth).
 * Thin: files in, numbers out; a file it cannot read leaves its numbers at 0.
 */
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism, totalmem } from 'node:os';
import { join } from 'node:path';
import type { StatsSample } from './stats.ts';

/** USER_HZ: the unit of /proc/stat and cpuacct.stat (100 on every Linux architecture Berth runs on). */
const USER_HZ = 100;
const NS_PER_TICK = 1e9 / USER_HZ;
/** cgroup v1 writes this (rounded to the page) for "no limit". */
const V1_NO_LIMIT = 2 ** 62;

export interface StatsSources {
  /** `/sys/fs/cgroup`. */
  readonly cgroupRoot: string;
  /** `/proc`. */
  readonly proc: string;
  /** `/sys/class/net`. */
  readonly sysNet: string;
}

export const HOST_SOURCES: StatsSources = { cgroupRoot: '/sys/fs/cgroup', proc: '/proc', sysNet: '/sys/class/net' };

const read = (path: string): string => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
};
const num = (text: string): number => {
  const n = Number(text.trim());
  return Number.isFinite(n) ? n : 0;
};
/** `key value` lines (memory.stat, cpu.stat, cpuacct.stat) as numbers. */
export function keyValues(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const [k, v] = line.trim().split(/\s+/);
    if (k && v !== undefined && /^\d+$/.test(v)) out[k] = Number(v);
  }
  return out;
}

function systemNs(proc: string): number {
  const line = read(join(proc, 'stat')).split('\n').find((l) => l.startsWith('cpu '));
  if (!line) return 0;
  // user nice system idle iowait irq softirq steal: guest time is already inside user.
  return line.trim().split(/\s+/).slice(1, 9).reduce((s, x) => s + Number(x), 0) * NS_PER_TICK;
}

/**
 * One sample of cgroup `cgroupsPath` (`/berth/<task>/<container>`, or the task's for a
 * gVisor sandbox) and, when given, the host veth `hostVeth` reported as the container's `eth0`.
 */
export function readStats(cgroupsPath: string, hostVeth: string | undefined, now: number, src: StatsSources = HOST_SOURCES): StatsSample {
  const root = src.cgroupRoot;
  const v2 = existsSync(join(root, 'cgroup.controllers'));
  const sample = v2 ? readV2(join(root, cgroupsPath)) : readV1(root, cgroupsPath);
  return {
    at: now,
    ...sample,
    cpu: { ...sample.cpu, systemNs: systemNs(src.proc), onlineCpus: availableParallelism() },
    ...(hostVeth !== undefined && { network: readVeth(src.sysNet, hostVeth) }),
  };
}

type CgroupPart = Omit<StatsSample, 'at' | 'network' | 'cpu'> & { cpu: Omit<StatsSample['cpu'], 'systemNs' | 'onlineCpus'> };

function readV1(root: string, path: string): CgroupPart {
  const acct = keyValues(read(join(root, 'cpuacct', path, 'cpuacct.stat')));
  const throttle = keyValues(read(join(root, 'cpu', path, 'cpu.stat')));
  const perCpu = read(join(root, 'cpuacct', path, 'cpuacct.usage_percpu')).trim();
  const limit = num(read(join(root, 'memory', path, 'memory.limit_in_bytes')));
  const io = (file: string) => blkioLines(read(join(root, 'blkio', path, file)));
  const bytes = io('blkio.throttle.io_service_bytes');
  const ops = io('blkio.throttle.io_serviced');
  const pids = read(join(root, 'pids', path, 'pids.current'));
  return {
    cpu: {
      totalNs: num(read(join(root, 'cpuacct', path, 'cpuacct.usage'))),
      userNs: (acct.user ?? 0) * NS_PER_TICK,
      kernelNs: (acct.system ?? 0) * NS_PER_TICK,
      ...(perCpu !== '' && { perCpuNs: perCpu.split(/\s+/).map(Number) }),
      periods: throttle.nr_periods ?? 0,
      throttledPeriods: throttle.nr_throttled ?? 0,
      throttledNs: throttle.throttled_time ?? 0,
    },
    memory: {
      usage: num(read(join(root, 'memory', path, 'memory.usage_in_bytes'))),
      maxUsage: num(read(join(root, 'memory', path, 'memory.max_usage_in_bytes'))),
      limit: limit === 0 || limit >= V1_NO_LIMIT ? totalmem() : limit,
      stats: keyValues(read(join(root, 'memory', path, 'memory.stat'))),
    },
    ...(pids !== '' && { pids: num(pids) }),
    blkio: [...new Set([...bytes.keys(), ...ops.keys()])].map((dev) => {
      const [major, minor] = dev.split(':').map(Number) as [number, number];
      const b = bytes.get(dev);
      const o = ops.get(dev);
      return { major, minor, readBytes: b?.Read ?? 0, writeBytes: b?.Write ?? 0, reads: o?.Read ?? 0, writes: o?.Write ?? 0 };
    }),
  };
}

/** `8:0 Read 4096` lines, per device. */
function blkioLines(text: string): Map<string, Record<string, number>> {
  const out = new Map<string, Record<string, number>>();
  for (const line of text.split('\n')) {
    const [dev, op, value] = line.trim().split(/\s+/);
    if (!dev || !/^\d+:\d+$/.test(dev) || !op || value === undefined) continue;
    const m = out.get(dev) ?? {};
    m[op] = Number(value);
    out.set(dev, m);
  }
  return out;
}

function readV2(dir: string): CgroupPart {
  const cpu = keyValues(read(join(dir, 'cpu.stat')));
  const max = read(join(dir, 'memory.max')).trim();
  const peak = read(join(dir, 'memory.peak'));
  const pids = read(join(dir, 'pids.current'));
  const blkio = [];
  for (const line of read(join(dir, 'io.stat')).split('\n')) {
    const [dev, ...pairs] = line.trim().split(/\s+/);
    if (!dev || !/^\d+:\d+$/.test(dev)) continue;
    const kv = Object.fromEntries(pairs.map((p) => p.split('=')).map(([k, v]) => [k, Number(v)]));
    const [major, minor] = dev.split(':').map(Number) as [number, number];
    blkio.push({ major, minor, readBytes: kv.rbytes ?? 0, writeBytes: kv.wbytes ?? 0, reads: kv.rios ?? 0, writes: kv.wios ?? 0 });
  }
  return {
    cpu: {
      totalNs: (cpu.usage_usec ?? 0) * 1000,
      userNs: (cpu.user_usec ?? 0) * 1000,
      kernelNs: (cpu.system_usec ?? 0) * 1000,
      periods: cpu.nr_periods ?? 0,
      throttledPeriods: cpu.nr_throttled ?? 0,
      throttledNs: (cpu.throttled_usec ?? 0) * 1000,
    },
    memory: {
      usage: num(read(join(dir, 'memory.current'))),
      ...(peak !== '' && { maxUsage: num(peak) }),
      limit: max === '' || max === 'max' ? totalmem() : num(max),
      stats: keyValues(read(join(dir, 'memory.stat'))),
    },
    ...(pids !== '' && { pids: num(pids) }),
    blkio,
  };
}

/** The host end's counters, turned round: what the host end receives, the container sent. */
function readVeth(sysNet: string, hostVeth: string): NonNullable<StatsSample['network']> {
  const c = (name: string) => num(read(join(sysNet, hostVeth, 'statistics', name)));
  return {
    name: 'eth0',
    rxBytes: c('tx_bytes'), rxPackets: c('tx_packets'), rxErrors: c('tx_errors'), rxDropped: c('tx_dropped'),
    txBytes: c('rx_bytes'), txPackets: c('rx_packets'), txErrors: c('rx_errors'), txDropped: c('rx_dropped'),
  };
}
