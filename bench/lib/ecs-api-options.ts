/**
 * The command line of bench/ecs-api.ts: what a run measures, and its help text.
 */

import { resolve } from 'node:path';
import { parseArgs } from 'node:util';

export const OPERATIONS = ['describe', 'describe-family', 'register', 'register-one-family'] as const;
export type Operation = typeof OPERATIONS[number];

const HELP = `Usage: bin/bench ecs-api [options]

ECS API req/s and latency of Berth against a bare node:http server answering the same
bytes (the ceiling), driven by wrk, per store size and phase (fresh; same process after
--writes registrations; after kill -9 and a restart). Targets: DescribeTaskDefinition at
>= 50% of the bare server's req/s with p99 < 5 ms in every cell (issues 2 and 13);
RegisterTaskDefinition durable and >= 2,000/s.

Options:
  --sizes LIST         task definitions stored, one cell each (default 10000; the full run:
                       10000,100000,500000); each a multiple of --revisions
  --revisions N        revisions per family (default 10): SIZE/N families
  --seed store|http    seed straight through the store before Berth starts (default), or
                       with RegisterTaskDefinition over HTTP (slow past 10,000)
  --writes N           registrations in the same process before the "after writes" reads
                       (default 50000; the measured write runs count toward it)
  --read-keys N        most distinct keys a read case rotates over, spread over the store (default 10000)
  --seconds N          measured seconds per run (default 10)
  --warmup N           warm-up seconds per server before an operation is measured (default 3)
  --rounds N           measured runs per server, Berth and bare alternating; the figures
                       are the median run's (default 1; 3 or more on a busy machine)
  --connections N      wrk connections, each with one request in flight (default 32)
  --threads N          wrk threads (default 1)
  --write-families N   families the many-families write case spreads over (default 1000)
  --only LIST          comma-separated subset of: ${OPERATIONS.join(', ')}
  --no-pin             do not pin the server to CPU 0 and wrk to CPU 1
  --profile DIR        run Berth under node --cpu-prof (stopped with SIGINT instead of SIGKILL)
                       and print where its CPU time went per process; .cpuprofile files stay in DIR
  --output table|json  human table (default) or JSON on stdout; progress goes to stderr
  -h, --help           show this help
`;

export interface Options {
  sizes: readonly number[];
  revisions: number;
  seed: 'store' | 'http';
  writes: number;
  readKeys: number;
  seconds: number;
  warmup: number;
  rounds: number;
  connections: number;
  threads: number;
  writeFamilies: number;
  only: readonly Operation[];
  pin: boolean;
  profileDir: string | undefined;
  output: 'table' | 'json';
}

export function options(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      sizes: { type: 'string', default: '10000' }, revisions: { type: 'string', default: '10' },
      seed: { type: 'string', default: 'store' }, writes: { type: 'string', default: '50000' },
      'read-keys': { type: 'string', default: '10000' },
      seconds: { type: 'string', default: '10' }, warmup: { type: 'string', default: '3' }, rounds: { type: 'string', default: '1' },
      connections: { type: 'string', default: '32' }, threads: { type: 'string', default: '1' },
      'write-families': { type: 'string', default: '1000' }, only: { type: 'string' },
      'no-pin': { type: 'boolean', default: false }, profile: { type: 'string' },
      output: { type: 'string', default: 'table' }, help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    process.exit(0);
  }
  const whole = (name: string, v: string, min = 1) => {
    const n = Number(v.replaceAll('_', ''));
    if (!Number.isInteger(n) || n < min) throw new UsageError(`--${name} must be a whole number from ${min}; it was '${v}'.`);
    return n;
  };
  const only = (values.only?.split(',') ?? [...OPERATIONS]).map((s) => s.trim());
  for (const o of only) if (!(OPERATIONS as readonly string[]).includes(o)) throw new UsageError(`--only: '${o}' is not one of ${OPERATIONS.join(', ')}.`);
  if (values.output !== 'table' && values.output !== 'json') throw new UsageError(`--output must be table or json; it was '${values.output}'.`);
  if (values.seed !== 'store' && values.seed !== 'http') throw new UsageError(`--seed must be store or http; it was '${values.seed}'.`);
  const revisions = whole('revisions', values.revisions);
  const sizes = values.sizes.split(',').map((v) => whole('sizes', v.trim()));
  for (const n of sizes) if (n % revisions) throw new UsageError(`--sizes: ${n} is not a multiple of --revisions ${revisions}.`);
  const o: Options = {
    sizes, revisions, seed: values.seed, writes: whole('writes', values.writes, 0), readKeys: whole('read-keys', values['read-keys']),
    seconds: whole('seconds', values.seconds), warmup: whole('warmup', values.warmup), rounds: whole('rounds', values.rounds),
    connections: whole('connections', values.connections), threads: whole('threads', values.threads),
    writeFamilies: whole('write-families', values['write-families']),
    only: only as Operation[], pin: !values['no-pin'],
    profileDir: values.profile === undefined ? undefined : resolve(values.profile),
    output: values.output,
  };
  if (o.threads > o.connections) throw new UsageError('--threads must not exceed --connections (wrk gives each thread its own connections).');
  return o;
}

/** A command line the benchmark cannot run with. */
export class UsageError extends Error {}
