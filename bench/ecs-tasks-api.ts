/**
 * ECS task API latency with many tasks stored (issue 14: "DescribeServices and ListTasks p99
 * under 5 ms with 100,000 tasks stored"): each call timed by the client (request written →
 * answer read), over HTTP to `berth up --no-agent`, next to a bare HTTP server answering the
 * same bytes to the same client in the same run.
 *
 * The cluster as a user's would be: --instances container instances joined through the
 * join path and holding real agent sessions (the simulated agent, bench/sim: it reports
 * without running containers), so the control plane sees them connected, as with real hosts.
 * (Records seeded "connected" with no session are orphans to Berth: 15 s after its start
 * (DISCONNECT_GRACE_MS) it ends every service task on them and its services try to replace
 * them all, which is what an earlier version of this bench measured its reads against.)
 * Then Berth is stopped, --tasks RUNNING tasks are written straight through the store
 * (bench/lib/seed-tasks.ts), spread over the instances and 100 services, whose records are
 * seeded too (each task its service's deployment's); Berth starts again on them, the
 * sessions come back, and the bench waits until Berth is idle (the start's own work done).
 * Then, in order, --lists calls each at --concurrency in flight:
 *   0. DescribeClusters (counts from the cluster state, no task read): the reference;
 *   1. ListTasks over five shapes: the first page, a page deep into the cluster (a
 *      nextToken), a service's tasks (--service-name), an instance's tasks, the STOPPED ones;
 *   2. DescribeServices of 10 of the 100 services (1/100 of the tasks each);
 *   3. RunTask, --runs calls, one task each (placed, committed, fsynced; no bare row).
 * Each read row runs Berth, then the bare server (bench/lib/bare-server.ts, Berth's exact
 * answer to each request), with the same client: its own cost (signing is done once per
 * distinct request, answers are not parsed) is in both, and the ratio shows Berth's part.
 *
 *   bin/bench ecs-tasks-api                        # 100,000 tasks, about two minutes
 *   bin/bench ecs-tasks-api --tasks 10000 --runs 500
 *   bin/bench ecs-tasks-api --profile /tmp/prof    # and where Berth's CPU time went
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DEFAULT_ACCOUNT, DEFAULT_REGION } from '../src/cli/defaults.ts';
import { keys } from '../src/core/ecs/keys.ts';
import { newService, type ServiceSpec } from '../src/core/ecs/service-lifecycle.ts';
import { resolveDeploymentConfiguration } from '../src/core/ecs/service-rules.ts';
import { encodeToken } from '../src/core/pagination.ts';
import { openSqliteStore } from '../src/store/sqlite/sqlite-store.ts';
import type { Op } from '../src/store/store.ts';
import { ECS_TARGET_PREFIX, ecsClient, pool, type EcsClient } from './lib/aws-json.ts';
import { serverProfile } from './lib/cpu-profile.ts';
import { coreShare } from './lib/cpu-usage.ts';
import { percentile } from './lib/latency-stats.ts';
import { freePort, killHard, spawnTracked, stopGracefully, tempDir, waitReady, type Service } from './lib/processes.ts';
import { seedTasks } from './lib/seed-tasks.ts';
import { startSimulatedProcesses } from './sim/simulated-processes.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** Services the seeded tasks belong to. */
const SERVICES = 100;
const CLUSTER = 'bench';
const FAMILY = 'bench-app';
/** Services per DescribeServices call: the API's most (10). */
const DESCRIBED = 10;
/** The target for ListTasks (and DescribeServices) p99. */
const LIST_P99_TARGET_MS = 5;
/** How long a profiled Berth may take to stop (it writes its profile at exit; a loaded machine is slow). */
const PROFILED_STOP_MS = 60_000;
/** Each simulated instance's CPU units and MiB: room for every seeded task and every RunTask. */
const INSTANCE_SIZE = 1_000_000;
/** How long joining, and the sessions' return after the restart, may take. */
const SESSIONS_TIMEOUT_MS = 120_000;
/** Berth counts as idle (its start's work done) below this share of one core over IDLE_SAMPLE_MS. */
const IDLE_SHARE = 0.05;
const IDLE_SAMPLE_MS = 1_000;
/** The longest wait for Berth to become idle before measuring anyway (and saying so). */
const IDLE_TIMEOUT_MS = 60_000;

