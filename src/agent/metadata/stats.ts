/**
 * `${ECS_CONTAINER_METADATA_URI_V4}/stats`: Docker's container stats JSON (Engine API 1.30,
 * `GET /containers/{id}/stats`, one-shot), which the ECS agent passes through, built from a
 * sample of the container's cgroup and its network interface. Pure: samples come in.
 */

/** What stats-reader.ts reads at one instant. Counters are cumulative; absent when unreadable. */
export interface StatsSample {
  /** Epoch ms. */
  readonly at: number;
  readonly cpu: {
    /** Nanoseconds of CPU time, all of the cgroup's tasks. */
    readonly totalNs: number;
    readonly userNs: number;
    readonly kernelNs: number;
    /** Per CPU, nanoseconds (cgroup v1's cpuacct.usage_percpu; v2 has none). */
    readonly perCpuNs?: readonly number[];
    /** The whole host's CPU time, nanoseconds (/proc/stat), Docker's system_cpu_usage. */
    readonly systemNs: number;
    readonly onlineCpus: number;
    readonly periods: number;
    readonly throttledPeriods: number;
    readonly throttledNs: number;
  };
  readonly memory: {
    readonly usage: number;
    readonly maxUsage?: number;
    /** Bytes; the host's memory when the cgroup has no limit, as Docker reports it. */
    readonly limit: number;
    readonly stats: Readonly<Record<string, number>>;
  };
  readonly pids?: number;
  /** Per device: `major:minor` → bytes and operations. */
  readonly blkio: readonly { readonly major: number; readonly minor: number; readonly readBytes: number; readonly writeBytes: number; readonly reads: number; readonly writes: number }[];
  /** Counters of the container's interface, as the container sees them (received = into the container). */
  readonly network?: {
    readonly name: string;
    readonly rxBytes: number; readonly rxPackets: number; readonly rxErrors: number; readonly rxDropped: number;
    readonly txBytes: number; readonly txPackets: number; readonly txErrors: number; readonly txDropped: number;
  };
}

/** Docker's zero time, which it sends as `preread` when there is no earlier sample. */
const ZERO_TIME = '0001-01-01T00:00:00Z';

function cpuStats(s: StatsSample | undefined) {
  if (!s) {
    return { cpu_usage: { total_usage: 0, usage_in_kernelmode: 0, usage_in_usermode: 0 }, throttling_data: { periods: 0, throttled_periods: 0, throttled_time: 0 } };
  }
  return {
    cpu_usage: {
      total_usage: s.cpu.totalNs,
      ...(s.cpu.perCpuNs && { percpu_usage: [...s.cpu.perCpuNs] }),
      usage_in_kernelmode: s.cpu.kernelNs,
      usage_in_usermode: s.cpu.userNs,
    },
    system_cpu_usage: s.cpu.systemNs,
    online_cpus: s.cpu.onlineCpus,
    throttling_data: { periods: s.cpu.periods, throttled_periods: s.cpu.throttledPeriods, throttled_time: s.cpu.throttledNs },
  };
}

/**
 * One container's stats. `previous`: the sample the last answer used (Docker's
 * `precpu_stats` and `preread`), or none. `v4` adds `network_rate_stats` (v4 only).
 */
export function dockerStats(id: string, name: string, now: StatsSample, previous: StatsSample | undefined, v4: boolean): Record<string, unknown> {
  const n = now.network;
  const p = previous?.network;
  const seconds = previous ? (now.at - previous.at) / 1000 : 0;
  const rate = (a: number, b: number | undefined) => (b === undefined || seconds <= 0 ? 0 : Math.max(0, (a - b) / seconds));
  const blk = (op: 'Read' | 'Write', pick: (d: StatsSample['blkio'][number]) => number) => now.blkio.map((d) => ({ major: d.major, minor: d.minor, op, value: pick(d) }));
  return {
    read: new Date(now.at).toISOString(),
    preread: previous ? new Date(previous.at).toISOString() : ZERO_TIME,
    pids_stats: now.pids !== undefined ? { current: now.pids } : {},
    blkio_stats: {
      io_service_bytes_recursive: [...blk('Read', (d) => d.readBytes), ...blk('Write', (d) => d.writeBytes)],
      io_serviced_recursive: [...blk('Read', (d) => d.reads), ...blk('Write', (d) => d.writes)],
      io_queue_recursive: [],
      io_service_time_recursive: [],
      io_wait_time_recursive: [],
      io_merged_recursive: [],
      io_time_recursive: [],
      sectors_recursive: [],
    },
    num_procs: 0,
    storage_stats: {},
    cpu_stats: cpuStats(now),
    precpu_stats: cpuStats(previous),
    memory_stats: {
      usage: now.memory.usage,
      ...(now.memory.maxUsage !== undefined && { max_usage: now.memory.maxUsage }),
      stats: { ...now.memory.stats },
      limit: now.memory.limit,
    },
    name: `/${name}`,
    id,
    ...(n && {
      networks: {
        [n.name]: {
          rx_bytes: n.rxBytes, rx_packets: n.rxPackets, rx_errors: n.rxErrors, rx_dropped: n.rxDropped,
          tx_bytes: n.txBytes, tx_packets: n.txPackets, tx_errors: n.txErrors, tx_dropped: n.txDropped,
        },
      },
      ...(v4 && { network_rate_stats: { rx_bytes_per_sec: rate(n.rxBytes, p?.rxBytes), tx_bytes_per_sec: rate(n.txBytes, p?.txBytes) } }),
    }),
  };
}
