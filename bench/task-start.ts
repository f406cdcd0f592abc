/**
 * Task starts, Berth against the bare OCI runtime on the same machine, in one run
 * (issue 4, Performance):
 *
 *   bin/bench task-start [--tasks 100] [--seconds 10] [--output json] ...   (--help for all)
 *
 * 1. Starts Berth as users do (`bin/berth up`, as root, so with its agent), pushes the
 *    sample images (`berth image samples`) and warms up (the image is pulled once: every
 *    measured task starts from a cached image).
 * 2. Latency: TASKS tasks one after another (RunTask, then DescribeTasks every POLL ms
 *    until RUNNING; they stay running), each followed by the baseline: `crun run` and
 *    `runc run` of the spec Berth wrote for a task container, on a copy of the same rootfs,
 *    and `create`+`start` of each. Berth's latency is the task's own record, createdAt
 *    (RunTask arrived) to startedAt (the agent's RUNNING report applied); the latency the
 *    client saw is reported beside it.
 * 3. Memory: the RSS of `berth up` (control plane + agent) with 0 and with TASKS running
 *    tasks; later, a standalone `berth agent --join` beside `berth up --no-agent`, likewise.
 * 4. Throughput: RunTask with count 10 in a loop for SECONDS (at most MAX_IN_FLIGHT tasks
 *    not yet RUNNING), counting tasks reaching RUNNING per second; bridge, then awsvpc.
 * 5. Breakdown: the pieces of an agent's task start timed one by one with the agent's own
 *    modules (bench/lib/task-phases.ts), while nothing else runs.
 * Every task is stopped through the API; then containers, mounts, cgroups, namespaces,
 * bridges and nft tables are removed (bench/lib/agent-host.ts), also on failure or Ctrl-C.
 * Targets: p50 ≤ 3× the raw runtime start (bridge); ≥ 40 task starts/s; agent RSS ≤ 80 MB
 * with 100 running tasks.
 */

import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { findRuntime } from '../src/runtime/container/index.ts';
import { findExecutable } from '../src/lib/executables.ts';
import { berthBridgesPresent, cleanupAgentHost, otherAgents, settledResidentKiB } from './lib/agent-host.ts';
import { formatSummary, summarize as summarizeProfile } from './lib/cpu-profile.ts';
import { coreShare } from './lib/cpu-usage.ts';
import { RUN_TASK_MAX_COUNT, stopTasks } from './lib/ecs-tasks.ts';
import { figuresJson, figuresTable, type FigureRow } from './lib/figures-table.ts';
import { msPair, summarize, type Summary } from './lib/latency-stats.ts';
import { backgroundCores } from './lib/machine.ts';
import { cleanupNow, run, tempDir } from './lib/processes.ts';
import { cleanupRaw, cloneBundle, prepareRawBundle, rawCreateStart, rawRun, rawRunRate, type RawRuntime } from './lib/raw-runtime.ts';
import { AGENT_RSS_TARGET_MIB, FIRST_TASK_TIMEOUT_MS, measureStandaloneAgent, standaloneRow, type StandaloneRss } from './lib/standalone-agent.ts';
import { CLUSTER, msBetween, oneTask, STOP_ALL_TIMEOUT_MS, TASK_TIMEOUT_MS, throughput, type Throughput } from './lib/task-load.ts';
import { measurePhases, START_PHASES, STOP_PHASES, type PhaseReport } from './lib/task-phases.ts';
import {
  checkInterrupted, cleanup, isInterrupted, say, setUpBerth, startBerth, stopEverything, stopGracefully, takeOverSignals,
} from './lib/task-start-berth.ts';

