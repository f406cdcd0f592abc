/**
 * Services to steady state and rolling deployments (issue 14), each beside RunTask doing
 * the same work in the same run:
 *
 *   bin/bench services [--only simulated,real] ...   (--help for all)
 *
 * simulated: on simulated instances (bench/sim/, no containers), RunTask of --tasks tasks
 *   (--count 10, 32 calls in flight) until the simulated agent has reported all RUNNING (the
 *   baseline); then CreateService of --tasks to steady state (services-stable's condition;
 *   target < 5 s) and a forced rolling deployment under min 100% / max 200% to steady state
 *   (target < 10 s), its counts checked against those limits at every poll.
 * real: `berth up` with its agent, real containers (berth/web: busybox httpd, bridge, a
 *   dynamic host port, the image cached by a warm-up task): RunTask --count 10 × 5 until
 *   all 50 are RUNNING (the baseline), then CreateService of 50 to services-stable (target
 *   ≤ 1.3× the baseline). Touches the host: run it as
 *   `flock /tmp/berth-host.lock bin/bench services --only real`, as root.
 *
 * A build without services fails with one line naming what is missing.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { pool, ecsClient, type EcsClient } from './lib/aws-json.ts';
import { describeTasks, runTask, stopTasks, taskPhases, waitForStatus } from './lib/ecs-tasks.ts';
import { figuresJson, figuresTable, type FigureRow } from './lib/figures-table.ts';
import { backgroundCores } from './lib/machine.ts';
import { cleanupNow, freePort, run, spawnTracked, stopGracefully, tempDir, waitReady } from './lib/processes.ts';
import { createService, isStable, ServicesMissing, watchService } from './lib/service-waits.ts';
import { cleanup, startBerth as startBerthWithAgent, takeOverSignals } from './lib/task-start-berth.ts';
import { CLUSTER as DEFAULT_CLUSTER } from './lib/task-load.ts';
import { startSimulatedProcesses } from './sim/simulated-processes.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const STEADY_TARGET_S = 5;
const DEPLOY_TARGET_S = 10;
const REAL_RATIO_TARGET = 1.3;
/** RunTask calls in flight while starting the baseline's tasks. */
const RUN_CONCURRENCY = 32;
/** The longest any one wait may take before it is a failure rather than a figure. */
const WAIT_TIMEOUT_MS = 300_000;

const say = (line: string) => process.stderr.write(`services: ${line}\n`);
const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

const HELP = `Usage: bin/bench services [options]

  --only LIST        simulated,real (default simulated; real needs root, the host lock and
                     issue 14's services: flock /tmp/berth-host.lock bin/bench services --only real)
  --instances N      simulated instances (default 100; 4096 CPU / 16384 MiB each)
  --tasks N          the simulated service's desired count (default 1000)
  --real-tasks N     the real service's desired count, started by RunTask --count 10 (default 50)
  --health-check yes|no
                     the simulated task definition has a container health check (default yes:
                     reported HEALTHY at RUNNING; no: ECS's 40 s settle before a task counts
                     as healthy, so the rolling deployment takes at least 40 s)
  --output text|json`;

