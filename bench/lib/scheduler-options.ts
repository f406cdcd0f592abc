/**
 * The command line of bench/scheduler.ts and its help text.
 */
import { parseArgs } from 'node:util';

export const PARTS = ['binpack', 'spread', 'api'] as const;
export type Part = typeof PARTS[number];

const HELP = `Usage: bin/bench scheduler [options]

Placements on a simulated cluster (issue 14): instances joined through the join path and
served by the simulated agent (bench/sim/), running tasks seeded through the store, then
RunTask --count N from many concurrent clients over HTTP (placements committed per second)
next to the pure placement loop on the same snapshot in the same run; and ListTasks /
DescribeServices p99 under wrk next to a bare server, with all those tasks stored.
Targets: >= 20,000 placements/s committed, >= 100,000/s pure, reads p99 < 5 ms.

Options:
  --instances N          simulated container instances (default 10000)
  --tasks N              RUNNING tasks seeded before measuring (default 100000)
  --processes N          simulated agent processes sharing the instances (default 1)
  --cpu UNITS            CPU units each instance registers (default 4096)
  --memory MIB           MiB each instance registers (default 16384)
  --task-cpu UNITS       the task definition's CPU units (default 128)
  --task-memory MIB      the task definition's MiB (default 256)
  --count N              RunTask --count (default 10)
  --clients N            concurrent RunTask callers (default 32)
  --seconds N            measured seconds per strategy, committed and pure alike (default 10)
  --report-latency-ms N  the simulated agent's delay before reporting a task RUNNING (default 0)
  --connect-timeout N    seconds the instances may take to join and (re)connect (default 900)
  --connections N        wrk connections for the reads (default 32)
  --only LIST            parts to run, of ${PARTS.join(',')} (default all)
  --pure-only            only the pure placement loop, on a snapshot of that shape (no Berth)
  --direct-only          only the placer directly, on a data dir seeded straight through the
                         store (no Berth, no simulated agent: seconds), beside the pure loop
  --profile FILE         with --direct-only: a V8 CPU profile of the placer's runs to FILE
                         (.cpuprofile), summarized on stderr (bench/lib/cpu-profile.ts)
  --heap-profile FILE    with --direct-only: a sampling heap profile of the same runs to FILE
                         (.heapprofile): bytes allocated per committed task by function, which
                         load does not move (bench/lib/heap-profile.ts); instead of --profile
  --no-pin               do not pin Berth to CPU 0 and the simulated agent and wrk to CPU 1
  --output text|json
  --help`;

export class UsageError extends Error {}

export interface SchedulerOptions {
  readonly instances: number;
  readonly tasks: number;
  readonly processes: number;
  readonly cpu: number;
  readonly memory: number;
  readonly taskCpu: number;
  readonly taskMemory: number;
  readonly count: number;
  readonly clients: number;
  readonly seconds: number;
  readonly reportLatencyMs: number;
  readonly connectTimeoutMs: number;
  readonly connections: number;
  readonly only: readonly Part[];
  readonly pin: boolean;
  readonly pureOnly: boolean;
  readonly directOnly: boolean;
  readonly profile?: string;
  readonly heapProfile?: string;
  readonly output: 'text' | 'json';
}

export function schedulerOptions(argv: readonly string[]): SchedulerOptions | undefined {
  const { values: v } = parseArgs({
    args: [...argv],
    options: {
      instances: { type: 'string', default: '10000' }, tasks: { type: 'string', default: '100000' }, processes: { type: 'string', default: '1' },
      cpu: { type: 'string', default: '4096' }, memory: { type: 'string', default: '16384' },
      'task-cpu': { type: 'string', default: '128' }, 'task-memory': { type: 'string', default: '256' },
      count: { type: 'string', default: '10' }, clients: { type: 'string', default: '32' }, seconds: { type: 'string', default: '10' },
      'report-latency-ms': { type: 'string', default: '0' }, 'connect-timeout': { type: 'string', default: '900' },
      connections: { type: 'string', default: '32' }, only: { type: 'string', default: PARTS.join(',') },
      'no-pin': { type: 'boolean', default: false }, 'pure-only': { type: 'boolean', default: false },
      'direct-only': { type: 'boolean', default: false }, profile: { type: 'string' }, 'heap-profile': { type: 'string' }, output: { type: 'string', default: 'text' }, help: { type: 'boolean', default: false },
    },
  });
  if (v.help) {
    process.stdout.write(`${HELP}\n`);
    return undefined;
  }
  const int = (name: string, s: string, min: number) => {
    const n = Number(s);
    if (!Number.isInteger(n) || n < min) throw new UsageError(`--${name} must be an integer ≥ ${min}, not '${s}'`);
    return n;
  };
  const only = v.only.split(',').filter(Boolean);
  for (const p of only) if (!(PARTS as readonly string[]).includes(p)) throw new UsageError(`--only takes ${PARTS.join(', ')}, not '${p}'`);
  if (v.output !== 'text' && v.output !== 'json') throw new UsageError(`--output is text or json, not '${v.output}'`);
  const o: SchedulerOptions = {
    instances: int('instances', v.instances, 1), tasks: int('tasks', v.tasks, 0), processes: int('processes', v.processes, 1),
    cpu: int('cpu', v.cpu, 128), memory: int('memory', v.memory, 128), taskCpu: int('task-cpu', v['task-cpu'], 1), taskMemory: int('task-memory', v['task-memory'], 4),
    count: int('count', v.count, 1), clients: int('clients', v.clients, 1), seconds: int('seconds', v.seconds, 1),
    reportLatencyMs: int('report-latency-ms', v['report-latency-ms'], 0), connectTimeoutMs: int('connect-timeout', v['connect-timeout'], 1) * 1000,
    connections: int('connections', v.connections, 1), only: only as Part[], pin: !v['no-pin'], pureOnly: v['pure-only'], directOnly: v['direct-only'],
    ...(v.profile !== undefined && { profile: v.profile }), ...(v['heap-profile'] !== undefined && { heapProfile: v['heap-profile'] }), output: v.output,
  };
  const perInstance = Math.ceil(o.tasks / o.instances);
  if (perInstance * o.taskCpu > o.cpu || perInstance * o.taskMemory > o.memory) {
    throw new UsageError(`${o.tasks} tasks of ${o.taskCpu} CPU / ${o.taskMemory} MiB do not fit on ${o.instances} instances of ${o.cpu} / ${o.memory}: raise --cpu/--memory or --instances`);
  }
  return o;
}
