/**
 * ECS API throughput and latency, Berth against a bare HTTP server answering the same
 * bytes on the same machine (the ceiling), in one run (issue 2, Performance):
 *
 *   bin/bench ecs-api [--seconds 10] [--output json] [--profile DIR] ...   (--help for all)
 *
 * 1. Starts Berth as users do (`bin/berth up --port P --data-dir TMP`) and seeds it over
 *    HTTP with FAMILIES × REVISIONS realistic task definitions (10,000 by default).
 * 2. Starts the bare server (bench/lib/bare-server.ts) on the same Node, answering every
 *    POST with the exact body Berth returned for the operation.
 * 3. Drives both with wrk (1 thread, 32 connections; a warm-up each, then measured runs
 *    alternating Berth and bare); on a machine with 2+ cores the server is pinned to
 *    CPU 0 and wrk to CPU 1.
 *    - DescribeTaskDefinition family:revision, rotating over every stored revision;
 *    - DescribeTaskDefinition family (latest ACTIVE revision), rotating over families;
 *    - RegisterTaskDefinition spread over many families, and all into one family (the
 *      case src/lib/keyed-batcher.ts batches).
 * 4. Kills Berth with SIGKILL, restarts it on the same data dir and checks with
 *    ListTaskDefinitions/DescribeTaskDefinition that every write wrk saw acknowledged is
 *    there, with contiguous revisions (none lost, none duplicated).
 * Targets: reads ≥ 50% of the bare server's req/s with p99 < 5 ms at 10,000 stored task
 * definitions; writes durable and ≥ 2,000/s.
 */

import { existsSync, readdirSync, statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ECS_TARGET_PREFIX, ecsClient, ecsHeaders, pool } from './lib/aws-json.ts';
import { formatSummary, summarize } from './lib/cpu-profile.ts';
import { contiguity, latestRevisions, storedRevisions } from './lib/ecs-checks.ts';
import { backgroundCores } from './lib/machine.ts';
import {
  cleanupNow, freePort, killHard, pinned, spawnTracked, stopGracefully, tempDir, waitReady, type Service,
} from './lib/processes.ts';
import { json, passed, table, type Check, type Row } from './lib/report.ts';
import { familyName, registerInput } from './lib/task-definitions.ts';
import { combine, runWrk, type WrkRequest, type WrkResult } from './lib/wrk.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Issue 2's targets. */
const READ_RATIO_TARGET = 0.5;
const READ_P99_TARGET_MS = 5;
const WRITE_RPS_TARGET = 2_000;
/** Background CPU (in cores) above which the figures are flagged as taken on a busy machine. */
const BUSY_CORES = 0.1;
/** Concurrent requests while seeding: enough to keep Berth's group commit busy. */
const SEED_CONCURRENCY = 32;
/** Distinct request bodies for the one-family write case (same family, varied content). */
const SAME_FAMILY_VARIANTS = 100;

const OPERATIONS = ['describe', 'describe-family', 'register', 'register-one-family'] as const;
type Operation = typeof OPERATIONS[number];

const HELP = `Usage: bin/bench ecs-api [options]

ECS API req/s and latency of Berth against a bare node:http server answering the same
bytes (the ceiling), driven by wrk. Targets (issue 2): DescribeTaskDefinition at >= 50%
of the bare server's req/s with p99 < 5 ms at 10,000 stored task definitions;
RegisterTaskDefinition durable and >= 2,000/s.

Options:
  --seconds N          measured seconds per run (default 10)
  --warmup N           warm-up seconds per server before an operation is measured (default 3)
  --rounds N           measured runs per server, Berth and bare alternating; the figures
                       are the median run's (default 1; 3 or more on a busy machine)
  --connections N      wrk connections, each with one request in flight (default 32)
  --threads N          wrk threads (default 1)
  --families N         task definition families seeded (default 1000)
  --revisions N        revisions seeded per family (default 10)
  --write-families N   families the many-families write case spreads over (default 1000)
  --only LIST          comma-separated subset of: ${OPERATIONS.join(', ')}
  --no-pin             do not pin the server to CPU 0 and wrk to CPU 1
  --profile DIR        run Berth under node --cpu-prof for the measured operations (after
                       seeding) and print where its CPU time went; the .cpuprofile stays in DIR
  --output table|json  human table (default) or JSON on stdout; progress goes to stderr
  -h, --help           show this help
`;