async function main(): Promise<number> {
  const { values: v } = parseArgs({ options: {
    only: { type: 'string', default: 'simulated' }, instances: { type: 'string', default: '100' }, tasks: { type: 'string', default: '1000' },
    'real-tasks': { type: 'string', default: '50' }, 'health-check': { type: 'string', default: 'yes' }, output: { type: 'string', default: 'text' }, help: { type: 'boolean', default: false },
  } });
  if (v.help) { process.stdout.write(`${HELP}\n`); return 0; }
  const only = v.only.split(',');
  for (const p of only) if (p !== 'simulated' && p !== 'real') throw new Error(`--only takes simulated and real, not '${p}'`);
  const background = await backgroundCores();
  const loadAtStart = loadavg()[0]!;
  const rows: FigureRow[] = [];
  if (only.includes('simulated')) {
    if (v['health-check'] !== 'yes' && v['health-check'] !== 'no') throw new Error(`--health-check takes yes or no, not '${v['health-check']}'`);
    rows.push(...await simulated(Number(v.instances), Number(v.tasks), v['health-check'] === 'yes'));
  }
  if (only.includes('real')) rows.push(...await real(Number(v['real-tasks'])));
  const meta = { benchmark: 'services', date: new Date().toISOString(), node: process.version, cores: availableParallelism(), machine: { backgroundCoresAtStart: background, loadAverage1mAtStart: loadAtStart, loadAverage1mAtEnd: loadavg()[0]! } };
  if (v.output === 'json') process.stdout.write(`${figuresJson(rows, meta)}\n`);
  else {
    process.stdout.write(`\nServices to steady state and rolling deployments, beside RunTask doing the same work (${process.version}, ${meta.cores} cores)\n`);
    process.stdout.write(`machine: ${background.toFixed(2)} cores busy before the run; 1-minute load average ${loadAtStart.toFixed(2)} at the start, ${loadavg()[0]!.toFixed(2)} at the end\n\n${figuresTable(rows)}\n`);
  }
  return rows.every((r) => r.pass !== false) ? 0 : 1;
}

/** RunTask --count 10 until `tasks` are placed (RUN_CONCURRENCY calls in flight); the task ARNs. */
async function runMany(client: EcsClient, cluster: string, taskDefinition: string, tasks: number): Promise<string[]> {
  const arns: string[] = [];
  await pool(Math.ceil(tasks / 10), RUN_CONCURRENCY, async (i) => {
    const r = await runTask(client, { cluster, taskDefinition, count: Math.min(10, tasks - i * 10) });
    if (r.failures.length) throw new Error(`RunTask could not place every task: ${JSON.stringify(r.failures.slice(0, 3))}`);
    arns.push(...r.tasks.map((t) => t.taskArn));
  });
  return arns;
}