/** Issue 4's targets. */
const LATENCY_RATIO_TARGET = 3;
const STARTS_PER_SECOND_TARGET = 40;
/** Background CPU (in cores) above which the figures are flagged as taken on a busy machine. */
const BUSY_CORES = 0.2;
/** Where startAgent keeps the runtime's state and the crun wrapper (src/agent/agent.ts RUN_DIR). */
const AGENT_RUN_DIR = '/run/berth';
/** The agent's read-only crun and long-lived create namespace there (src/runtime/container/). */
const AGENT_CRUN = `${AGENT_RUN_DIR}/bin/crun`;
const AGENT_CREATE_NS = `${AGENT_RUN_DIR}/ns/create`;
/** Tasks started (unmeasured) before the latency run, so that Node's JIT and the caches are warm. */
const WARMUP_TASKS = 3;
const MIB = 1024;
/** Raw runs in flight for the runtime's own starts/s: two per core keeps both cores busy through each run's waits. */
const RAW_RATE_CONCURRENCY = 4;
/** Seconds of raw runs for that rate. */
const RAW_RATE_SECONDS = 5;
/** Wall time over which the CPU berth up uses at rest (no API calls, tasks running) is measured. */
const IDLE_CPU_MS = 5_000;

const HELP = `Usage: bin/bench task-start [options]     (as root: it runs containers)

RunTask → RUNNING latency of Berth's tasks against a raw crun/runc run of the same
bundle; task starts per second; agent RSS with 100 running tasks. Targets (issue 4):
p50 ≤ ${LATENCY_RATIO_TARGET}× the raw runtime start (bridge mode); ≥ ${STARTS_PER_SECOND_TARGET} starts/s sustained; agent RSS
≤ ${AGENT_RSS_TARGET_MIB} MB with 100 running tasks.

Options:
  --tasks N            tasks in the latency run, kept running for the RSS figure (default 100)
  --poll-ms N          DescribeTasks interval while waiting for RUNNING (default 10)
  --seconds N          seconds of RunTask load per throughput run (default 10)
  --max-in-flight N    tasks issued but not yet RUNNING during the throughput run (default 40)
  --modes LIST         throughput runs: bridge, awsvpc or both (default bridge,awsvpc)
  --no-standalone      skip the standalone agent (berth up --no-agent + berth agent --join)
  --standalone-only    only the standalone agent's RSS (about 15 s; for memory work)
  --phases N           runs of the per-phase breakdown (default 20; 0 to skip)
  --runtime crun|runc  the runtime Berth uses (BERTH_RUNTIME; default: Berth's choice, crun)
  --image REF          the task image (default berth/sleep)
  --memory MIB         the container's memory limit, Berth's and the baseline's (default 32)
  --profile DIR        run the embedded berth up under node --cpu-prof and print where its
                       CPU time went (the .cpuprofile stays in DIR)
  --agent-entry FILE   run the standalone agent as \`node FILE agent ...\` instead of bin/berth
                       (e.g. a tsc-compiled main.js, to see what type stripping costs)
  --agent-node-options OPTS
                       NODE_OPTIONS for the standalone agent (e.g. --max-semi-space-size=1)
  --output table|json  human table (default) or JSON on stdout; progress goes to stderr
  -h, --help           show this help
`;

interface Options {
  tasks: number;
  pollMs: number;
  seconds: number;
  maxInFlight: number;
  modes: readonly ('bridge' | 'awsvpc')[];
  standalone: boolean;
  standaloneOnly: boolean;
  phases: number;
  runtime: 'crun' | 'runc' | undefined;
  image: string;
  memory: number;
  profileDir: string | undefined;
  agentEntry: string | undefined;
  agentNodeOptions: string | undefined;
  output: 'table' | 'json';
}

/** A command line the benchmark cannot run with, or a host it cannot run on. */
class UsageError extends Error {}