interface Options {
  seconds: number;
  warmup: number;
  rounds: number;
  connections: number;
  threads: number;
  families: number;
  revisions: number;
  writeFamilies: number;
  only: readonly Operation[];
  pin: boolean;
  profileDir: string | undefined;
  output: 'table' | 'json';
}

function options(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      seconds: { type: 'string', default: '10' }, warmup: { type: 'string', default: '3' }, rounds: { type: 'string', default: '1' },
      connections: { type: 'string', default: '32' }, threads: { type: 'string', default: '1' },
      families: { type: 'string', default: '1000' }, revisions: { type: 'string', default: '10' },
      'write-families': { type: 'string', default: '1000' }, only: { type: 'string' },
      'no-pin': { type: 'boolean', default: false }, profile: { type: 'string' },
      output: { type: 'string', default: 'table' }, help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    process.exit(0);
  }
  const positive = (name: string, v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new UsageError(`--${name} must be a whole number from 1; it was '${v}'.`);
    return n;
  };
  const only = (values.only?.split(',') ?? [...OPERATIONS]).map((s) => s.trim());
  for (const o of only) if (!(OPERATIONS as readonly string[]).includes(o)) throw new UsageError(`--only: '${o}' is not one of ${OPERATIONS.join(', ')}.`);
  if (values.output !== 'table' && values.output !== 'json') throw new UsageError(`--output must be table or json; it was '${values.output}'.`);
  const o: Options = {
    seconds: positive('seconds', values.seconds), warmup: positive('warmup', values.warmup), rounds: positive('rounds', values.rounds),
    connections: positive('connections', values.connections), threads: positive('threads', values.threads),
    families: positive('families', values.families), revisions: positive('revisions', values.revisions),
    writeFamilies: positive('write-families', values['write-families']),
    only: only as Operation[], pin: !values['no-pin'],
    profileDir: values.profile === undefined ? undefined : resolve(values.profile),
    output: values.output,
  };
  if (o.threads > o.connections) throw new UsageError('--threads must not exceed --connections (wrk gives each thread its own connections).');
  return o;
}

/** A command line the benchmark cannot run with. */
class UsageError extends Error {}

const say = (line: string) => process.stderr.write(`ecs-api: ${line}\n`);

/** Berth, started exactly as a user starts it. */
interface Berth {
  service: Service;
  url: string;
}

async function startBerth(port: number, dataDir: string, cpus: string | undefined, profileDir?: string): Promise<Berth> {
  const env = { ...process.env };
  if (profileDir) env.NODE_OPTIONS = `${env.NODE_OPTIONS ?? ''} --cpu-prof --cpu-prof-dir=${profileDir}`.trim();
  const cmd = [...pinned(cpus), join(ROOT, 'bin/berth'), 'up', '--port', String(port), '--data-dir', dataDir];
  const service = spawnTracked(cmd[0]!, cmd.slice(1), { env });
  const url = `http://127.0.0.1:${port}`;
  await waitReady(service, `${url}/_berth/health`, 'berth up');
  return { service, url };
}

