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
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { findRuntime } from '../src/runtime/container/index.ts';
import { findExecutable } from '../src/runtime/container/oci-runtime.ts';
import { berthBridgesPresent, cleanupAgentHost, otherAgents, settledResidentKiB } from './lib/agent-host.ts';
import { ecsClient, type EcsClient } from './lib/aws-json.ts';
import {
  describeTasks, listTasks, runTask, RUN_TASK_MAX_COUNT, stopTasks, waitForStatus, whyStopped, type Task,
} from './lib/ecs-tasks.ts';
import { figuresJson, figuresTable, type FigureRow } from './lib/figures-table.ts';
import { msPair, summarize, type Summary } from './lib/latency-stats.ts';
import { backgroundCores } from './lib/machine.ts';
import { cleanupNow, freePort, run, spawnTracked, stopGracefully, tempDir, waitReady, type Service } from './lib/processes.ts';
import { cleanupRaw, prepareRawBundle, rawCreateStart, rawRun, type RawRuntime } from './lib/raw-runtime.ts';
import { measurePhases, START_PHASES, STOP_PHASES, type PhaseReport } from './lib/task-phases.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Issue 4's targets. */
const LATENCY_RATIO_TARGET = 3;
const STARTS_PER_SECOND_TARGET = 40;
const AGENT_RSS_TARGET_MIB = 80;
/** Background CPU (in cores) above which the figures are flagged as taken on a busy machine. */
const BUSY_CORES = 0.2;
const CLUSTER = 'default';
/** Where startAgent keeps the runtime's state and the crun wrapper (src/agent/agent.ts RUN_DIR). */
const AGENT_RUN_DIR = '/run/berth';
/** A first task pulls the image (unpacking layers): far slower than any measured start. */
const FIRST_TASK_TIMEOUT_MS = 180_000;
/** One measured task may take this long to run; a start slower than this is a failure, not a figure. */
const TASK_TIMEOUT_MS = 60_000;
/** Stopping hundreds of tasks (stopTimeout 0: SIGKILL at once) takes seconds; this bounds a wedged stop. */
const STOP_ALL_TIMEOUT_MS = 180_000;
/** How often the throughput run asks which tasks have reached RUNNING. */
const THROUGHPUT_POLL_MS = 100;
/** Tasks started (unmeasured) before the latency run, so that Node's JIT and the caches are warm. */
const WARMUP_TASKS = 3;
/** The throughput run stops issuing once this many tasks exist (memory reservations add up). */
const THROUGHPUT_MAX_TASKS = 600;
const MIB = 1024;

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
  --phases N           runs of the per-phase breakdown (default 20; 0 to skip)
  --runtime crun|runc  the runtime Berth uses (BERTH_RUNTIME; default: Berth's choice, crun)
  --image REF          the task image (default berth/sleep)
  --memory MIB         the container's memory limit, Berth's and the baseline's (default 32)
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
  phases: number;
  runtime: 'crun' | 'runc' | undefined;
  image: string;
  memory: number;
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
      phases: { type: 'string', default: '20' }, runtime: { type: 'string' }, image: { type: 'string', default: 'berth/sleep' },
      memory: { type: 'string', default: '32' }, output: { type: 'string', default: 'table' },
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
  if (values.output !== 'table' && values.output !== 'json') throw new UsageError(`--output must be table or json; it was '${values.output}'.`);
  return {
    tasks: whole('tasks', values.tasks), pollMs: whole('poll-ms', values['poll-ms']), seconds: whole('seconds', values.seconds),
    maxInFlight: whole('max-in-flight', values['max-in-flight']), modes: modes as ('bridge' | 'awsvpc')[],
    standalone: !values['no-standalone'], phases: whole('phases', values.phases, 0), runtime: values.runtime,
    image: values.image, memory: whole('memory', values.memory, 6), output: values.output,
  };
}

const say = (line: string) => process.stderr.write(`task-start: ${line}\n`);

/**
 * Clean-up steps, run last-added first, each on its own (one failing does not skip the
 * others), once: at the end, on an error, or on Ctrl-C.
 */
class Cleanup {
  readonly #steps: { name: string; fn: () => Promise<unknown> }[] = [];
  #ran: Promise<void> | undefined;

  add(name: string, fn: () => Promise<unknown>): void {
    this.#steps.push({ name, fn });
  }