function options(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      tasks: { type: 'string', default: '100' }, 'poll-ms': { type: 'string', default: '10' },
      seconds: { type: 'string', default: '10' }, 'max-in-flight': { type: 'string', default: '40' },
      modes: { type: 'string', default: 'bridge,awsvpc' }, 'no-standalone': { type: 'boolean', default: false },
      'standalone-only': { type: 'boolean', default: false },
      phases: { type: 'string', default: '20' }, runtime: { type: 'string' }, image: { type: 'string', default: 'berth/sleep' },
      memory: { type: 'string', default: '32' }, output: { type: 'string', default: 'table' },
      profile: { type: 'string' }, 'agent-entry': { type: 'string' }, 'agent-node-options': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    process.exit(0);
  }
  const whole = (name: string, v: string, min = 1) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new UsageError(`--${name} must be a whole number from ${min}; it was '${v}'.`);
    return n;
  };
  const modes = values.modes.split(',').map((m) => m.trim()).filter(Boolean);
  for (const m of modes) if (m !== 'bridge' && m !== 'awsvpc') throw new UsageError(`--modes: '${m}' is not bridge or awsvpc.`);
  if (values.runtime !== undefined && values.runtime !== 'crun' && values.runtime !== 'runc') throw new UsageError(`--runtime must be crun or runc; it was '${values.runtime}'.`);
  if (values['standalone-only'] && values['no-standalone']) throw new UsageError('--standalone-only and --no-standalone exclude each other.');
  if (values.output !== 'table' && values.output !== 'json') throw new UsageError(`--output must be table or json; it was '${values.output}'.`);
  return {
    tasks: whole('tasks', values.tasks), pollMs: whole('poll-ms', values['poll-ms']), seconds: whole('seconds', values.seconds),
    maxInFlight: whole('max-in-flight', values['max-in-flight']), modes: modes as ('bridge' | 'awsvpc')[],
    standalone: !values['no-standalone'], standaloneOnly: values['standalone-only'], phases: whole('phases', values.phases, 0), runtime: values.runtime,
    image: values.image, memory: whole('memory', values.memory, 6), output: values.output,
    profileDir: values.profile === undefined ? undefined : resolve(values.profile),
    agentEntry: values['agent-entry'] === undefined ? undefined : resolve(values['agent-entry']),
    agentNodeOptions: values['agent-node-options'],
  };
}


/** The runtime state dir of a task's running container (its config.json names the mounted rootfs). */
function taskContainerDirs(agentDataDir: string, taskArn: string): { stateDir: string } {
  const id = taskArn.slice(taskArn.lastIndexOf('/') + 1);
  return { stateDir: join(agentDataDir, 'tasks', id, 'containers', 'sleep') };
}

interface RawSamples { crunRun: number[]; runcRun: number[]; crunCreateStart: number[]; runcCreateStart: number[] }