async function simulated(instances: number, tasks: number, checked: boolean): Promise<FigureRow[]> {
  const cluster = 'bench-services';
  const work = tempDir('berth-bench-services-', '/var/tmp');
  const dataDir = join(work, 'data');
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const berth = spawnTracked(join(ROOT, 'bin/berth'), ['up', '--no-agent', '--port', String(port), '--data-dir', dataDir]);
  await waitReady(berth, `${url}/_berth/health`, 'berth up');
  const client = ecsClient(url);
  await client.ok('CreateCluster', { clusterName: cluster });
  // With a container health check (which the simulated agent reports HEALTHY at RUNNING) a
  // task counts toward minimumHealthyPercent once healthy; without one ECS waits 40 s after
  // RUNNING (NO_HEALTH_CHECK_SETTLE_SECONDS), so a min-100% rollout cannot finish sooner.
  const healthCheck = checked ? { healthCheck: { command: ['CMD-SHELL', 'true'], interval: 5, timeout: 2, retries: 1 } } : {};
  await client.ok('RegisterTaskDefinition', { family: 'bench-app', containerDefinitions: [{ name: 'app', image: 'busybox', cpu: 128, memory: 256, essential: true, ...healthCheck }] });
  say(`joining ${instances} simulated instances`);
  const sim = await startSimulatedProcesses({
    endpoint: url, joinToken: readFileSync(join(dataDir, 'join-token'), 'utf8').trim(), cluster, instances, processes: 1,
    cpu: 4096, memory: 16_384, reportLatencyMs: 0, workDir: work, cpus: undefined, timeoutMs: WAIT_TIMEOUT_MS,
  });
  try {
    // The baseline: the same number of tasks by RunTask, until all are reported RUNNING; then stopped again.
    say(`baseline: RunTask of ${tasks} tasks until RUNNING`);
    const before = sim.stats().runningReports;
    const t0 = performance.now();
    const arns = await runMany(client, cluster, 'bench-app', tasks);
    await sim.waitFor(`${tasks} tasks RUNNING`, (st) => st.runningReports >= before + tasks, WAIT_TIMEOUT_MS);
    const baselineMs = performance.now() - t0;
    say(`baseline: ${tasks} tasks RUNNING in ${s(baselineMs)}`);
    const stoppedBefore = sim.stats().stoppedReports;
    await pool(arns.length, RUN_CONCURRENCY, async (i) => { await client.ok('StopTask', { cluster, task: arns[i] }); });
    await sim.waitFor(`${tasks} tasks STOPPED`, (st) => st.stoppedReports >= stoppedBefore + tasks, WAIT_TIMEOUT_MS);

    say(`CreateService of ${tasks} until steady`);
    const created = await createService(client, {
      cluster, serviceName: 'bench-web', taskDefinition: 'bench-app', desiredCount: tasks, launchType: 'EC2',
      deploymentConfiguration: { minimumHealthyPercent: 100, maximumPercent: 200 },
    });
    const steady = await watchService(client, cluster, created.serviceName, isStable, WAIT_TIMEOUT_MS);
    // The floor counts healthy tasks: a rollout begun before the first deployment's tasks
    // count as healthy may stop them at once. Not timed: without a health check it is ECS's 40 s.
    await watchService(client, cluster, created.serviceName, (sv) => sv.deployments[0]?.rolloutState === 'COMPLETED', WAIT_TIMEOUT_MS);
    say(`steady in ${s(steady.ms)}; a forced rolling deployment (min 100%, max 200%)`);
    await client.ok('UpdateService', { cluster, service: created.serviceName, forceNewDeployment: true, deploymentConfiguration: { minimumHealthyPercent: 100, maximumPercent: 200 } });
    const oldIds = new Set(created.deployments.map((d) => d.id));
    const deployed = await watchService(client, cluster, created.serviceName, (sv) => isStable(sv) && !oldIds.has(sv.deployments[0]!.id), WAIT_TIMEOUT_MS);
    const limits = deployed.minRunning >= tasks && deployed.maxTotal <= 2 * tasks;
    await client.ok('DeleteService', { cluster, service: created.serviceName, force: true });
    return [
      { figure: `CreateService of ${tasks} to steady state (simulated instances)`, berth: s(steady.ms), baseline: `RunTask ${s(baselineMs)}`, ratio: steady.ms / baselineMs, target: `< ${STEADY_TARGET_S} s`, pass: steady.ms < STEADY_TARGET_S * 1000, values: { steady, baselineMs }, note: `${instances} simulated instances, ${checked ? 'a container health check (HEALTHY at RUNNING)' : 'no health check'}; baseline: RunTask --count 10 × ${tasks / 10} (${RUN_CONCURRENCY} in flight) until the simulated agent reported all RUNNING` },
      { figure: `rolling deployment of ${tasks}, min 100% / max 200%`, berth: s(deployed.ms), baseline: `RunTask ${s(baselineMs)}`, ratio: deployed.ms / baselineMs, target: checked ? `< ${DEPLOY_TARGET_S} s, limits kept` : 'limits kept (≥ 40 s by ECS\'s settle)', pass: (deployed.ms < DEPLOY_TARGET_S * 1000 || !checked) && limits, values: { deployed }, note: `over ${deployed.polls} polls: fewest running ${deployed.minRunning} (floor ${tasks}), most running+pending ${deployed.maxTotal} (ceiling ${2 * tasks})${limits ? '' : ': LIMITS VIOLATED'}` },
    ];
  } finally {
    client.close();
    await sim.stop();
    await stopGracefully(berth.child);
  }
}

