/**
 * ECS task API latency with many tasks stored (issue 14: "ListTasks p99 under 5 ms with
 * 100,000 tasks stored"): RunTask p50/p99 and ListTasks p50/p99, each call timed by the
 * client (request written → answer read), over HTTP to `berth up --no-agent`.
 *
 * Seeded straight through the store before Berth starts (as ecs-api seeds task
 * definitions): one cluster, --instances simulated container instances (registered
 * records with a connected agent, no agent process: the API is measured) and --tasks
 * RUNNING tasks built by the core's own newTask, spread over the instances and over 100
 * services (groups). Then, in order:
 *   0. DescribeClusters (counts from the cluster state, no task read): the reference of
 *      what any call costs on this machine now;
 *   1. ListTasks, --lists calls at --concurrency: the first page, a page deep into the
 *      cluster (a nextToken), a service's tasks (--service-name), an instance's tasks, the
 *      STOPPED ones (none: every seeded task runs);
 *   2. DescribeServices of 10 of the 100 services (each a deployment of 1/100 of the
 *      tasks; the service scheduler runs over them), --lists calls at --concurrency;
 *   3. RunTask, --runs calls at --concurrency, one task each (placed, committed, fsynced).
 *
 *   bin/bench ecs-tasks-api                        # 100,000 tasks, about a minute
 *   bin/bench ecs-tasks-api --tasks 10000 --runs 500
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DEFAULT_ACCOUNT, DEFAULT_REGION } from '../src/cli/defaults.ts';
import { newCluster } from '../src/core/ecs/cluster.ts';
import { newContainerInstance, normaliseResources } from '../src/core/ecs/container-instance.ts';
import { keys } from '../src/core/ecs/keys.ts';
import { rootPrincipal } from '../src/core/ecs/scope.ts';
import { newService, type ServiceSpec } from '../src/core/ecs/service-lifecycle.ts';
import { resolveDeploymentConfiguration } from '../src/core/ecs/service-rules.ts';
import { newTask } from '../src/core/ecs/task.ts';
import { buildTaskDefinition } from '../src/core/ecs/task-definition.ts';
import { encodeToken } from '../src/core/pagination.ts';
import { openSqliteStore } from '../src/store/sqlite/sqlite-store.ts';
import type { Op } from '../src/store/store.ts';
import { ecsClient, pool, type EcsClient } from './lib/aws-json.ts';
import { percentile } from './lib/latency-stats.ts';
import { freePort, spawnTracked, tempDir, waitReady } from './lib/processes.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** Tasks written per store transaction while seeding. */
const SEED_BATCH = 5_000;
/** Services the seeded tasks belong to. */
const SERVICES = 100;
const CLUSTER = 'bench';
/** Services per DescribeServices call: the API's most (10). */
const DESCRIBED = 10;
/** The issue's target for ListTasks (and DescribeServices) p99. */
const LIST_P99_TARGET_MS = 5;

