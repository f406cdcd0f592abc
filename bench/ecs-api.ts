/**
 * ECS API throughput and latency, Berth against a bare HTTP server answering the same
 * bytes on the same machine (the ceiling), in one run (issues 2 and 13):
 *
 *   bin/bench ecs-api [--sizes 10000,100000,500000] [--output json] [--profile DIR] ...   (--help for all)
 *
 * For each store size (a cell):
 * 1. Seeds a fresh data dir with SIZE task definitions (straight through the store by
 *    default, bench/lib/seed-store.ts; over HTTP with --seed http), then starts Berth as
 *    users do (`bin/berth up --no-agent --port P --data-dir DIR`).
 * 2. Reads, fresh: DescribeTaskDefinition family:revision and family (latest ACTIVE
 *    revision), each rotating over at most --read-keys keys spread over the whole store.
 * 3. Writes in the same process: RegisterTaskDefinition spread over many families and all
 *    into one family (measured), then more of the first until --writes registrations.
 * 4. Reads again, same process, after those writes.
 * 5. Kills Berth with SIGKILL, restarts it on the same data dir, checks with
 *    ListTaskDefinitions/DescribeTaskDefinition that every write wrk saw acknowledged is
 *    there, with contiguous revisions (none lost, none duplicated), and reads again.
 * Every run of Berth alternates with the bare server (bench/lib/bare-server.ts), which
 * answers every POST with the exact body Berth returned for the operation. Berth's RSS and
 * its CPU per request are printed beside each row.
 * Targets: reads ≥ 50% of the bare server's req/s with p99 < 5 ms in every cell and phase
 * (issue 2 at 10,000 stored; issue 13 at every size, after writes and after a restart);
 * writes durable and ≥ 2,000/s.
 */

import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { availableParallelism, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_ACCOUNT, DEFAULT_REGION } from '../src/cli/defaults.ts';
import { ECS_TARGET_PREFIX, ecsClient, ecsHeaders, pool } from './lib/aws-json.ts';
import { formatSummary, summarize } from './lib/cpu-profile.ts';
import { ownCpuMs } from './lib/cpu-usage.ts';
import { contiguity, latestRevisions, storedRevisions } from './lib/ecs-checks.ts';
import { familySample, revisionSample, rssMiB, type Layout } from './lib/ecs-samples.ts';
import { backgroundCores } from './lib/machine.ts';
import {
  cleanupNow, freePort, killHard, pinned, spawnTracked, stopGracefully, tempDir, waitReady, type Service,
} from './lib/processes.ts';
import { options, UsageError, type Operation } from './lib/ecs-api-options.ts';
import { json, passed, table, type Check, type Row } from './lib/report.ts';
import { seedStore } from './lib/seed-store.ts';
import { familyName, registerInput } from './lib/task-definitions.ts';
import { combine, runWrk, type WrkRequest, type WrkResult } from './lib/wrk.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Issue 2's targets. */
const READ_RATIO_TARGET = 0.5;
const READ_P99_TARGET_MS = 5;
const WRITE_RPS_TARGET = 2_000;
/** Background CPU (in cores) above which the figures are flagged as taken on a busy machine. */
const BUSY_CORES = 0.1;
/** Concurrent requests while seeding over HTTP: enough to keep Berth's group commit busy. */
const SEED_CONCURRENCY = 32;
/** Distinct request bodies for the one-family write case (same family, varied content). */
const SAME_FAMILY_VARIANTS = 100;
/** The longest single wrk run that tops the writes up to --writes (it repeats until there). */
const TOP_UP_MAX_SECONDS = 30;


const say = (line: string) => process.stderr.write(`ecs-api: ${line}\n`);
const count = (n: number) => n.toLocaleString('en-US');

/** Berth, started exactly as a user starts it (without a container agent: the API is measured). */
interface Berth {
  service: Service;
  url: string;
}