async function real(tasks: number): Promise<FigureRow[]> {
  takeOverSignals();
  const work = tempDir('berth-bench-services-real-', '/var/tmp');
  try {
    const berth = await startBerthWithAgent(work, 'berth', { runtime: undefined, profileDir: undefined, agentEntry: undefined, agentNodeOptions: undefined, image: 'berth/web', memory: 32 }, false);
    say('pushing the sample images (bin/berth image samples)');
    await run(join(ROOT, 'bin/berth'), ['image', 'samples', '--endpoint', berth.url]);
    const client = ecsClient(berth.url);
    const cluster = DEFAULT_CLUSTER;
    await client.ok('RegisterTaskDefinition', { family: 'bench-web', networkMode: 'bridge', containerDefinitions: [{ name: 'web', image: 'berth/web', memory: 32, essential: true, stopTimeout: 0, portMappings: [{ containerPort: 80, hostPort: 0 }] }] });
    say('warm-up: one task pulls berth/web');
    const warm = await runMany(client, cluster, 'bench-web', 1);
    await waitForStatus(client, cluster, warm, 'RUNNING', WAIT_TIMEOUT_MS);
    await stopTasks(client, cluster, warm, WAIT_TIMEOUT_MS);

    say(`baseline: RunTask --count 10 × ${tasks / 10} until all RUNNING`);
    const t0 = performance.now();
    const wall0 = Date.now();
    const arns: string[] = [];
    for (let i = 0; i < tasks; i += 10) arns.push(...(await runTask(client, { cluster, taskDefinition: 'bench-web', count: Math.min(10, tasks - i) })).tasks.map((t) => t.taskArn));
    const baselineTasks = await waitForStatus(client, cluster, arns, 'RUNNING', WAIT_TIMEOUT_MS, 50);
    const baselineMs = performance.now() - t0;
    const baselinePhases = taskPhases(baselineTasks, wall0);
    say(`baseline: ${tasks} tasks RUNNING in ${s(baselineMs)}`);
    await stopTasks(client, cluster, arns, WAIT_TIMEOUT_MS);

    say(`CreateService of ${tasks} until services-stable`);
    const t1 = performance.now();
    const wall1 = Date.now();
    const created = await createService(client, { cluster, serviceName: 'bench-web', taskDefinition: 'bench-web', desiredCount: tasks, launchType: 'EC2' });
    await watchService(client, cluster, created.serviceName, isStable, WAIT_TIMEOUT_MS);
    const serviceMs = performance.now() - t1;
    const serviceArns = (await client.ok<{ taskArns: string[] }>('ListTasks', { cluster, serviceName: created.serviceName, maxResults: 100 })).taskArns;
    const servicePhases = taskPhases(await describeTasks(client, cluster, serviceArns), wall1);
    await client.ok('UpdateService', { cluster, service: created.serviceName, desiredCount: 0 });
    await watchService(client, cluster, created.serviceName, (sv) => sv.runningCount === 0 && sv.pendingCount === 0, WAIT_TIMEOUT_MS);
    await client.ok('DeleteService', { cluster, service: created.serviceName, force: true });
    client.close();
    return [{
      figure: `CreateService of ${tasks} real tasks to services-stable`, berth: s(serviceMs), baseline: `RunTask ${s(baselineMs)}`, ratio: serviceMs / baselineMs,
      target: `≤ ${REAL_RATIO_TARGET}× RunTask`, pass: serviceMs <= REAL_RATIO_TARGET * baselineMs, values: { serviceMs, baselineMs, servicePhases, baselinePhases },
      note: `berth/web (busybox httpd), bridge, dynamic host port, image cached; baseline: RunTask --count 10 × ${tasks / 10} in a row until all RUNNING; ` +
        `from the first call, by the tasks' own times: service first created ${s(servicePhases.firstCreatedMs)}, last created ${s(servicePhases.lastCreatedMs)}, last started ${s(servicePhases.lastStartedMs)}; ` +
        `RunTask ${s(baselinePhases.firstCreatedMs)}, ${s(baselinePhases.lastCreatedMs)}, ${s(baselinePhases.lastStartedMs)}`,
    }];
  } finally {
    await cleanup.run();
  }
}

main().then((code) => {
  cleanupNow();
  process.exitCode = code;
}, (err: unknown) => {
  process.stderr.write(`services: ${err instanceof ServicesMissing ? err.message : err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  cleanupNow();
  process.exitCode = 2;
});