const say = (line: string) => process.stderr.write(`ecs-tasks-api: ${line}\n`);

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      tasks: { type: 'string', default: '100000' },
      instances: { type: 'string', default: '10' },
      runs: { type: 'string', default: '1000' },
      lists: { type: 'string', default: '2000' },
      concurrency: { type: 'string', default: '8' },
      profile: { type: 'string' },
    },
  });
  const tasks = Number(values.tasks);
  const instances = Number(values.instances);
  const concurrency = Number(values.concurrency);
  const lists = Number(values.lists);
  const work = tempDir('berth-ecs-tasks-bench-', '/var/tmp');
  const dataDir = join(work, 'data');
  const scope = { account: DEFAULT_ACCOUNT, region: DEFAULT_REGION };
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const profileDir = values.profile === undefined ? undefined : resolve(values.profile);
  const profilesBefore = new Set(profileDir && existsSync(profileDir) ? readdirSync(profileDir) : []);

  // 1. The cluster, the task definition and the instances, through Berth as a user's would be.
  let berth = await startBerth(port, dataDir);
  const setup = ecsClient(url);
  await setup.ok('CreateCluster', { clusterName: CLUSTER });
  const td = await setup.ok<{ taskDefinition: { revision: number; taskDefinitionArn: string } }>('RegisterTaskDefinition', {
    family: FAMILY, requiresCompatibilities: ['EC2'], containerDefinitions: [{ name: 'app', image: 'busybox', cpu: 1, memory: 6, essential: true }],
  });
  setup.close();
  say(`joining ${instances} simulated instances (real sessions, no containers)`);
  const sim = await startSimulatedProcesses({
    endpoint: url, joinToken: readFileSync(join(dataDir, 'join-token'), 'utf8').trim(), cluster: CLUSTER, instances, processes: 1,
    cpu: INSTANCE_SIZE, memory: INSTANCE_SIZE, reportLatencyMs: 0, workDir: work, cpus: undefined, timeoutMs: SESSIONS_TIMEOUT_MS,
  });

  // 2. The tasks and their services straight through the store, Berth stopped; then Berth again, the sessions back.
  await stopGracefully(berth.child);
  say(`seeding ${tasks.toLocaleString('en-US')} RUNNING tasks of ${SERVICES} services on ${instances} instances`);
  const started = performance.now();
  const now = Math.floor(Date.now() / 1000);
  const deploymentId = (i: number) => `ecs-svc/${String(i).padStart(19, '0')}`;
  await seedTasks(join(dataDir, 'state.db'), {
    scope, cluster: CLUSTER, family: FAMILY, revision: td.taskDefinition.revision, instances: sim.identities, tasks, nowSeconds: now,
    owner: (n) => ({ group: `service:svc-${n % SERVICES}`, startedBy: deploymentId(n % SERVICES) }),
  });
  // The services those tasks are the deployments of: DescribeServices counts each one's tasks,
  // and the service scheduler keeps them (every task RUNNING, as many as desired).
  const services: Op[] = [];
  for (let i = 0; i < SERVICES; i++) {
    const desiredCount = Math.floor(tasks / SERVICES) + (i < tasks % SERVICES ? 1 : 0);
    const spec: ServiceSpec = {
      serviceName: `svc-${i}`, taskDefinitionArn: td.taskDefinition.taskDefinitionArn, desiredCount, schedulingStrategy: 'REPLICA', launchType: 'EC2',
      deploymentConfiguration: resolveDeploymentConfiguration(undefined, 'REPLICA'), placementConstraints: [], placementStrategy: [], tags: [],
      enableECSManagedTags: false, propagateTags: 'NONE', enableExecuteCommand: false, availabilityZoneRebalancing: 'DISABLED',
    };
    services.push({ type: 'put', key: keys.service(scope, CLUSTER, spec.serviceName), value: JSON.stringify(newService(scope, CLUSTER, spec, deploymentId(i), now, 'seeded')) });
  }
  const store = await openSqliteStore(join(dataDir, 'state.db'));
  await store.txn({ ops: services });
  await store.close();
  say(`seeded in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  const snapshots = sim.stats().snapshots;
  const t0 = performance.now();
  berth = await startBerth(port, dataDir, profileDir);
  say(`berth up ready in ${((performance.now() - t0) / 1000).toFixed(1)} s (loads the cluster state)`);
  await sim.waitFor(`${instances} sessions back after the restart`, (s) => s.snapshots >= snapshots + instances, SESSIONS_TIMEOUT_MS);
  const idle = await untilIdle(berth.child.pid!);
  say(idle.idle ? `idle ${(idle.ms / 1000).toFixed(1)} s after the start` : `still busy after ${IDLE_TIMEOUT_MS / 1000} s (${idle.share.toFixed(2)} of a core): measuring anyway`);

  const client = ecsClient(url, { signOnce: true });
  const bare = await startBare(work);
  const bareClient = ecsClient(bare.url, { signOnce: true });
  try {
    const taskArns = await allTaskArns(client);
    const deep = encodeToken(keys.task(scope, CLUSTER, taskArns[Math.floor(taskArns.length / 2)]!.slice(-32)));
    const listCases = [
      { cluster: CLUSTER },
      { cluster: CLUSTER, nextToken: deep },
      { cluster: CLUSTER, serviceName: 'svc-7' },
      { cluster: CLUSTER, containerInstance: sim.identities[0]!.containerInstanceArn },
      { cluster: CLUSTER, desiredStatus: 'STOPPED' },
    ];
    const reads: { name: string; op: string; input: (i: number) => unknown; distinct: number }[] = [
      { name: 'DescribeClusters (reference)', op: 'DescribeClusters', input: () => ({ clusters: [CLUSTER] }), distinct: 1 },
      { name: 'ListTasks (5 shapes, 100 per page)', op: 'ListTasks', input: (i) => listCases[i % listCases.length], distinct: listCases.length },
      {
        name: `DescribeServices (${DESCRIBED} of ${Math.round(tasks / SERVICES)})`, op: 'DescribeServices', distinct: SERVICES / DESCRIBED,
        input: (i) => ({ cluster: CLUSTER, services: Array.from({ length: DESCRIBED }, (_, j) => `svc-${(i * DESCRIBED + j) % SERVICES}`) }),
      },
    ];
    // Berth's exact answer to each distinct request is what the bare server answers it.
    const answers: Record<string, Record<string, string>> = {};
    for (const r of reads) {
      const byRequest: Record<string, string> = {};
      for (let i = 0; i < r.distinct; i++) {
        const input = r.input(i);
        const a = await client.raw(r.op, input);
        if (a.status !== 200) throw new Error(`${r.op} answered ${a.status}: ${a.raw.toString('utf8').slice(0, 300)}`);
        byRequest[JSON.stringify(input)] = a.raw.toString('base64');
      }
      answers[`${ECS_TARGET_PREFIX}.${r.op}`] = byRequest;
    }
    await writeFile(bare.responses, JSON.stringify(answers));
    await bare.ready();

    const load = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
    const lines = [`ECS task API with ${tasks.toLocaleString('en-US')} tasks stored, ${instances} instances (sessions open), ${concurrency} in flight, one client process; load average before: ${load()}`];
    const p99s = new Map<string, number>();
    for (const r of reads) {
      const b = await timed(client, lists, concurrency, (i) => [r.op, r.input(i)]);
      const base = await timed(bareClient, lists, concurrency, (i) => [r.op, r.input(i)]);
      p99s.set(r.op, percentile(b, 99));
      lines.push(`${row(r.name, b)}   bare ${ms(percentile(base, 50))} / ${ms(percentile(base, 99))}   p99 ${(percentile(b, 99) / percentile(base, 99)).toFixed(2)}× bare`);
    }
    const runs = await timed(client, Number(values.runs), concurrency, () => ['RunTask', { cluster: CLUSTER, taskDefinition: `${FAMILY}:${td.taskDefinition.revision}` }]);
    lines.push(row('RunTask (1 task, durable)', runs));
    lines.push(`load average after: ${load()}`);
    const listsOk = p99s.get('ListTasks')! < LIST_P99_TARGET_MS;
    const describeOk = p99s.get('DescribeServices')! < LIST_P99_TARGET_MS;
    lines.push(`ListTasks p99 target < ${LIST_P99_TARGET_MS} ms: ${listsOk ? 'pass' : 'FAIL'}`);
    lines.push(`DescribeServices p99 target < ${LIST_P99_TARGET_MS} ms: ${describeOk ? 'pass' : 'FAIL'}`);
    process.stdout.write(`${lines.join('\n')}\n`);
    if (profileDir) {
      client.close(); // its keep-alive connections would hold the server's close
      await stopGracefully(berth.child, PROFILED_STOP_MS);
      const profile = serverProfile(profileDir, profilesBefore);
      if (profile) process.stdout.write(`\nBerth CPU profile:\n${profile}\n`);
    }
    return listsOk && describeOk ? 0 : 1;
  } finally {
    client.close();
    bareClient.close();
    await sim.stop();
    await bare.stop();
  }
}

async function startBerth(port: number, dataDir: string, profileDir?: string): Promise<Service> {
  const env = { ...process.env };
  if (profileDir) env.NODE_OPTIONS = `${env.NODE_OPTIONS ?? ''} --cpu-prof --cpu-prof-dir=${profileDir}`.trim();
  const service = spawnTracked(join(ROOT, 'bin/berth'), ['up', '--no-agent', '--port', String(port), '--data-dir', dataDir], { env });
  await waitReady(service, `http://127.0.0.1:${port}/_berth/health`, 'berth up');
  return service;
}