async function main(): Promise<number> {
  const o = options(process.argv.slice(2));
  if (process.getuid?.() !== 0) throw new UsageError('run it as root: the agent runs containers and makes network namespaces.');
  const others = otherAgents();
  if (others.length) throw new UsageError(`another Berth agent runs on this host (one per host: it owns the bridges and the nft table); stop it first:\n  ${others.join('\n  ')}`);
  const cores = availableParallelism();
  const background = await backgroundCores();
  if (background > BUSY_CORES) say(`warning: before starting, other processes used ${background.toFixed(2)} of ${cores} cores; figures will be slow and noisy`);
  const work = tempDir('berth-task-start-');
  takeOverSignals();
  if (berthBridgesPresent().length) {
    say(`removing an earlier agent's leftovers (${berthBridgesPresent().join(', ')}; no agent runs)`);
    await cleanupAgentHost(join(work, 'leftovers'));
  }
  if (o.standaloneOnly) return standaloneOnly(work, o, cores, background);

  // 1. Berth with its agent, images, warm-up.
  const berth = await startBerth(work, 'embedded', o, false);
  const client = await setUpBerth(berth, o);
  cleanup.add('closing the API client', async () => client.close());
  const agentData = join(berth.dataDir, 'agent');
  say(`warm-up: ${WARMUP_TASKS} bridge tasks and 1 awsvpc task (the first pulls ${o.image})`);
  const warm = [await oneTask(client, 'bridge', 50, FIRST_TASK_TIMEOUT_MS)];
  for (let i = 1; i < WARMUP_TASKS; i++) warm.push(await oneTask(client, 'bridge', o.pollMs, TASK_TIMEOUT_MS));
  warm.push(await oneTask(client, 'awsvpc', o.pollMs, TASK_TIMEOUT_MS));

  // The baseline's bundle: the spec Berth wrote for the first task's container, on a copy of its rootfs.
  const berthRuntime = await findRuntime({ runDir: AGENT_RUN_DIR, ...(o.runtime && { prefer: o.runtime }) });
  const runcBinary = findExecutable('runc');
  const crunBinary = findExecutable('crun');
  const crunRuntime = berthRuntime.name === 'crun' ? berthRuntime : crunBinary ? await findRuntime({ runDir: AGENT_RUN_DIR, prefer: 'crun' }) : undefined;
  const raws: RawRuntime[] = [];
  if (crunRuntime) raws.push({ name: 'crun', createCommand: crunRuntime.createCommand, binary: crunRuntime.binary, root: join(work, 'raw-root', 'crun') });
  if (runcBinary) raws.push({ name: 'runc', createCommand: [runcBinary], binary: runcBinary, root: join(work, 'raw-root', 'runc') });
  // Beside it, for comparison only: crun run the way Berth's agent runs it here (its read-only
  // binary, its long-lived create namespace; src/runtime/container/), when the agent made them.
  const nsenter = findExecutable('nsenter');
  const agentWay: RawRuntime | undefined = berthRuntime.name === 'crun' && nsenter && existsSync(AGENT_CREATE_NS) && existsSync(AGENT_CRUN)
    ? { name: 'crun', createCommand: [nsenter, `--mount=${AGENT_CREATE_NS}`, AGENT_CRUN], binary: AGENT_CRUN, root: join(work, 'raw-root', 'crun-agent-way') }
    : undefined;
  const netns = `berthbench-raw-${process.pid}`;
  execFileSync('ip', ['netns', 'add', netns]);
  cleanup.add('raw baseline', async () => {
    await cleanupRaw(agentWay ? [...raws, agentWay] : raws);
    await run('ip', ['netns', 'delete', netns]).catch(() => undefined);
  });
  const dirs = taskContainerDirs(agentData, warm[0]!.arn);
  const raw = prepareRawBundle({ fromStateDir: dirs.stateDir, dir: join(work, 'raw'), netnsPath: `/run/netns/${netns}`, cgroupLeaf: 'c' });
  const memoryLimit = (JSON.parse(readFileSync(join(dirs.stateDir, 'config.json'), 'utf8')) as { linux?: { resources?: { memory?: { limit?: number } } } }).linux?.resources?.memory?.limit;
  say(`baseline bundle: Berth's config.json of ${warm[0]!.arn.slice(-32)} (memory limit ${memoryLimit === undefined ? 'none' : `${memoryLimit / 1024 / 1024} MiB`}), command ${raw.command.join(' ')}, runtimes ${raws.map((r) => `${r.name} via ${r.createCommand.join(' ')}`).join(', ')}`);
  await stopTasks(client, CLUSTER, warm.map((w) => w.arn), STOP_ALL_TIMEOUT_MS);
  // One untimed round of each raw command, so their binaries are in the page cache too.
  for (const rt of raws) {
    await rawRun(rt, raw.bundle, `bbraw-${rt.name}-warm`);
    await rawCreateStart(rt, raw.bundle, `bbraw-${rt.name}-warmcs`);
  }

  // 2. RSS at rest, then the latency run (tasks kept running), then RSS with them.
  const rssIdle = await settledResidentKiB(berth.agentPid);
  const idleCpu0 = await coreShare(berth.agentPid, IDLE_CPU_MS);
  say(`berth up RSS with 0 tasks: ${(rssIdle.rss / MIB).toFixed(1)} MiB`);
  say(`latency: ${o.tasks} tasks, one at a time (DescribeTasks every ${o.pollMs} ms), each followed by the raw runtime runs`);
  const client_: number[] = [];
  const server: number[] = [];
  const runTaskMs: number[] = [];
  const toPull: number[] = [];
  const pull: number[] = [];
  const toRunning: number[] = [];
  const rawSamples: RawSamples = { crunRun: [], runcRun: [], crunCreateStart: [], runcCreateStart: [] };
  const agentWaySamples: number[] = [];
  const latencyArns: string[] = [];
  for (let i = 0; i < o.tasks; i++) {
    checkInterrupted();
    const r = await oneTask(client, 'bridge', o.pollMs, TASK_TIMEOUT_MS);
    latencyArns.push(r.arn);
    client_.push(r.clientMs);
    runTaskMs.push(r.runTaskMs);
    server.push(msBetween(r.task.createdAt, r.task.startedAt));
    toPull.push(msBetween(r.task.createdAt, r.task.pullStartedAt));
    pull.push(msBetween(r.task.pullStartedAt, r.task.pullStoppedAt));
    toRunning.push(msBetween(r.task.pullStoppedAt, r.task.startedAt));
    for (const rt of raws) {
      rawSamples[`${rt.name}Run`].push(await rawRun(rt, raw.bundle, `bbraw-${rt.name}-r${i}`));
      rawSamples[`${rt.name}CreateStart`].push(await rawCreateStart(rt, raw.bundle, `bbraw-${rt.name}-c${i}`));
    }
    if (agentWay) agentWaySamples.push(await rawRun(agentWay, raw.bundle, `bbraw-agentway-r${i}`));
    if ((i + 1) % 20 === 0) say(`  ${i + 1}/${o.tasks}: Berth p50 ${summarize(server).p50.toFixed(1)} ms, raw ${berthRuntime.name} run p50 ${summarize(rawSamples[`${berthRuntime.name}Run`]).p50.toFixed(1)} ms`);
  }
  const rssLoaded = await settledResidentKiB(berth.agentPid);
  const idleCpuLoaded = await coreShare(berth.agentPid, IDLE_CPU_MS);
  say(`berth up CPU at rest: ${(idleCpu0 * 100).toFixed(1)}% of a core with 0 tasks, ${(idleCpuLoaded * 100).toFixed(1)}% with ${o.tasks} running tasks`);
  say(`berth up RSS with ${o.tasks} running tasks: ${(rssLoaded.rss / MIB).toFixed(1)} MiB`);
  say(`stopping the ${o.tasks} tasks`);
  const stopStart = performance.now();
  await stopTasks(client, CLUSTER, latencyArns, STOP_ALL_TIMEOUT_MS);
  const stopLatencySeconds = (performance.now() - stopStart) / 1000;

  // The runtime's own starts/s, with Berth idle (no task running).
  const rawRates: Record<string, number> = {};
  for (const rt of raws) {
    checkInterrupted();
    const lanes = Array.from({ length: RAW_RATE_CONCURRENCY }, (_, i) => cloneBundle(raw.bundle, join(work, 'raw', `lane${i}`), `p${i}`));
    rawRates[rt.name] = await rawRunRate(rt, lanes, RAW_RATE_SECONDS);
    say(`raw ${rt.name} run, ${RAW_RATE_CONCURRENCY} in flight: ${rawRates[rt.name]!.toFixed(1)} containers/s`);
  }

  // 3. Throughput.
  const rates: Throughput[] = [];
  for (const mode of o.modes) {
    checkInterrupted();
    say(`throughput, ${mode}: RunTask count ${RUN_TASK_MAX_COUNT} for ${o.seconds} s, at most ${o.maxInFlight} tasks not yet RUNNING`);
    const t = await throughput(client, mode, { seconds: o.seconds, maxInFlight: o.maxInFlight, check: checkInterrupted, log: say }, berth.agentPid);
    say(`  ${mode}: ${t.sustained.toFixed(1)} starts/s sustained (${t.running} of ${t.issued} RUNNING, ${t.overall.toFixed(1)}/s overall); stopped in ${t.stopSeconds.toFixed(1)} s`);
    rates.push(t);
  }
  const rssAfter = await settledResidentKiB(berth.agentPid);
  client.close();
  await stopEverything(berth);
  await stopGracefully(berth.service.child);
  await cleanupAgentHost(agentData);
  let profileReport: string | undefined;
  if (o.profileDir) {
    const dir = o.profileDir;
    const file = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).map((f) => join(dir, f)).sort((a, b) => statSync(b).size - statSync(a).size)[0];
    const started = WARMUP_TASKS + 1 + o.tasks + rates.reduce((n, r) => n + r.running, 0);
    if (file) profileReport = `${file} (the whole embedded run: ${started} tasks started and stopped; µs/req below = µs per task)\n${formatSummary(summarizeProfile(file), started)}`;
  }

  // 4. The agent alone: berth up --no-agent + berth agent --join.
  let standalone: StandaloneRss | undefined;
  if (o.standalone) {
    checkInterrupted();
    standalone = await measureStandaloneAgent(work, o, o.tasks);
  }

  // 5. Where an agent's start time goes, with nothing else running.
  let phases: PhaseReport | undefined;
  if (o.phases > 0) {
    checkInterrupted();
    say(`breakdown: ${o.phases} task starts through the agent's own modules, timed piece by piece`);
    phases = await measurePhases({
      agentDataDir: agentData, berthRegistry: `127.0.0.1:${berth.port}`, image: o.image, memoryMiB: o.memory,
      workDir: join(work, 'phases'), runs: o.phases, networkMode: 'bridge',
    });
  }

  // Report.
  const s = summarize(server);
  const c = summarize(client_);
  const base = summarize(rawSamples[`${berthRuntime.name}Run`]);
  const baseCs = summarize(rawSamples[`${berthRuntime.name}CreateStart`]);
  const rows: FigureRow[] = [
    {
      figure: `RunTask → RUNNING p50, bridge (record: createdAt → startedAt)`, berth: ms(s.p50), baseline: `${ms(base.p50)} ${berthRuntime.name} run`,
      ratio: s.p50 / base.p50, target: `≤ ${LATENCY_RATIO_TARGET}× raw run`, pass: s.p50 <= LATENCY_RATIO_TARGET * base.p50,
      values: { berthMs: s, rawRunMs: base }, note: `${s.n} tasks one at a time, image cached; ${berthRuntime.name} ${berthRuntime.version}`,
    },
    {
      figure: 'RunTask → RUNNING p95, bridge (record)', berth: ms(s.p95), baseline: `${ms(base.p95)} ${berthRuntime.name} run`,
      ratio: s.p95 / base.p95, target: '-', pass: undefined, values: { berthMs: s, rawRunMs: base },
    },
    {
      figure: `RunTask sent → DescribeTasks RUNNING p50/p95 (${o.pollMs} ms polls)`, berth: `${msPair(c)} ms`, baseline: `${msPair(base)} ms`,
      ratio: c.p50 / base.p50, target: '-', pass: undefined, values: { clientMs: c, runTaskCallMs: summarize(runTaskMs) },
      note: `what a client sees; the RunTask call itself took p50/p95 ${msPair(summarize(runTaskMs))} ms`,
    },
    {
      figure: `same p50 against raw ${berthRuntime.name} create+start`, berth: ms(s.p50), baseline: ms(baseCs.p50), ratio: s.p50 / baseCs.p50,
      target: '-', pass: undefined, values: { rawCreateStartMs: baseCs },
    },
  ];
  if (agentWaySamples.length > 0) {
    const a = summarize(agentWaySamples);
    rows.push({
      figure: 'raw crun run as the agent runs crun (read-only binary, its create namespace)', berth: ms(s.p50), baseline: `${msPair(a)} ms`, ratio: s.p50 / a.p50,
      target: '-', pass: undefined, values: { agentWayRunMs: a },
      note: 'not the target\'s baseline (that is crun as installed, run as a person would on this host); shown for what Berth\'s own wrapping of crun is worth',
    });
  }
  for (const rt of raws) {
    if (rt.name === berthRuntime.name) continue;
    const r = summarize(rawSamples[`${rt.name}Run`]);
    const rc = summarize(rawSamples[`${rt.name}CreateStart`]);
    rows.push({
      figure: `raw ${rt.name} run / create+start p50/p95 (for comparison)`, berth: '-', baseline: `${msPair(r)} / ${msPair(rc)} ms`, ratio: s.p50 / r.p50,
      target: '-', pass: undefined, values: { rawRunMs: r, rawCreateStartMs: rc },
    });
  }
  for (const t of rates) {
    rows.push({
      figure: `task starts/s sustained, ${t.mode}`, berth: `${t.sustained.toFixed(1)}/s`, baseline: `${(rawRates[berthRuntime.name] ?? NaN).toFixed(1)}/s raw ${berthRuntime.name} run ×${RAW_RATE_CONCURRENCY}`,
      ratio: t.sustained / (rawRates[berthRuntime.name] ?? NaN), target: `≥ ${STARTS_PER_SECOND_TARGET}/s`, pass: t.sustained >= STARTS_PER_SECOND_TARGET && t.failed === 0,
      values: { ...t },
      note: `${t.running}/${t.issued} RUNNING (${t.failed} failed, ${t.placementFailures} placement failures), startedAt counted over ${t.windowSeconds.toFixed(0)} s after the ramp-up; ${t.overall.toFixed(1)}/s overall; all stopped in ${t.stopSeconds.toFixed(1)} s; CPU per start: berth up ${t.cpuPerTaskMs.selfMs.toFixed(1)} ms + its tools ${t.cpuPerTaskMs.childrenMs.toFixed(1)} ms + rest of the machine ${t.cpuPerTaskMs.restMs.toFixed(1)} ms (of which this benchmark's client ${t.cpuPerTaskMs.benchClientMs.toFixed(1)} ms) = ${t.cpuPerTaskMs.machineMs.toFixed(1)} ms; ${t.pidsPerTask.toFixed(1)} processes/threads created per start`,
    });
  }
  const mib = (k: number) => `${(k / MIB).toFixed(1)} MiB`;
  if (standalone) rows.push(standaloneRow(standalone));
  rows.push({
    figure: `berth up CPU at rest, ${o.tasks} running tasks`, berth: `${(idleCpuLoaded * 100).toFixed(1)}% of a core`, baseline: `${(idleCpu0 * 100).toFixed(1)}% at 0 tasks`,
    ratio: undefined, target: '-', pass: undefined, values: { idle0: idleCpu0, idleLoaded: idleCpuLoaded },
    note: `over ${IDLE_CPU_MS / 1000} s with no API calls: the cost of watching running containers`,
  });
  rows.push({
    figure: `berth up RSS (control plane + agent), ${o.tasks} running tasks`, berth: mib(rssLoaded.rss), baseline: `${mib(rssIdle.rss)} at 0 tasks`,
    // The target is the agent's: the standalone row judges it. berth up holds the control plane too.
    ratio: undefined, target: '-', pass: undefined,
    values: { freshKiB: berth.freshRss, idle: rssIdle, loaded: rssLoaded, afterThroughput: rssAfter },
    note: `${standalone ? '' : `the ${AGENT_RSS_TARGET_MIB} MB target is the agent's, measured alone without --no-standalone; `}${mib(berth.freshRss ?? NaN)} once its agent connected; ${mib(rssIdle.rss)} after the warm-up tasks; +${mib(rssLoaded.rss - rssIdle.rss)} for ${o.tasks} tasks; ${mib(rssAfter.rss)} after the throughput runs, all stopped (peak ${mib(rssAfter.peak)})`,
  });

  const breakdown = {
    recordMs: { createdToPullStarted: summarize(toPull), pull: summarize(pull), pullStoppedToStarted: summarize(toRunning) },
    stopLatencyTasksSeconds: stopLatencySeconds,
    ...(phases && { agentPhasesMs: phases }),
    ...(profileReport && { profile: profileReport }),
  };
  const meta = {
    benchmark: 'task-start', date: new Date().toISOString(), node: process.version, cores, backgroundCores: background,
    runtime: `${berthRuntime.name} ${berthRuntime.version}`, createCommand: berthRuntime.createCommand.join(' '), image: o.image, memoryMiB: o.memory,
    tasks: o.tasks, pollMs: o.pollMs, seconds: o.seconds, maxInFlight: o.maxInFlight, rawCommand: raw.command, breakdown,
  };
  if (o.output === 'json') {
    process.stdout.write(`${figuresJson(rows, meta)}\n`);
  } else {
    process.stdout.write(`\nTask starts, Berth vs the bare runtime (${process.version}, ${cores} cores, ${berthRuntime.name} ${berthRuntime.version}, image ${o.image}, memory ${o.memory} MiB)\n`);
    if (background > BUSY_CORES) process.stdout.write(`WARNING: other processes were using ${background.toFixed(2)} cores when the run started: figures are slow and noisy.\n`);
    process.stdout.write(`\n${figuresTable(rows)}\n\n${formatBreakdown(breakdown.recordMs, phases)}\n`);
    if (profileReport) process.stdout.write(`\nberth up CPU profile: ${profileReport}\n`);
  }
  return rows.every((r) => r.pass !== false) ? 0 : 1;
}