  run(): Promise<void> {
    this.#ran ??= (async () => {
      for (const s of [...this.#steps].reverse()) {
        try {
          await s.fn();
        } catch (e) {
          say(`clean-up: ${s.name}: ${(e as Error).message}`);
        }
      }
    })();
    return this.#ran;
  }
}

const cleanup = new Cleanup();
let interrupted = false;

/**
 * Ctrl-C: processes.ts's own handler kills children and exits at once, which would leave
 * tasks, namespaces and bridges behind. Replace it with one that stops the tasks and
 * cleans the host first; a second Ctrl-C kills at once.
 */
function takeOverSignals(): void {
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.removeAllListeners(signal);
    process.once(signal, () => {
      interrupted = true;
      say(`${signal}: stopping tasks and cleaning up the host (again to quit at once)`);
      process.once(signal, () => { cleanupNow(); process.exit(130); });
      void cleanup.run().finally(() => { cleanupNow(); process.exit(130); });
    });
  }
}

function checkInterrupted(): void {
  if (interrupted) throw new Error('interrupted');
}

interface Berth {
  service: Service;
  url: string;
  port: number;
  dataDir: string;
  /** The process whose RSS is the agent's: berth up itself, or the standalone berth agent. */
  agentPid: number;
  agent?: Service;
}

async function startBerth(work: string, name: string, o: Options, standalone: boolean): Promise<Berth> {
  const port = await freePort();
  const dataDir = join(work, name);
  const env = { ...process.env, ...(o.runtime && { BERTH_RUNTIME: o.runtime }) };
  const args = ['up', '--port', String(port), '--data-dir', dataDir, ...(standalone ? ['--no-agent'] : [])];
  say(`starting Berth: bin/berth ${args.join(' ')}`);
  const service = spawnTracked(join(ROOT, 'bin/berth'), args, { env });
  const url = `http://127.0.0.1:${port}`;
  await waitReady(service, `${url}/_berth/health`, 'berth up');
  const berth: Berth = { service, url, port, dataDir, agentPid: service.child.pid! };
  // Stop tasks through the API while Berth is up; then Berth; then what the agent left.
  cleanup.add(`host clean-up after ${name}`, async () => {
    const r = await cleanupAgentHost(join(dataDir, 'agent'));
    if (r.containers || r.mounts) say(`removed ${r.containers} container(s) and ${r.mounts} mount(s) left by ${name}`);
  });
  cleanup.add(`stopping ${name}`, () => stopGracefully(service.child));
  if (standalone) {
    const agentArgs = ['agent', '--join', url, '--cluster', CLUSTER, '--data-dir', join(dataDir, 'agent')];
    say(`starting the agent: bin/berth ${agentArgs.join(' ')}`);
    const agent = spawnTracked(join(ROOT, 'bin/berth'), agentArgs, { env });
    cleanup.add(`stopping ${name}'s agent`, () => stopGracefully(agent.child));
    berth.agent = agent;
    berth.agentPid = agent.child.pid!;
  }
  cleanup.add(`stopping ${name}'s tasks`, () => stopEverything(berth));
  await waitForInstance(berth);
  return berth;
}

/** Until the cluster has a connected container instance (the agent registered and dialled in). */
async function waitForInstance(b: Berth): Promise<void> {
  const client = ecsClient(b.url);
  const deadline = Date.now() + 60_000;
  try {
    for (;;) {
      const proc = b.agent ?? b.service;
      if (proc.child.exitCode !== null) throw new Error(`the agent exited:\n${proc.stderrTail()}`);
      const list = await client.call<{ containerInstanceArns?: string[] }>('ListContainerInstances', { cluster: CLUSTER });
      const arns = list.body.containerInstanceArns ?? [];
      if (arns.length) {
        const d = await client.ok<{ containerInstances: { agentConnected: boolean }[] }>('DescribeContainerInstances', { cluster: CLUSTER, containerInstances: arns });
        if (d.containerInstances.some((c) => c.agentConnected)) return;
      }
      if (Date.now() > deadline) throw new Error(`no agent connected within 60 s:\n${proc.stderrTail()}`);
      await sleep(100);
    }
  } finally {
    client.close();
  }
}

async function stopEverything(b: Berth): Promise<void> {
  if (b.service.child.exitCode !== null || b.service.child.signalCode !== null) return;
  const client = ecsClient(b.url);
  try {
    const arns = await listTasks(client, CLUSTER, 'RUNNING');
    if (arns.length) {
      say(`stopping ${arns.length} task(s) through the API`);
      await stopTasks(client, CLUSTER, arns, STOP_ALL_TIMEOUT_MS);
    }
  } finally {
    client.close();
  }
}