const say = (line: string) => process.stderr.write(`ecs-tasks-api: ${line}\n`);

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      tasks: { type: 'string', default: '100000' },
      instances: { type: 'string', default: '10' },
      runs: { type: 'string', default: '1000' },
      lists: { type: 'string', default: '2000' },
      concurrency: { type: 'string', default: '8' },
    },
  });
  const tasks = Number(values.tasks);
  const instances = Number(values.instances);
  const concurrency = Number(values.concurrency);
  const work = tempDir('berth-ecs-tasks-bench-', '/var/tmp');
  const scope = { account: DEFAULT_ACCOUNT, region: DEFAULT_REGION };

  say(`seeding ${tasks.toLocaleString('en-US')} tasks on ${instances} instances`);
  const started = performance.now();
  const store = await openSqliteStore(join(work, 'state.db'));
  const now = Math.floor(Date.now() / 1000);
  const td = buildTaskDefinition(scope, { family: 'bench-app', containerDefinitions: [{ name: 'app', image: 'busybox', cpu: 1, memory: 6, essential: true }] as never }, 1, now, rootPrincipal(scope));
  const seed: Op[] = [
    { type: 'put', key: keys.cluster(scope, CLUSTER), value: JSON.stringify(newCluster(scope, { clusterName: CLUSTER, tags: [], settings: [] }, now)) },
    { type: 'put', key: keys.taskDefinition(scope, 'bench-app', 1), value: JSON.stringify(td) },
    { type: 'put', key: keys.family(scope, 'bench-app'), value: JSON.stringify({ family: 'bench-app', latestRevision: 1, activeRevisions: 1 }) },
  ];
  const instanceArns: string[] = [];
  for (let i = 0; i < instances; i++) {
    const id = randomBytes(16).toString('hex');
    const record = newContainerInstance(scope, CLUSTER, id, {
      ec2InstanceId: `i-${id.slice(0, 17)}`,
      resources: normaliseResources([{ name: 'CPU', type: 'INTEGER', integerValue: 1_000_000 }, { name: 'MEMORY', type: 'INTEGER', integerValue: 1_000_000 }]),
      attributes: [{ name: 'ecs.availability-zone', value: `us-east-1${'abc'[i % 3]}` }], tags: [],
    }, now);
    instanceArns.push(record.containerInstanceArn);
    seed.push({ type: 'put', key: keys.containerInstance(scope, CLUSTER, id), value: JSON.stringify({ ...record, agentConnected: true }) });
  }
  await store.txn({ ops: seed });
  const taskIds: string[] = [];
  for (let start = 0; start < tasks; start += SEED_BATCH) {
    const ops: Op[] = [];
    for (let i = start; i < Math.min(tasks, start + SEED_BATCH); i++) {
      const id = randomBytes(16).toString('hex');
      taskIds.push(id);
      const t = newTask({
        scope, clusterName: CLUSTER, id, containerIds: [randomUUID()], taskDefinition: td, overrides: {},
        containerInstanceArn: instanceArns[i % instances]!, startedBy: `ecs-svc/${String(i % SERVICES).padStart(19, '0')}`,
        group: `service:svc-${i % SERVICES}`, tags: [], launchType: 'EC2', enableExecuteCommand: false, attachments: [], nowSeconds: now,
      });
      ops.push({ type: 'put', key: keys.task(scope, CLUSTER, id), value: JSON.stringify({ ...t, lastStatus: 'RUNNING', startedAt: now }) });
    }
    await store.txn({ ops });
  }
  // The services those tasks are the deployments of: DescribeServices counts each one's tasks,
  // and the service scheduler keeps them (every task RUNNING, as many as desired).
  const services: Op[] = [];
  for (let i = 0; i < SERVICES; i++) {
    const desiredCount = Math.floor(tasks / SERVICES) + (i < tasks % SERVICES ? 1 : 0);
    const spec: ServiceSpec = {
      serviceName: `svc-${i}`, taskDefinitionArn: td.taskDefinitionArn, desiredCount, schedulingStrategy: 'REPLICA', launchType: 'EC2',
      deploymentConfiguration: resolveDeploymentConfiguration(undefined, 'REPLICA'), placementConstraints: [], placementStrategy: [], tags: [],
      enableECSManagedTags: false, propagateTags: 'NONE', enableExecuteCommand: false, availabilityZoneRebalancing: 'DISABLED',
    };
    services.push({ type: 'put', key: keys.service(scope, CLUSTER, spec.serviceName), value: JSON.stringify(newService(scope, CLUSTER, spec, `ecs-svc/${String(i).padStart(19, '0')}`, now, 'seeded')) });
  }
  await store.txn({ ops: services });
  await store.close();
  say(`seeded in ${((performance.now() - started) / 1000).toFixed(1)} s`);

  const port = await freePort();
  const service = spawnTracked(join(ROOT, 'bin/berth'), ['up', '--no-agent', '--port', String(port), '--data-dir', work]);
  const url = `http://127.0.0.1:${port}`;
  const t0 = performance.now();
  await waitReady(service, `${url}/_berth/health`, 'berth up');
  say(`berth up ready in ${((performance.now() - t0) / 1000).toFixed(1)} s (loads the cluster state)`);
  const client = ecsClient(url);
  try {
    taskIds.sort();
    const deep = encodeToken(keys.task(scope, CLUSTER, taskIds[Math.floor(taskIds.length / 2)]!));
    const listCases = [
      { cluster: CLUSTER },
      { cluster: CLUSTER, nextToken: deep },
      { cluster: CLUSTER, serviceName: 'svc-7' },
      { cluster: CLUSTER, containerInstance: instanceArns[0] },
      { cluster: CLUSTER, desiredStatus: 'STOPPED' },
    ];
    // Warm-up: a pass over each case.
    for (const c of listCases) await client.ok('ListTasks', c);
    // The same server's cost of a call that reads no task, as a reference for this machine's load.
    const describes = await timed(client, Number(values.lists), concurrency, () => ['DescribeClusters', { clusters: [CLUSTER] }]);
    const lists = await timed(client, Number(values.lists), concurrency, (i) => ['ListTasks', listCases[i % listCases.length]!]);
    const describeServices = await timed(client, Number(values.lists), concurrency, (i) => ['DescribeServices', { cluster: CLUSTER, services: Array.from({ length: DESCRIBED }, (_, j) => `svc-${(i * DESCRIBED + j) % SERVICES}`) }]);
    const runs = await timed(client, Number(values.runs), concurrency, () => ['RunTask', { cluster: CLUSTER, taskDefinition: 'bench-app:1' }]);
    const row = (name: string, s: number[]) => `${name.padEnd(34)} ${String(s.length).padStart(6)} calls  p50 ${percentile(s, 50).toFixed(2).padStart(6)} ms  p99 ${percentile(s, 99).toFixed(2).padStart(6)} ms`;
    process.stdout.write(`ECS task API with ${tasks.toLocaleString('en-US')} tasks stored, ${instances} instances, ${concurrency} in flight\n`);
    process.stdout.write(`${row('DescribeClusters (reference)', describes)}\n`);
    process.stdout.write(`${row('ListTasks (5 shapes, 100 per page)', lists)}\n`);
    process.stdout.write(`${row(`DescribeServices (${DESCRIBED} of ${Math.round(tasks / SERVICES)})`, describeServices)}\n`);
    process.stdout.write(`${row('RunTask (1 task, durable)', runs)}\n`);
    const listsOk = percentile(lists, 99) < LIST_P99_TARGET_MS;
    const describeOk = percentile(describeServices, 99) < LIST_P99_TARGET_MS;
    process.stdout.write(`ListTasks p99 target < ${LIST_P99_TARGET_MS} ms: ${listsOk ? 'pass' : 'FAIL'}\n`);
    process.stdout.write(`DescribeServices p99 target < ${LIST_P99_TARGET_MS} ms: ${describeOk ? 'pass' : 'FAIL'}\n`);
    const ok = listsOk && describeOk;
    return ok ? 0 : 1;
  } finally {
    client.close();
  }
}

/** Latencies in ms of `count` calls, `concurrency` in flight; every answer must be 200. */
async function timed(client: EcsClient, count: number, concurrency: number, call: (i: number) => [string, unknown]): Promise<number[]> {
  const samples: number[] = [];
  await pool(count, concurrency, async (i) => {
    const [op, input] = call(i);
    const t = performance.now();
    await client.ok(op, input);
    samples.push(performance.now() - t);
  });
  return samples;
}

main().then((code) => process.exit(code), (err: unknown) => {
  process.stderr.write(`ecs-tasks-api: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(2);
});