/** --standalone-only: the agent's memory figure alone, reported like the whole run. */
async function standaloneOnly(work: string, o: Options, cores: number, background: number): Promise<number> {
  const row = standaloneRow(await measureStandaloneAgent(work, o, o.tasks));
  const meta = { benchmark: 'task-start', only: 'standalone', date: new Date().toISOString(), node: process.version, cores, backgroundCores: background, tasks: o.tasks, image: o.image, memoryMiB: o.memory };
  if (o.output === 'json') process.stdout.write(`${figuresJson([row], meta)}\n`);
  else {
    if (background > BUSY_CORES) process.stdout.write(`WARNING: other processes were using ${background.toFixed(2)} cores when the run started: figures are slow and noisy.\n`);
    process.stdout.write(`\n${figuresTable([row])}\n`);
  }
  return row.pass ? 0 : 1;
}

function ms(n: number): string {
  return `${n.toFixed(1)} ms`;
}

function formatBreakdown(record: { createdToPullStarted: Summary; pull: Summary; pullStoppedToStarted: Summary }, phases: PhaseReport | undefined): string {
  const out = [
    'Where the time goes, from the task records (p50/p95 ms; the agent runs in berth up):',
    `  createdAt → pullStartedAt   ${msPair(record.createdToPullStarted).padStart(12)}   RunTask placement + store commit, watch → session → agent, persist, network setup`,
    `  pullStartedAt → pullStoppedAt ${msPair(record.pull).padStart(10)}   image lookup (cached)`,
    `  pullStoppedAt → startedAt   ${msPair(record.pullStoppedToStarted).padStart(12)}   mount, bundle, conmon create, start, RUNNING report → store commit`,
  ];
  if (phases) {
    out.push(`The agent's pieces alone (${phases.runs} starts, one at a time, nothing else running; ${phases.runtime}), p50/p95 ms:`);
    for (const p of START_PHASES) out.push(`  ${p.padEnd(18)} ${msPair(phases.phases[p]).padStart(12)}`);
    out.push(`  ${'= start'.padEnd(18)} ${msPair(phases.start).padStart(12)}`);
    for (const p of STOP_PHASES) out.push(`  ${p.padEnd(18)} ${msPair(phases.phases[p]).padStart(12)}   (stop side)`);
  }
  return out.join('\n');
}

main().then(async (code) => {
  await cleanup.run();
  cleanupNow();
  process.exitCode = code;
}, async (err: unknown) => {
  const usage = err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
  // After Ctrl-C the clean-up closes the API client under the run: its error says nothing.
  if (!isInterrupted()) process.stderr.write(`task-start: ${err instanceof Error ? (usage ? `${err.message}${err instanceof UsageError ? '' : ' (see --help)'}` : err.stack ?? err.message) : String(err)}\n`);
  await cleanup.run();
  cleanupNow();
  process.exitCode = 2;
});