async function setUpBerth(b: Berth, o: Options): Promise<EcsClient> {
  say('pushing the sample images (bin/berth image samples)');
  await run(join(ROOT, 'bin/berth'), ['image', 'samples', '--endpoint', b.url]);
  const client = ecsClient(b.url);
  const container = { name: 'sleep', image: o.image, memory: o.memory, essential: true, stopTimeout: 0 };
  for (const mode of ['bridge', 'awsvpc'] as const) {
    await client.ok('RegisterTaskDefinition', { family: `bench-${mode}`, networkMode: mode, containerDefinitions: [container] });
  }
  return client;
}

function runInput(mode: 'bridge' | 'awsvpc', count: number): Record<string, unknown> {
  return {
    cluster: CLUSTER, taskDefinition: `bench-${mode}`, count,
    ...(mode === 'awsvpc' && { networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-berth'] } } }),
  };
}

/** Runs one task and polls until it is RUNNING; what the client saw and what the record says. */
async function oneTask(client: EcsClient, mode: 'bridge' | 'awsvpc', pollMs: number, timeoutMs: number) {
  const t0 = performance.now();
  const out = await runTask(client, runInput(mode, 1));
  const t1 = performance.now();
  const arn = out.tasks[0]?.taskArn;
  if (!arn) throw new Error(`RunTask placed no task: ${JSON.stringify(out.failures)}`);
  const deadline = t0 + timeoutMs;
  for (;;) {
    const [t] = await describeTasks(client, CLUSTER, [arn]);
    if (t?.lastStatus === 'RUNNING') return { arn, task: t, clientMs: performance.now() - t0, runTaskMs: t1 - t0 };
    if (t?.lastStatus === 'STOPPED') throw new Error(`task ${arn} stopped instead of running: ${whyStopped(t)}`);
    if (performance.now() > deadline) throw new Error(`task ${arn} was not RUNNING within ${timeoutMs} ms (it is ${t?.lastStatus})`);
    await sleep(pollMs);
  }
}

const seconds = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined ? NaN : (b - a) * 1000);

interface Throughput {
  mode: 'bridge' | 'awsvpc';
  issued: number;
  running: number;
  failed: number;
  placementFailures: number;
  /** Tasks whose startedAt fell in the steady window, per second. */
  sustained: number;
  /** All that reached RUNNING ÷ (last startedAt − first createdAt). */
  overall: number;
  windowSeconds: number;
  stopSeconds: number;
}

/**
 * RunTask (count 10) in a loop for `o.seconds`, keeping at most `o.maxInFlight` tasks not
 * yet RUNNING; then waits for the rest and stops them all. The rate counts startedAt
 * (the record's own clock) in the window after the first second or two (the ramp-up).
 */
async function throughput(client: EcsClient, mode: 'bridge' | 'awsvpc', o: Options): Promise<Throughput> {
  const arns: string[] = [];
  const waiting = new Set<string>();
  const done = new Map<string, Task>();
  let placementFailures = 0;
  let issuing = true;
  const poller = (async () => {
    while (issuing || waiting.size) {
      checkInterrupted();
      const ask = [...waiting];
      if (ask.length) {
        for (const t of await describeTasks(client, CLUSTER, ask)) {
          if (t.lastStatus === 'RUNNING' || t.lastStatus === 'STOPPED') {
            waiting.delete(t.taskArn);
            done.set(t.taskArn, t);
          }
        }
      }
      await sleep(THROUGHPUT_POLL_MS);
    }
  })();
  const deadline = performance.now() + o.seconds * 1000;
  try {
    while (performance.now() < deadline && arns.length < THROUGHPUT_MAX_TASKS) {
      checkInterrupted();
      if (waiting.size + RUN_TASK_MAX_COUNT > o.maxInFlight) {
        await sleep(5);
        continue;
      }
      const out = await runTask(client, runInput(mode, RUN_TASK_MAX_COUNT));
      placementFailures += out.failures.length;
      for (const t of out.tasks) {
        arns.push(t.taskArn);
        waiting.add(t.taskArn);
      }
      if (out.tasks.length === 0) await sleep(50);
    }
  } finally {
    issuing = false;
  }
  const waitDeadline = Date.now() + TASK_TIMEOUT_MS;
  while (waiting.size && Date.now() < waitDeadline) await sleep(50);
  await poller;
  const tasks = await describeTasks(client, CLUSTER, arns);
  const started = tasks.filter((t) => t.startedAt !== undefined);
  const failed = tasks.filter((t) => t.startedAt === undefined);
  if (failed.length) say(`${mode}: ${failed.length} task(s) did not start, e.g. ${failed[0]!.taskArn}: ${failed[0]!.lastStatus} ${whyStopped(failed[0]!)}`);
  const t0 = Math.min(...tasks.map((t) => t.createdAt ?? Infinity));
  const warm = Math.min(2, o.seconds / 5);
  const windowEnd = t0 + o.seconds;
  const inWindow = started.filter((t) => t.startedAt! >= t0 + warm && t.startedAt! <= windowEnd).length;
  const last = Math.max(...started.map((t) => t.startedAt!));
  say(`${mode}: stopping ${arns.length} tasks`);
  const stopStart = performance.now();
  await stopTasks(client, CLUSTER, arns, STOP_ALL_TIMEOUT_MS);
  const stopSeconds = (performance.now() - stopStart) / 1000;
  return {
    mode, issued: arns.length, running: started.length, failed: failed.length, placementFailures,
    sustained: inWindow / (o.seconds - warm), overall: started.length / (last - t0), windowSeconds: o.seconds - warm, stopSeconds,
  };
}

/** The directory of the running container of a task: its runtime state dir and its mounted rootfs. */
function taskContainerDirs(agentDataDir: string, taskArn: string): { stateDir: string; rootfs: string } {
  const id = taskArn.slice(taskArn.lastIndexOf('/') + 1);
  const dir = join(agentDataDir, 'tasks', id);
  return { stateDir: join(dir, 'containers', 'sleep'), rootfs: join(dir, 'rootfs', 'sleep', 'rootfs') };
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
  if (crunRuntime) raws.push({ name: 'crun', createBinary: crunRuntime.createBinary, binary: crunRuntime.binary, root: join(work, 'raw-root', 'crun') });
  if (runcBinary) raws.push({ name: 'runc', createBinary: runcBinary, binary: runcBinary, root: join(work, 'raw-root', 'runc') });
  const netns = `berthbench-raw-${process.pid}`;
  execFileSync('ip', ['netns', 'add', netns]);
  cleanup.add('raw baseline', async () => {
    await cleanupRaw(raws);
    await run('ip', ['netns', 'delete', netns]).catch(() => undefined);
  });
  const dirs = taskContainerDirs(agentData, warm[0]!.arn);
  const raw = prepareRawBundle({ fromStateDir: dirs.stateDir, fromRootfs: dirs.rootfs, dir: join(work, 'raw'), netnsPath: `/run/netns/${netns}`, cgroupLeaf: 'c' });
  const memoryLimit = (JSON.parse(readFileSync(join(dirs.stateDir, 'config.json'), 'utf8')) as { linux?: { resources?: { memory?: { limit?: number } } } }).linux?.resources?.memory?.limit;
  say(`baseline bundle: Berth's config.json of ${warm[0]!.arn.slice(-32)} (memory limit ${memoryLimit === undefined ? 'none' : `${memoryLimit / 1024 / 1024} MiB`}), command ${raw.command.join(' ')}, runtimes ${raws.map((r) => `${r.name} via ${r.createBinary}`).join(', ')}`);
  await stopTasks(client, CLUSTER, warm.map((w) => w.arn), STOP_ALL_TIMEOUT_MS);
  // One untimed round of each raw command, so their binaries are in the page cache too.
  for (const rt of raws) {
    await rawRun(rt, raw.bundle, `bbraw-${rt.name}-warm`);
    await rawCreateStart(rt, raw.bundle, `bbraw-${rt.name}-warmcs`);
  }

  // 2. RSS at rest, then the latency run (tasks kept running), then RSS with them.
  const rssIdle = await settledResidentKiB(berth.agentPid);
  say(`berth up RSS with 0 tasks: ${(rssIdle.rss / MIB).toFixed(1)} MiB`);
  say(`latency: ${o.tasks} tasks, one at a time (DescribeTasks every ${o.pollMs} ms), each followed by the raw runtime runs`);
  const client_: number[] = [];
  const server: number[] = [];
  const runTaskMs: number[] = [];
  const toPull: number[] = [];
  const pull: number[] = [];
  const toRunning: number[] = [];
  const rawSamples: RawSamples = { crunRun: [], runcRun: [], crunCreateStart: [], runcCreateStart: [] };
  const latencyArns: string[] = [];
  for (let i = 0; i < o.tasks; i++) {
    checkInterrupted();
    const r = await oneTask(client, 'bridge', o.pollMs, TASK_TIMEOUT_MS);
    latencyArns.push(r.arn);
    client_.push(r.clientMs);
    runTaskMs.push(r.runTaskMs);
    server.push(seconds(r.task.createdAt, r.task.startedAt));
    toPull.push(seconds(r.task.createdAt, r.task.pullStartedAt));
    pull.push(seconds(r.task.pullStartedAt, r.task.pullStoppedAt));
    toRunning.push(seconds(r.task.pullStoppedAt, r.task.startedAt));
    for (const rt of raws) {
      rawSamples[`${rt.name}Run`].push(await rawRun(rt, raw.bundle, `bbraw-${rt.name}-r${i}`));
      rawSamples[`${rt.name}CreateStart`].push(await rawCreateStart(rt, raw.bundle, `bbraw-${rt.name}-c${i}`));
    }
    if ((i + 1) % 20 === 0) say(`  ${i + 1}/${o.tasks}: Berth p50 ${summarize(server).p50.toFixed(1)} ms, raw ${berthRuntime.name} run p50 ${summarize(rawSamples[`${berthRuntime.name}Run`]).p50.toFixed(1)} ms`);
  }
  const rssLoaded = await settledResidentKiB(berth.agentPid);
  say(`berth up RSS with ${o.tasks} running tasks: ${(rssLoaded.rss / MIB).toFixed(1)} MiB`);
  say(`stopping the ${o.tasks} tasks`);
  const stopStart = performance.now();
  await stopTasks(client, CLUSTER, latencyArns, STOP_ALL_TIMEOUT_MS);
  const stopLatencySeconds = (performance.now() - stopStart) / 1000;

  // 3. Throughput.
  const rates: Throughput[] = [];
  for (const mode of o.modes) {
    checkInterrupted();
    say(`throughput, ${mode}: RunTask count ${RUN_TASK_MAX_COUNT} for ${o.seconds} s, at most ${o.maxInFlight} tasks not yet RUNNING`);
    const t = await throughput(client, mode, o);
    say(`  ${mode}: ${t.sustained.toFixed(1)} starts/s sustained (${t.running} of ${t.issued} RUNNING, ${t.overall.toFixed(1)}/s overall); stopped in ${t.stopSeconds.toFixed(1)} s`);
    rates.push(t);
  }
  const rssAfter = await settledResidentKiB(berth.agentPid);
  client.close();
  await stopEverything(berth);
  await stopGracefully(berth.service.child);
  await cleanupAgentHost(agentData);

  // 4. The agent alone: berth up --no-agent + berth agent --join.
  let standalone: { idle: number; loaded: number } | undefined;
  if (o.standalone) {
    checkInterrupted();
    const b2 = await startBerth(work, 'standalone', o, true);
    const c2 = await setUpBerth(b2, o);
    const w = await oneTask(c2, 'bridge', 50, FIRST_TASK_TIMEOUT_MS);
    await stopTasks(c2, CLUSTER, [w.arn], STOP_ALL_TIMEOUT_MS);
    const idle = await settledResidentKiB(b2.agentPid);
    say(`standalone agent RSS with 0 tasks: ${(idle.rss / MIB).toFixed(1)} MiB; starting ${o.tasks} tasks`);
    const arns: string[] = [];
    while (arns.length < o.tasks) {
      checkInterrupted();
      const out = await runTask(c2, runInput('bridge', Math.min(RUN_TASK_MAX_COUNT, o.tasks - arns.length)));
      arns.push(...out.tasks.map((t) => t.taskArn));
      if (out.failures.length) throw new Error(`RunTask failures: ${JSON.stringify(out.failures)}`);
      await waitForStatus(c2, CLUSTER, arns, 'RUNNING', TASK_TIMEOUT_MS, 100);
    }
    const stopped = (await describeTasks(c2, CLUSTER, arns)).filter((t) => t.lastStatus !== 'RUNNING');
    if (stopped.length) throw new Error(`${stopped.length} standalone tasks are not RUNNING: ${whyStopped(stopped[0]!)}`);
    const loaded = await settledResidentKiB(b2.agentPid);
    say(`standalone agent RSS with ${o.tasks} running tasks: ${(loaded.rss / MIB).toFixed(1)} MiB`);
    standalone = { idle: idle.rss, loaded: loaded.rss };
    await stopTasks(c2, CLUSTER, arns, STOP_ALL_TIMEOUT_MS);
    c2.close();
    await stopGracefully(b2.agent!.child);
    await stopGracefully(b2.service.child);
    await cleanupAgentHost(join(b2.dataDir, 'agent'));
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
      figure: `task starts/s sustained, ${t.mode}`, berth: `${t.sustained.toFixed(1)}/s`, baseline: `${(1000 / base.p50).toFixed(1)}/s ${berthRuntime.name} run, serial`,
      ratio: undefined, target: `≥ ${STARTS_PER_SECOND_TARGET}/s`, pass: t.sustained >= STARTS_PER_SECOND_TARGET && t.failed === 0,
      values: { ...t },
      note: `${t.running}/${t.issued} RUNNING (${t.failed} failed, ${t.placementFailures} placement failures), startedAt counted over ${t.windowSeconds.toFixed(0)} s after the ramp-up; ${t.overall.toFixed(1)}/s overall; all stopped in ${t.stopSeconds.toFixed(1)} s`,
    });
  }
  const mib = (k: number) => `${(k / MIB).toFixed(1)} MiB`;
  if (standalone) {
    rows.push({
      figure: `agent RSS, ${o.tasks} running tasks (standalone berth agent)`, berth: mib(standalone.loaded), baseline: `${mib(standalone.idle)} at 0 tasks`,
      ratio: undefined, target: `≤ ${AGENT_RSS_TARGET_MIB} MB`, pass: standalone.loaded <= AGENT_RSS_TARGET_MIB * MIB,
      values: { idleKiB: standalone.idle, loadedKiB: standalone.loaded, perTaskKiB: (standalone.loaded - standalone.idle) / o.tasks },
      note: `+${mib(standalone.loaded - standalone.idle)} for ${o.tasks} tasks (${((standalone.loaded - standalone.idle) / o.tasks).toFixed(0)} KiB each)`,
    });
  }
  rows.push({
    figure: `berth up RSS (control plane + agent), ${o.tasks} running tasks`, berth: mib(rssLoaded.rss), baseline: `${mib(rssIdle.rss)} at 0 tasks`,
    ratio: undefined, target: standalone ? '-' : `≤ ${AGENT_RSS_TARGET_MIB} MB`, pass: standalone ? undefined : rssLoaded.rss <= AGENT_RSS_TARGET_MIB * MIB,
    values: { idle: rssIdle, loaded: rssLoaded, afterThroughput: rssAfter },
    note: `+${mib(rssLoaded.rss - rssIdle.rss)} for ${o.tasks} tasks; ${mib(rssAfter.rss)} after the throughput runs, all stopped (peak ${mib(rssAfter.peak)})`,
  });

  const breakdown = {
    recordMs: { createdToPullStarted: summarize(toPull), pull: summarize(pull), pullStoppedToStarted: summarize(toRunning) },
    stopLatencyTasksSeconds: stopLatencySeconds,
    ...(phases && { agentPhasesMs: phases }),
  };
  const meta = {
    benchmark: 'task-start', date: new Date().toISOString(), node: process.version, cores, backgroundCores: background,
    runtime: `${berthRuntime.name} ${berthRuntime.version}`, createBinary: berthRuntime.createBinary, image: o.image, memoryMiB: o.memory,
    tasks: o.tasks, pollMs: o.pollMs, seconds: o.seconds, maxInFlight: o.maxInFlight, rawCommand: raw.command, breakdown,
  };
  if (o.output === 'json') {
    process.stdout.write(`${figuresJson(rows, meta)}\n`);
  } else {
    process.stdout.write(`\nTask starts, Berth vs the bare runtime (${process.version}, ${cores} cores, ${berthRuntime.name} ${berthRuntime.version}, image ${o.image}, memory ${o.memory} MiB)\n`);
    if (background > BUSY_CORES) process.stdout.write(`WARNING: other processes were using ${background.toFixed(2)} cores when the run started: figures are slow and noisy.\n`);
    process.stdout.write(`\n${figuresTable(rows)}\n\n${formatBreakdown(breakdown.recordMs, phases)}\n`);
  }
  return rows.every((r) => r.pass !== false) ? 0 : 1;
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
  process.stderr.write(`task-start: ${err instanceof Error ? (usage ? `${err.message}${err instanceof UsageError ? '' : ' (see --help)'}` : err.stack ?? err.message) : String(err)}\n`);
  await cleanup.run();
  cleanupNow();
  process.exitCode = 2;
});