async function main(): Promise<number> {
  const opt = options(process.argv.slice(2));
  const cores = availableParallelism();
  const pin = opt.pin && cores >= 2 && existsSync('/usr/bin/taskset');
  const serverCpus = pin ? '0' : undefined;
  const wrkCpus = pin ? '1' : undefined;
  const background = await backgroundCores();
  if (background > BUSY_CORES) say(`warning: before starting, other processes used ${background.toFixed(2)} of ${cores} cores; figures will be low and noisy (try --rounds 3)`);
  const work = tempDir('berth-ecs-api-bench-');
  const dataDir = join(work, 'data');
  const berthPort = await freePort();
  say(`starting Berth (bin/berth up --port ${berthPort} --data-dir ${dataDir})${pin ? ', pinned to CPU 0; wrk on CPU 1' : ''}`);
  let berth = await startBerth(berthPort, dataDir, serverCpus);
  let client = ecsClient(berth.url);

  // 1. Seed.
  const seeded = opt.families * opt.revisions;
  say(`seeding ${seeded.toLocaleString('en-US')} task definitions (${opt.families} families × ${opt.revisions} revisions) over HTTP, ${SEED_CONCURRENCY} at a time`);
  const seedStart = performance.now();
  let registerResponse: Buffer | undefined;
  // Revision-major order: each family gets its revisions from different moments of the run.
  await pool(seeded, SEED_CONCURRENCY, async (i) => {
    const f = i % opt.families;
    const r = await client.call('RegisterTaskDefinition', registerInput(familyName('bench', f), f + Math.floor(i / opt.families)));
    if (r.status !== 200) throw new Error(`seeding: RegisterTaskDefinition answered ${r.status}: ${r.raw.toString('utf8')}`);
    registerResponse ??= r.raw;
  });
  const seedSeconds = (performance.now() - seedStart) / 1000;
  say(`seeded in ${seedSeconds.toFixed(1)} s (${Math.round(seeded / seedSeconds)}/s with ${SEED_CONCURRENCY} concurrent clients on node:http)`);
  const described = await client.call('DescribeTaskDefinition', { taskDefinition: `${familyName('bench', 0)}:1` });
  if (described.status !== 200) throw new Error(`DescribeTaskDefinition of a seeded revision answered ${described.status}: ${described.raw.toString('utf8')}`);
  const describeResponse = described.raw;

  // 2. The bare server, answering with Berth's bytes.
  const barePort = await freePort();
  const responses = join(work, 'bare-responses.json');
  await writeFile(responses, JSON.stringify({
    [`${ECS_TARGET_PREFIX}.DescribeTaskDefinition`]: describeResponse.toString('base64'),
    [`${ECS_TARGET_PREFIX}.RegisterTaskDefinition`]: registerResponse!.toString('base64'),
  }));
  const bareCmd = [...pinned(serverCpus), process.execPath, '--disable-warning=ExperimentalWarning', join(ROOT, 'bench/lib/bare-server.ts'), '--port', String(barePort), '--responses', responses];
  const bare = spawnTracked(bareCmd[0]!, bareCmd.slice(1));
  const bareUrl = `http://127.0.0.1:${barePort}`;
  await waitReady(bare, bareUrl, 'bare server');

  if (opt.profileDir) {
    say(`restarting Berth under --cpu-prof (profiles go to ${opt.profileDir})`);
    client.close();
    await stopGracefully(berth.service.child);
    berth = await startBerth(berthPort, dataDir, serverCpus, opt.profileDir);
    client = ecsClient(berth.url);
  }

  /** Requests Berth answered under wrk (warm-ups included): what a profile's time is spread over. */
  let berthRequests = 0;
  /**
   * Warms both servers up, then measures them in alternation, round after round, so that
   * anything else the machine does in the meantime weighs on both alike.
   */
  const measure = async (name: string, requests: readonly WrkRequest[], warmup: readonly WrkRequest[] = requests) => {
    const sides = { berth: berth.url, bare: bareUrl };
    const runs: Record<keyof typeof sides, WrkResult[]> = { berth: [], bare: [] };
    const base = { connections: opt.connections, threads: opt.threads, cpus: wrkCpus, workDir: work };
    for (const [side, url] of Object.entries(sides)) {
      const r = await runWrk({ ...base, url, name: `${name}-${side}-warmup`, requests: warmup, seconds: opt.warmup });
      if (side === 'berth') berthRequests += r.requests;
    }
    for (let round = 1; round <= opt.rounds; round++) {
      for (const [side, url] of Object.entries(sides) as [keyof typeof sides, string][]) {
        const r = await runWrk({ ...base, url, name: `${name}-${side}-${round}`, requests, seconds: opt.seconds });
        runs[side].push(r);
        if (side === 'berth') berthRequests += r.requests;
        say(`${name} ${side}${opt.rounds > 1 ? ` round ${round}` : ''}: ${Math.round(r.requestsPerSecond)} req/s, p50 ${r.latencyMs.p50.toFixed(2)} ms, p99 ${r.latencyMs.p99.toFixed(2)} ms, ${r.errorStatus} error responses`);
      }
    }
    return { berth: combine(runs.berth), bare: combine(runs.bare) };
  };
  const host = new URL(berth.url).host;
  const call = (operation: string, input: unknown): WrkRequest => {
    const body = JSON.stringify(input);
    return { headers: ecsHeaders(host, operation, body), body };
  };

  const rows: Row[] = [];
  const readChecks = (b: WrkResult, bare: WrkResult): Check[] => [
    { name: 'throughput', pass: b.requestsPerSecond >= READ_RATIO_TARGET * bare.requestsPerSecond, detail: `${pct(b.requestsPerSecond / bare.requestsPerSecond)} of bare (target ≥ ${pct(READ_RATIO_TARGET)})` },
    { name: 'p99', pass: b.latencyMs.p99 < READ_P99_TARGET_MS, detail: `${b.latencyMs.p99.toFixed(2)} ms (target < ${READ_P99_TARGET_MS} ms)` },
    errorsCheck(b),
  ];

  // 3. Reads.
  if (opt.only.includes('describe')) {
    const requests: WrkRequest[] = [];
    for (let f = 0; f < opt.families; f++) {
      for (let r = 1; r <= opt.revisions; r++) requests.push(call('DescribeTaskDefinition', { taskDefinition: `${familyName('bench', f)}:${r}` }));
    }
    const { berth: b, bare: bareResult } = await measure('describe', requests);
    rows.push({ operation: `DescribeTaskDefinition family:rev (${seeded.toLocaleString('en-US')} stored)`, berth: b, baseline: bareResult, target: `≥ ${pct(READ_RATIO_TARGET)}, p99 < ${READ_P99_TARGET_MS} ms`, checks: readChecks(b, bareResult) });
  }
  if (opt.only.includes('describe-family')) {
    const requests = Array.from({ length: opt.families }, (_, f) => call('DescribeTaskDefinition', { taskDefinition: familyName('bench', f) }));
    const { berth: b, bare: bareResult } = await measure('describe-family', requests);
    rows.push({ operation: 'DescribeTaskDefinition family (latest)', berth: b, baseline: bareResult, target: `≥ ${pct(READ_RATIO_TARGET)}, p99 < ${READ_P99_TARGET_MS} ms`, checks: readChecks(b, bareResult) });
  }

  // 4. Writes. Warm-ups write to families of their own so the checks count measured writes only.
  const writes: { operation: string; prefix: string; result: WrkResult; bare: WrkResult }[] = [];
  if (opt.only.includes('register')) {
    const many = (prefix: string) => Array.from({ length: opt.writeFamilies }, (_, f) => call('RegisterTaskDefinition', registerInput(familyName(prefix, f), f)));
    const { berth: result, bare: bareResult } = await measure('register', many('write'), many('warm'));
    writes.push({ operation: `RegisterTaskDefinition (${opt.writeFamilies} families)`, prefix: 'write-', result, bare: bareResult });
  }
  if (opt.only.includes('register-one-family')) {
    const one = (family: string) => Array.from({ length: SAME_FAMILY_VARIANTS }, (_, v) => call('RegisterTaskDefinition', registerInput(family, v)));
    const { berth: result, bare: bareResult } = await measure('register-one-family', one('same'), one('warmsame'));
    writes.push({ operation: 'RegisterTaskDefinition (one family)', prefix: 'same', result, bare: bareResult });
  }

  // 5. Durability: kill -9, restart, count.
  let profileReport: string | undefined;
  client.close();
  if (opt.profileDir) {
    // A profile is written at exit, which SIGKILL does not allow: stop with SIGINT instead.
    say('stopping Berth with SIGINT (--profile) and restarting it on the same data dir');
    await stopGracefully(berth.service.child);
    // NODE_OPTIONS reaches every node bin/berth runs (its version probe too): the server's
    // profile is the largest.
    const server = readdirSync(opt.profileDir).filter((f) => f.endsWith('.cpuprofile')).map((f) => join(opt.profileDir!, f))
      .sort((a, b) => statSync(b).size - statSync(a).size)[0];
    if (server) profileReport = `${server}\n${formatSummary(summarize(server), berthRequests)}`;
  } else {
    say('killing Berth with SIGKILL and restarting it on the same data dir');
    await killHard(berth.service.child);
  }
  berth = await startBerth(berthPort, dataDir, serverCpus);
  client = ecsClient(berth.url);
  const stored = await storedRevisions(client);
  const seedCheck = contiguity(stored, 'bench-', opt.families);
  if (seedCheck.total !== seeded || seedCheck.problems.length) {
    throw new Error(`after restart the seeded families hold ${seedCheck.total} revisions, not ${seeded}: ${seedCheck.problems.slice(0, 5).join('; ')}`);
  }
  for (const w of writes) {
    const acked = w.result.requests - w.result.errorStatus;
    const c = contiguity(stored, w.prefix);
    const latest = await latestRevisions(client, c.families.slice(0, 20));
    const mismatch = c.families.slice(0, 20).filter((f, i) => latest[i] !== stored.get(f)?.length);
    // wrk stops reading at its deadline: requests then in flight (at most one per
    // connection, at the end of each round) may be stored without wrk counting their answer.
    const inFlight = opt.connections * opt.rounds;
    const durable = acked <= c.total && c.total <= acked + inFlight && c.problems.length === 0 && mismatch.length === 0;
    rows.push({
      operation: w.operation, berth: w.result, baseline: w.bare, target: `≥ ${WRITE_RPS_TARGET.toLocaleString('en-US')}/s, durable`,
      checks: [
        { name: 'throughput', pass: w.result.requestsPerSecond >= WRITE_RPS_TARGET, detail: `${Math.round(w.result.requestsPerSecond)}/s (target ≥ ${WRITE_RPS_TARGET}/s)` },
        errorsCheck(w.result),
        {
          name: `durable after ${opt.profileDir ? 'SIGINT' : 'kill -9'} and restart`, pass: durable,
          detail: `${acked} acknowledged, ${c.total} stored in ${c.families.length} families (allowed: acknowledged + up to ${inFlight} in flight when wrk stopped)` +
            (c.problems.length ? `; ${c.problems.slice(0, 3).join('; ')}` : '; revisions contiguous from 1') +
            (mismatch.length ? `; DescribeTaskDefinition disagrees for ${mismatch.join(', ')}` : ''),
        },
      ],
    });
  }
  client.close();
  await killHard(berth.service.child);
  await killHard(bare.child);

  const meta = {
    benchmark: 'ecs-api', date: new Date().toISOString(), node: process.version, cores, pinned: pin, backgroundCores: background,
    wrk: { connections: opt.connections, threads: opt.threads, seconds: opt.seconds, warmupSeconds: opt.warmup, rounds: opt.rounds },
    stored: { families: opt.families, revisions: opt.revisions, seeded, seedPerSecond: seeded / seedSeconds },
    responseBytes: { describe: describeResponse.length, register: registerResponse!.length },
  };
  if (opt.output === 'json') {
    process.stdout.write(`${json(rows, { ...meta, ...(profileReport && { profile: profileReport }) })}\n`);
  } else {
    process.stdout.write(`\nECS API, Berth vs a bare node:http server answering the same bytes (${process.version}, ${cores} cores${pin ? ', server on CPU 0, wrk on CPU 1' : ''})\n`);
    if (background > BUSY_CORES) process.stdout.write(`WARNING: other processes were using ${background.toFixed(2)} cores when the run started: figures are low and noisy.\n`);
    process.stdout.write(`wrk: ${opt.threads} thread, ${opt.connections} connections, ${opt.warmup} s warm-up + ${opt.rounds > 1 ? `median of ${opt.rounds} × ` : ''}${opt.seconds} s measured; ${seeded.toLocaleString('en-US')} task definitions stored; Describe answer ${describeResponse.length} B\n\n`);
    process.stdout.write(`${table(rows)}\n`);
    if (profileReport) process.stdout.write(`\nBerth CPU profile: ${profileReport}\n`);
  }
  return rows.every(passed) ? 0 : 1;
}

function errorsCheck(r: WrkResult): Check {
  const s = r.socketErrors;
  const bad = r.errorStatus + s.connect + s.read + s.write + s.timeout;
  return { name: 'errors', pass: bad === 0, detail: `${r.errorStatus} non-2xx, socket errors connect ${s.connect} read ${s.read} write ${s.write} timeout ${s.timeout}` };
}

function pct(x: number): string {
  return `${(x * 100).toFixed(0)}%`;
}

main().then((code) => {
  cleanupNow();
  process.exitCode = code;
}, (err: unknown) => {
  const usage = err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
  process.stderr.write(`ecs-api: ${err instanceof Error ? (usage ? `${err.message} (see --help)` : err.stack ?? err.message) : String(err)}\n`);
  cleanupNow();
  process.exitCode = 2;
});