/** The bare server, started once its responses file is written (`ready`). */
async function startBare(work: string): Promise<{ url: string; responses: string; ready(): Promise<void>; stop(): Promise<void> }> {
  const port = await freePort();
  const responses = join(work, 'bare-responses.json');
  let service: Service | undefined;
  const url = `http://127.0.0.1:${port}`;
  return {
    url, responses,
    async stop() {
      if (service) await killHard(service.child);
    },
    async ready() {
      service = spawnTracked(process.execPath, ['--disable-warning=ExperimentalWarning', join(ROOT, 'bench/lib/bare-server.ts'), '--port', String(port), '--responses', responses]);
      await waitReady(service, url, 'bare server');
    },
  };
}

/** Waits until `pid` uses less than IDLE_SHARE of a core, at most IDLE_TIMEOUT_MS. */
async function untilIdle(pid: number): Promise<{ idle: boolean; ms: number; share: number }> {
  const start = performance.now();
  for (;;) {
    const share = await coreShare(pid, IDLE_SAMPLE_MS);
    const ms = performance.now() - start;
    if (share < IDLE_SHARE) return { idle: true, ms, share };
    if (ms > IDLE_TIMEOUT_MS) return { idle: false, ms, share };
  }
}

/** Every task ARN of the cluster, by ListTasks pages. */
async function allTaskArns(client: EcsClient): Promise<string[]> {
  const arns: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await client.ok<{ taskArns: string[]; nextToken?: string }>('ListTasks', { cluster: CLUSTER, maxResults: 100, ...(nextToken && { nextToken }) });
    arns.push(...page.taskArns);
    nextToken = page.nextToken;
  } while (nextToken);
  return arns;
}

const ms = (x: number) => `${x.toFixed(2)}`;
const row = (name: string, s: number[]) => `${name.padEnd(34)} ${String(s.length).padStart(6)} calls  p50 ${ms(percentile(s, 50)).padStart(6)} ms  p99 ${ms(percentile(s, 99)).padStart(6)} ms`;

/** Latencies in ms of `count` calls, `concurrency` in flight; every answer must be 200. */
async function timed(client: EcsClient, count: number, concurrency: number, call: (i: number) => [string, unknown]): Promise<number[]> {
  const samples: number[] = [];
  await pool(count, concurrency, async (i) => {
    const [op, input] = call(i);
    const t = performance.now();
    const r = await client.raw(op, input);
    samples.push(performance.now() - t);
    if (r.status !== 200) throw new Error(`${op} answered ${r.status}: ${r.raw.toString('utf8').slice(0, 300)}`);
  });
  return samples;
}

main().then((code) => process.exit(code), (err: unknown) => {
  process.stderr.write(`ecs-tasks-api: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(2);
});