async function startBerth(port: number, dataDir: string, cpus: string | undefined, profileDir?: string): Promise<Berth> {
  const env = { ...process.env };
  if (profileDir) env.NODE_OPTIONS = `${env.NODE_OPTIONS ?? ''} --cpu-prof --cpu-prof-dir=${profileDir}`.trim();
  const cmd = [...pinned(cpus), join(ROOT, 'bin/berth'), 'up', '--no-agent', '--port', String(port), '--data-dir', dataDir];
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
  const loadAtStart = loadavg()[0]!;
  if (background > BUSY_CORES) say(`warning: before starting, other processes used ${background.toFixed(2)} of ${cores} cores; figures will be low and noisy (try --rounds 3)`);
  const work = tempDir('berth-ecs-api-bench-', '/var/tmp');
  const berthPort = await freePort();
  const barePort = await freePort();
  const bareUrl = `http://127.0.0.1:${barePort}`;
  const scope = { account: DEFAULT_ACCOUNT, region: DEFAULT_REGION };
  const rows: Row[] = [];
  const cells: Record<string, unknown>[] = [];
  const profiles: string[] = [];
  let bare: Service | undefined;
  let responseBytes: { describe: number; register: number } | undefined;

  for (const size of opt.sizes) {
    const layout: Layout = { prefix: 'bench', families: size / opt.revisions, revisions: opt.revisions };
    const dataDir = join(work, `data-${size}`);
    const stored = `${count(size)} stored`;
    let seedSeconds: number;
    let berth: Berth;
    const seedStart = performance.now();
    if (opt.seed === 'store') {
      say(`seeding ${count(size)} task definitions (${count(layout.families)} families × ${opt.revisions} revisions) straight through the store (bench/lib/seed-store.ts)`);
      let reported = 0;
      await seedStore(join(dataDir, 'state.db'), { scope, prefix: layout.prefix, families: layout.families, revisions: layout.revisions, nowSeconds: Date.now() / 1000 }, (done) => {
        if (done - reported >= 100_000) say(`  ${count((reported = done))}`);
      });
      seedSeconds = (performance.now() - seedStart) / 1000;
      say(`starting Berth (bin/berth up --no-agent --port ${berthPort} --data-dir ${dataDir})${pin ? ', pinned to CPU 0; wrk on CPU 1' : ''}`);
      berth = await startBerth(berthPort, dataDir, serverCpus, opt.profileDir);
    } else {
      say(`starting Berth (bin/berth up --no-agent --port ${berthPort} --data-dir ${dataDir})${pin ? ', pinned to CPU 0; wrk on CPU 1' : ''}`);
      berth = await startBerth(berthPort, dataDir, serverCpus, opt.profileDir);
      say(`seeding ${count(size)} task definitions over HTTP, ${SEED_CONCURRENCY} at a time`);
      const client = ecsClient(berth.url);
      await pool(size, SEED_CONCURRENCY, async (i) => {
        const f = i % layout.families;
        const r = await client.call('RegisterTaskDefinition', registerInput(familyName(layout.prefix, f), f + Math.floor(i / layout.families)));
        if (r.status !== 200) throw new Error(`seeding: RegisterTaskDefinition answered ${r.status}: ${r.raw.toString('utf8')}`);
      });
      client.close();
      seedSeconds = (performance.now() - seedStart) / 1000;
    }
    say(`seeded in ${seedSeconds.toFixed(1)} s (${count(Math.round(size / seedSeconds))}/s)`);
    /** Registrations this process answered (warm-ups, measured runs, top-ups). */
    let written = 0;

    // The bare server answers with Berth's bytes: one Describe of a seeded revision, one Register.
    if (!bare) {
      const client = ecsClient(berth.url);
      const described = await client.call('DescribeTaskDefinition', { taskDefinition: `${familyName(layout.prefix, 0)}:1` });
      if (described.status !== 200) throw new Error(`DescribeTaskDefinition of a seeded revision answered ${described.status}: ${described.raw.toString('utf8')}`);
      const registered = await client.call('RegisterTaskDefinition', registerInput(familyName('probe', 0), 0));
      if (registered.status !== 200) throw new Error(`RegisterTaskDefinition answered ${registered.status}: ${registered.raw.toString('utf8')}`);
      written++;
      client.close();
      responseBytes = { describe: described.raw.length, register: registered.raw.length };
      const responses = join(work, 'bare-responses.json');
      await writeFile(responses, JSON.stringify({
        [`${ECS_TARGET_PREFIX}.DescribeTaskDefinition`]: described.raw.toString('base64'),
        [`${ECS_TARGET_PREFIX}.RegisterTaskDefinition`]: registered.raw.toString('base64'),
      }));
      const bareCmd = [...pinned(serverCpus), process.execPath, '--disable-warning=ExperimentalWarning', join(ROOT, 'bench/lib/bare-server.ts'), '--port', String(barePort), '--responses', responses];
      bare = spawnTracked(bareCmd[0]!, bareCmd.slice(1));
      await waitReady(bare, bareUrl, 'bare server');
    }

    /**
     * Warms both servers up, then measures them in alternation, round after round, so that
     * anything else the machine does in the meantime weighs on both alike.
     */
    const measure = async (name: string, requests: readonly WrkRequest[], warmup: readonly WrkRequest[] = requests) => {
      const sides = { berth: berth.url, bare: bareUrl };
      const runs: Record<keyof typeof sides, WrkResult[]> = { berth: [], bare: [] };
      const base = { connections: opt.connections, threads: opt.threads, cpus: wrkCpus, workDir: work };
      let answered = 0;
      for (const [side, url] of Object.entries(sides)) {
        const r = await runWrk({ ...base, url, name: `${name}-${side}-warmup`, requests: warmup, seconds: opt.warmup });
        if (side === 'berth') answered += r.requests - r.errorStatus;
      }
      let cpuMs = 0;
      for (let round = 1; round <= opt.rounds; round++) {
        for (const [side, url] of Object.entries(sides) as [keyof typeof sides, string][]) {
          const cpuBefore = side === 'berth' ? ownCpuMs(berth.service.child.pid!) : 0;
          const r = await runWrk({ ...base, url, name: `${name}-${side}-${round}`, requests, seconds: opt.seconds });
          if (side === 'berth') {
            cpuMs += ownCpuMs(berth.service.child.pid!) - cpuBefore;
            answered += r.requests - r.errorStatus;
          }
          runs[side].push(r);
          say(`${name} ${side}${opt.rounds > 1 ? ` round ${round}` : ''}: ${Math.round(r.requestsPerSecond)} req/s, p50 ${r.latencyMs.p50.toFixed(2)} ms, p99 ${r.latencyMs.p99.toFixed(2)} ms, ${r.errorStatus} error responses`);
        }
      }
      const b = combine(runs.berth);
      return { berth: b, bare: combine(runs.bare), answered, rssMiB: rssMiB(berth.service.child.pid!), cpuUsPerRequest: (cpuMs * 1000) / runs.berth.reduce((a, r) => a + r.requests, 0) };
    };
    const host = new URL(berth.url).host;
    const call = (operation: string, input: unknown): WrkRequest => {
      const body = JSON.stringify(input);
      return { headers: ecsHeaders(host, operation, body), body };
    };
    const revisionRefs = revisionSample(layout, opt.readKeys);
    const familyRefs = familySample(layout, opt.readKeys);
    const describes = revisionRefs.map((taskDefinition) => call('DescribeTaskDefinition', { taskDefinition }));
    const familyDescribes = familyRefs.map((taskDefinition) => call('DescribeTaskDefinition', { taskDefinition }));
    const readTarget = `≥ ${pct(READ_RATIO_TARGET)}, p99 < ${READ_P99_TARGET_MS} ms`;
    const reads = async (phase: string) => {
      const cases: [Operation, string, WrkRequest[], string[]][] = [
        ['describe', `DescribeTaskDefinition family:rev (${count(describes.length)} keys)`, describes, revisionRefs],
        ['describe-family', `DescribeTaskDefinition family (${count(familyDescribes.length)} families)`, familyDescribes, familyRefs],
      ];
      for (const [op, label, requests, refs] of cases) {
        if (!opt.only.includes(op)) continue;
        // One pass over every key first, so that the measured runs see the steady state
        // whatever the warm-up's length (a cold key costs a parse and a stringify once).
        const primer = ecsClient(berth.url);
        await pool(refs.length, opt.connections, async (i) => { await primer.ok('DescribeTaskDefinition', { taskDefinition: refs[i] }); });
        primer.close();
        const m = await measure(`${op}-${size}-${phase.replaceAll(' ', '-')}`, requests);
        rows.push({ operation: `${label}, ${stored}, ${phase}`, berth: m.berth, baseline: m.bare, target: readTarget, rssMiB: m.rssMiB, cpuUsPerRequest: m.cpuUsPerRequest, checks: readChecks(m.berth, m.bare) });
        cells.push({ size, phase, operation: op, requestsPerSecond: m.berth.requestsPerSecond, bareRequestsPerSecond: m.bare.requestsPerSecond, rssMiB: m.rssMiB, cpuUsPerRequest: m.cpuUsPerRequest });
      }
    };

    // 2. Reads on a fresh start.
    await reads('fresh');

    // 3. Writes. Warm-ups write to families of their own so the checks count measured writes only.
    const writes: { operation: string; prefix: string; result: WrkResult; bare: WrkResult; rssMiB: { total: number; anon: number }; cpuUsPerRequest: number }[] = [];
    const many = (prefix: string) => Array.from({ length: opt.writeFamilies }, (_, f) => call('RegisterTaskDefinition', registerInput(familyName(prefix, f), f)));
    if (opt.only.includes('register')) {
      const m = await measure(`register-${size}`, many('write'), many('warm'));
      written += m.answered;
      writes.push({ operation: `RegisterTaskDefinition (${opt.writeFamilies} families), ${stored}`, prefix: 'write-', result: m.berth, bare: m.bare, rssMiB: m.rssMiB, cpuUsPerRequest: m.cpuUsPerRequest });
    }
    if (opt.only.includes('register-one-family')) {
      const one = (family: string) => Array.from({ length: SAME_FAMILY_VARIANTS }, (_, v) => call('RegisterTaskDefinition', registerInput(family, v)));
      const m = await measure(`register-one-family-${size}`, one('same'), one('warmsame'));
      written += m.answered;
      writes.push({ operation: `RegisterTaskDefinition (one family), ${stored}`, prefix: 'same', result: m.berth, bare: m.bare, rssMiB: m.rssMiB, cpuUsPerRequest: m.cpuUsPerRequest });
    }
    const fill = many('fill');
    const topUps: WrkResult[] = [];
    while (written < opt.writes) {
      const rate = Math.max(500, writes[0]?.result.requestsPerSecond ?? 2_000);
      const seconds = Math.min(TOP_UP_MAX_SECONDS, Math.max(1, Math.ceil((opt.writes - written) / rate)));
      say(`writing ${count(opt.writes - written)} more registrations (${seconds} s of wrk) before reading again`);
      const r = await runWrk({ url: berth.url, requests: fill, connections: opt.connections, threads: opt.threads, seconds, cpus: wrkCpus, workDir: work, name: `fill-${size}-${topUps.length}` });
      if (r.errorStatus) throw new Error(`${r.errorStatus} registrations were refused while writing`);
      topUps.push(r);
      written += r.requests;
    }
    say(`${count(written)} registrations in this process; reading again`);

    // 4. Reads in the same process, after the writes.
    await reads(`after ${count(written)} writes`);

    // 5. Durability: kill -9 (SIGINT under --profile, which writes its profile at exit), restart, count.
    if (opt.profileDir) {
      say('stopping Berth with SIGINT (--profile) and restarting it on the same data dir');
      profiles.push(...await stopProfiled(berth, opt.profileDir));
    } else {
      say('killing Berth with SIGKILL and restarting it on the same data dir');
      await killHard(berth.service.child);
    }
    berth = await startBerth(berthPort, dataDir, serverCpus, opt.profileDir);
    const checker = ecsClient(berth.url);
    const storedNow = await storedRevisions(checker);
    const seedCheck = contiguity(storedNow, `${layout.prefix}-`, layout.families);
    if (seedCheck.total !== size || seedCheck.problems.length) {
      throw new Error(`after restart the seeded families hold ${seedCheck.total} revisions, not ${size}: ${seedCheck.problems.slice(0, 5).join('; ')}`);
    }
    for (const w of writes) {
      const acked = w.result.requests - w.result.errorStatus;
      const c = contiguity(storedNow, w.prefix);
      const sampled = c.families.slice(0, 20);
      const latest = await latestRevisions(checker, sampled);
      const mismatch = sampled.filter((f, i) => latest[i] !== storedNow.get(f)?.length);
      // wrk stops reading at its deadline: requests then in flight (at most one per
      // connection, at the end of each round) may be stored without wrk counting their answer.
      const inFlight = opt.connections * opt.rounds;
      const durable = acked <= c.total && c.total <= acked + inFlight && c.problems.length === 0 && mismatch.length === 0;
      rows.push({
        operation: w.operation, berth: w.result, baseline: w.bare, target: `≥ ${count(WRITE_RPS_TARGET)}/s, durable`, rssMiB: w.rssMiB, cpuUsPerRequest: w.cpuUsPerRequest,
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
    const fills = contiguity(storedNow, 'fill-');
    const fillAcked = topUps.reduce((a, r) => a + r.requests, 0);
    if (fills.problems.length || fills.total < fillAcked) throw new Error(`after restart the top-up families hold ${fills.total} revisions for ${fillAcked} acknowledged: ${fills.problems.slice(0, 3).join('; ')}`);
    checker.close();

    // 6. Reads after the restart.
    await reads('after restart');
    if (opt.profileDir) profiles.push(...await stopProfiled(berth, opt.profileDir));
    else await killHard(berth.service.child);
    rmSync(dataDir, { recursive: true, force: true });
  }
  if (bare) await killHard(bare.child);

  const meta = {
    benchmark: 'ecs-api', date: new Date().toISOString(), node: process.version, cores, pinned: pin,
    machine: { backgroundCoresAtStart: background, loadAverage1mAtStart: loadAtStart, loadAverage1mAtEnd: loadavg()[0]! },
    wrk: { connections: opt.connections, threads: opt.threads, seconds: opt.seconds, warmupSeconds: opt.warmup, rounds: opt.rounds },
    store: { sizes: opt.sizes, revisionsPerFamily: opt.revisions, seed: opt.seed, writesBeforeSecondRead: opt.writes, readKeys: opt.readKeys },
    responseBytes, cells,
  };
  const profileReport = profiles.join('\n\n');
  if (opt.output === 'json') {
    process.stdout.write(`${json(rows, { ...meta, ...(profileReport && { profile: profileReport }) })}\n`);
  } else {
    process.stdout.write(`\nECS API, Berth vs a bare node:http server answering the same bytes (${process.version}, ${cores} cores${pin ? ', server on CPU 0, wrk on CPU 1' : ''})\n`);
    process.stdout.write(`machine: ${background.toFixed(2)} cores busy before the run; 1-minute load average ${loadAtStart.toFixed(2)} at the start, ${loadavg()[0]!.toFixed(2)} at the end\n`);
    if (background > BUSY_CORES) process.stdout.write(`WARNING: other processes were using ${background.toFixed(2)} cores when the run started: figures are low and noisy.\n`);
    process.stdout.write(`wrk: ${opt.threads} thread(s), ${opt.connections} connections, ${opt.warmup} s warm-up + ${opt.rounds > 1 ? `median of ${opt.rounds} × ` : ''}${opt.seconds} s measured; seeded ${opt.seed === 'store' ? 'through the store' : 'over HTTP'}; Describe answer ${responseBytes?.describe} B\n\n`);
    process.stdout.write(`${table(rows)}\n`);
    if (profileReport) process.stdout.write(`\nBerth CPU profiles:\n${profileReport}\n`);
  }
  return rows.every(passed) ? 0 : 1;

  function readChecks(b: WrkResult, bareResult: WrkResult): Check[] {
    return [
      { name: 'throughput', pass: b.requestsPerSecond >= READ_RATIO_TARGET * bareResult.requestsPerSecond, detail: `${pct(b.requestsPerSecond / bareResult.requestsPerSecond)} of bare (target ≥ ${pct(READ_RATIO_TARGET)})` },
      { name: 'p99', pass: b.latencyMs.p99 < READ_P99_TARGET_MS, detail: `${b.latencyMs.p99.toFixed(2)} ms (target < ${READ_P99_TARGET_MS} ms)` },
      errorsCheck(b),
    ];
  }
}

/** Stops a profiled Berth with SIGINT and summarizes the profile its server process wrote. */
async function stopProfiled(berth: Berth, dir: string): Promise<string[]> {
  const before = new Set(readdirSync(dir));
  await stopGracefully(berth.service.child);
  // NODE_OPTIONS reaches every node bin/berth runs (its version probe too): the server's profile is the largest.
  const server = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile') && !before.has(f)).map((f) => join(dir, f))
    .sort((a, b) => statSync(b).size - statSync(a).size)[0];
  return server ? [`${server}\n${formatSummary(summarize(server))}`] : [];
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
