/**
 * `kubectl apply` of a Deployment to all its pods Ready, beside the equivalent ECS service to
 * runningCount, on one host in one run (issue 17):
 *
 *   bin/bench kube-deploy [--replicas 50] [--rounds N] [--profile DIR] [--output json]   (--help for all)
 *
 * 1. `bin/berth up` with its agent (one host, real containers), the sample images pushed and
 *    berth/web (busybox httpd) pulled once by a warm-up task, so both sides start from a
 *    cached image; an EKS cluster whose node group claims the host, a kubeconfig for kubectl.
 * 2. ECS: CreateService of --replicas tasks of `bench-web` (awsvpc, container cpu 10 and
 *    memoryReservation 16 MiB) until runningCount is --replicas (DescribeServices every
 *    POLL_MS); the service then scaled to 0 and deleted, its tasks STOPPED.
 * 3. Kubernetes: `kubectl apply -f` a Deployment of --replicas pods of the same container
 *    (requests cpu 10m = 10 units, memory 16Mi; a pod has a network namespace of its own, as
 *    awsvpc) until every pod of it is Ready (a plain LIST of the namespace every POLL_MS); then
 *    `kubectl delete` and its pods gone.
 * The ratio is Kubernetes' time over ECS's (target ≤ 1.2×). With --rounds N the two alternate
 * which goes first (round 1 ECS first, round 2 Kubernetes first, …): each round's ratio is
 * printed and the median of them is judged, so neither side always pays for the first run
 * after the warm-up (one run each moved the ratio from 1.17× to 1.68× and 0.59×). Each side's tasks (pods are tasks
 * of ECS cluster default too) give when the first and the last was created and the last
 * started, by the server's clock: where the time went. --profile DIR runs `berth up` under
 * --cpu-prof and prints where its CPU went over the whole run.
 *
 * Starts containers: run it as root under both locks,
 * `flock /tmp/berth-bench.lock flock /tmp/berth-host.lock bin/bench kube-deploy`.
 */
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ecsClient, type EcsClient } from './lib/aws-json.ts';
import { serverProfile } from './lib/cpu-profile.ts';
import { aws, makeCluster, waitServiceAccount } from './lib/eks-cluster.ts';
import { describeTasks, listTasks, runTask, stopTasks, taskPhases, waitForStatus } from './lib/ecs-tasks.ts';
import { figuresJson, figuresTable, type FigureRow } from './lib/figures-table.ts';
import { KubeClient } from './lib/kube-client.ts';
import { backgroundCores } from './lib/machine.ts';
import { cleanupNow, run, tempDir } from './lib/processes.ts';
import { createService, POLL_MS, watchService } from './lib/service-waits.ts';
import { cleanup, startBerth, takeOverSignals } from './lib/task-start-berth.ts';
import { CLUSTER } from './lib/task-load.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** Issue 17's target: the Deployment's time at most this many times the ECS service's. */
const RATIO_TARGET = 1.2;
/** The longest any one wait may take before it is a failure rather than a figure. */
const WAIT_TIMEOUT_MS = 300_000;
const IMAGE = 'berth/web';
/** Each task's and pod's reservations: small enough for 50 on a 2-core host (2,048 CPU units). */
const CPU_UNITS = 10;
const MEMORY_MIB = 16;
const EKS_CLUSTER = 'bench';
const NAME = 'bench-web';

const say = (line: string) => process.stderr.write(`kube-deploy: ${line}\n`);
const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

const HELP = `usage: bin/bench kube-deploy [options]

kubectl apply of a Deployment to all pods Ready, beside CreateService of the same tasks to
runningCount, on this host (berth up with its agent, real containers), in one run.

  --replicas N     pods and tasks (default 50)
  --rounds N       rounds of both, alternating which goes first; the median ratio is judged (default 1)
  --profile DIR    run berth up under node --cpu-prof and print where its CPU went
  --output text|json
`;

type Phases = ReturnType<typeof taskPhases>;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { replicas: { type: 'string', default: '50' }, rounds: { type: 'string', default: '1' }, profile: { type: 'string' }, output: { type: 'string', default: 'text' }, help: { type: 'boolean', short: 'h', default: false } },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const replicas = Number(values.replicas);
  if (!Number.isInteger(replicas) || replicas < 1) throw new Error(`--replicas must be a whole number from 1; it was '${values.replicas}'`);
  const rounds = Number(values.rounds);
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`--rounds must be a whole number from 1; it was '${values.rounds}'`);
  const profileDir = values.profile === undefined ? undefined : resolve(values.profile);
  const profilesBefore = new Set(profileDir && existsSync(profileDir) ? readdirSync(profileDir) : []);
  const background = await backgroundCores();
  const loadAtStart = loadavg()[0]!;
  if (background > 0.1) say(`warning: before starting, other processes used ${background.toFixed(2)} of ${availableParallelism()} cores; figures will be noisy`);
  takeOverSignals();
  const work = tempDir('berth-bench-kube-deploy-', '/var/tmp');
  let rows: FigureRow[];
  try {
    const berth = await startBerth(work, 'berth', { runtime: undefined, profileDir, agentEntry: undefined, agentNodeOptions: undefined, image: IMAGE, memory: MEMORY_MIB }, false);
    say('pushing the sample images (bin/berth image samples)');
    await run(join(ROOT, 'bin/berth'), ['image', 'samples', '--endpoint', berth.url]);
    const client = ecsClient(berth.url);
    const container = { name: 'web', image: IMAGE, cpu: CPU_UNITS, memoryReservation: MEMORY_MIB, essential: true, portMappings: [{ containerPort: 80 }] };
    await client.ok('RegisterTaskDefinition', { family: NAME, networkMode: 'awsvpc', containerDefinitions: [container] });
    const network = { awsvpcConfiguration: { subnets: ['subnet-berth'] } };
    say(`warm-up: one task pulls ${IMAGE}`);
    const warm = (await runTask(client, { cluster: CLUSTER, taskDefinition: NAME, networkConfiguration: network })).tasks.map((t) => t.taskArn);
    await waitForStatus(client, CLUSTER, warm, 'RUNNING', WAIT_TIMEOUT_MS);
    await stopTasks(client, CLUSTER, warm, WAIT_TIMEOUT_MS);

    say(`EKS cluster ${EKS_CLUSTER} with a node group claiming the host`);
    const eks = await makeCluster(berth.url, work, EKS_CLUSTER);
    await aws(berth.url, ['eks', 'create-nodegroup', '--cluster-name', EKS_CLUSTER, '--nodegroup-name', 'workers', '--subnets', 'subnet-a',
      '--node-role', 'arn:aws:iam::000000000000:role/node', '--scaling-config', 'minSize=1,maxSize=1,desiredSize=1'], work);
    await aws(berth.url, ['eks', 'wait', 'nodegroup-active', '--cluster-name', EKS_CLUSTER, '--nodegroup-name', 'workers'], work);
    const kube = new KubeClient(eks.endpoint, eks.ca, eks.token);
    await waitServiceAccount(kube, 'default');
    const kubeconfig = writeKubeconfig(work, eks);

    rows = [];
    const ratios: number[] = [];
    const note = (p: Phases) => `first created ${s(p.firstCreatedMs)}, last created ${s(p.lastCreatedMs)}, last started ${s(p.lastStartedMs)}`;
    for (let r = 0; r < rounds; r++) {
      // Odd rounds put Kubernetes first: whichever runs first after the warm-up pays for it.
      const ecsFirst = r % 2 === 0;
      const round = rounds > 1 ? `round ${r + 1} (${ecsFirst ? 'ECS' : 'Kubernetes'} first): ` : '';
      if (rounds > 1) say(`${round.slice(0, -2)}`);
      let ecs: Awaited<ReturnType<typeof ecsService>> | undefined;
      if (ecsFirst) ecs = await ecsService(client, replicas, network, `${NAME}-${r + 1}`);
      const k8s = await deployment(client, kube, kubeconfig, replicas);
      ecs ??= await ecsService(client, replicas, network, `${NAME}-${r + 1}`);
      const ratio = k8s.ms / ecs.ms;
      ratios.push(ratio);
      if (rounds > 1) say(`${round}ECS ${s(ecs.ms)}, Kubernetes ${s(k8s.ms)}: ${ratio.toFixed(2)}×`);
      rows.push(
        {
          figure: `${round}ECS CreateService of ${replicas} to runningCount ${replicas}`, berth: s(ecs.ms), baseline: '-', ratio: undefined, target: 'the baseline', pass: undefined,
          values: { ms: ecs.ms, phases: ecs.phases }, note: `from the call, by the tasks' own times: ${note(ecs.phases)}`,
        },
        {
          figure: `${round}kubectl apply of a ${replicas}-replica Deployment to all pods Ready`, berth: s(k8s.ms), baseline: `ECS ${s(ecs.ms)}`, ratio,
          target: rounds > 1 ? 'the median is judged' : `≤ ${RATIO_TARGET}× ECS`, pass: rounds > 1 ? undefined : ratio <= RATIO_TARGET,
          values: { ms: k8s.ms, phases: k8s.phases, kubectlMs: k8s.kubectlMs },
          note: `kubectl apply itself ${s(k8s.kubectlMs)}; from its start, by the pods' tasks' own times: ${note(k8s.phases)}`,
        },
      );
    }
    kube.close();
    client.close();
    if (rounds > 1) {
      const median = medianOf(ratios);
      rows.push({
        figure: `median of ${rounds} rounds' ratios (Deployment ÷ ECS service)`, berth: `${median.toFixed(2)}×`, baseline: '-', ratio: median, target: `≤ ${RATIO_TARGET}× ECS`, pass: median <= RATIO_TARGET,
        values: { ratios }, note: `each round's: ${ratios.map((q) => `${q.toFixed(2)}×`).join(', ')}`,
      });
    }
  } finally {
    await cleanup.run();
  }
  const profile = profileDir ? serverProfile(profileDir, profilesBefore) : undefined;
  const meta = { benchmark: 'kube-deploy', date: new Date().toISOString(), node: process.version, cores: availableParallelism(), loadAtStart, backgroundCores: background, image: IMAGE, cpuUnits: CPU_UNITS, memoryMiB: MEMORY_MIB };
  if (values.output === 'json') process.stdout.write(`${figuresJson(rows, { ...meta, ...(profile && { profile }) })}\n`);
  else process.stdout.write(`${figuresTable(rows)}\n${profile ? `\nberth up's CPU profile:\n${profile}\n` : ''}`);
  return rows.every((r) => r.pass !== false) ? 0 : 1;
}

/** A kubeconfig with the cluster's CA and the get-token token (valid 15 minutes: longer than a run). */
function writeKubeconfig(work: string, eks: { endpoint: string; ca: string; token: string }): string {
  const path = join(work, 'kubeconfig');
  writeFileSync(path, JSON.stringify({
    apiVersion: 'v1', kind: 'Config', 'current-context': 'bench',
    clusters: [{ name: 'bench', cluster: { server: eks.endpoint, 'certificate-authority-data': Buffer.from(eks.ca).toString('base64') } }],
    users: [{ name: 'bench', user: { token: eks.token } }],
    contexts: [{ name: 'bench', context: { cluster: 'bench', user: 'bench', namespace: 'default' } }],
  }));
  return path;
}

/** The middle value (the mean of the two middle ones for an even count). */
function medianOf(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** CreateService (a name per round: a deleted service's name stays taken while it drains) until runningCount is `replicas`; then scaled to 0, deleted, its tasks stopped. */
async function ecsService(client: EcsClient, replicas: number, network: unknown, serviceName: string): Promise<{ ms: number; phases: Phases }> {
  say(`ECS: CreateService of ${replicas} until runningCount ${replicas}`);
  const wall = Date.now();
  const t0 = performance.now();
  const created = await createService(client, { cluster: CLUSTER, serviceName, taskDefinition: NAME, desiredCount: replicas, launchType: 'EC2', networkConfiguration: network });
  await watchService(client, CLUSTER, created.serviceName, (sv) => sv.runningCount >= replicas, WAIT_TIMEOUT_MS);
  const ms = performance.now() - t0;
  const arns = (await client.ok<{ taskArns: string[] }>('ListTasks', { cluster: CLUSTER, serviceName: created.serviceName, maxResults: 100 })).taskArns;
  const phases = taskPhases(await describeTasks(client, CLUSTER, arns), wall);
  say(`ECS: ${replicas} RUNNING in ${s(ms)}; stopping them`);
  await client.ok('UpdateService', { cluster: CLUSTER, service: created.serviceName, desiredCount: 0 });
  await watchService(client, CLUSTER, created.serviceName, (sv) => sv.runningCount === 0 && sv.pendingCount === 0, WAIT_TIMEOUT_MS);
  await client.ok('DeleteService', { cluster: CLUSTER, service: created.serviceName, force: true });
  await waitForStatus(client, CLUSTER, arns, 'STOPPED', WAIT_TIMEOUT_MS);
  return { ms, phases };
}

interface PodList { items: { metadata: { labels?: Record<string, string> }; status?: { conditions?: { type: string; status: string }[] } }[] }

/** kubectl apply of the Deployment until all its pods are Ready; then kubectl delete and its pods gone. */
async function deployment(client: EcsClient, kube: KubeClient, kubeconfig: string, replicas: number): Promise<{ ms: number; kubectlMs: number; phases: Phases }> {
  const manifest = join(dirname(kubeconfig), 'deployment.json');
  writeFileSync(manifest, JSON.stringify({
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: NAME },
    spec: {
      replicas, selector: { matchLabels: { app: NAME } },
      template: {
        metadata: { labels: { app: NAME } },
        spec: { containers: [{ name: 'web', image: IMAGE, ports: [{ containerPort: 80 }], resources: { requests: { cpu: `${CPU_UNITS}m`, memory: `${MEMORY_MIB}Mi` } } }] },
      },
    },
  }));
  const env = { ...process.env, KUBECONFIG: kubeconfig, KUBECACHEDIR: join(dirname(kubeconfig), 'kube-cache') };
  // kubectl's discovery cache filled first, so the timed apply does not read it.
  await run('/usr/bin/kubectl', ['api-resources'], { env });
  say(`Kubernetes: kubectl apply of ${replicas} replicas until every pod is Ready`);
  // A plain LIST (the pods' kept answers), filtered here: the namespace holds the Deployment's pods alone.
  const podsPath = '/api/v1/namespaces/default/pods';
  const wall = Date.now();
  const t0 = performance.now();
  await run('/usr/bin/kubectl', ['apply', '-f', manifest], { env });
  const kubectlMs = performance.now() - t0;
  for (;;) {
    const pods = await kube.json<PodList>('GET', podsPath);
    const ready = pods.items.filter((p) => p.metadata.labels?.app === NAME && p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length;
    if (ready >= replicas) break;
    if (performance.now() - t0 > WAIT_TIMEOUT_MS) throw new Error(`the Deployment's pods were not all Ready within ${WAIT_TIMEOUT_MS / 1000} s: ${ready} of ${replicas}`);
    await sleep(POLL_MS);
  }
  const ms = performance.now() - t0;
  // The pods' tasks: every RUNNING task of cluster default now (the ECS service's are STOPPED).
  const phases = taskPhases(await describeTasks(client, CLUSTER, await listTasks(client, CLUSTER, 'RUNNING')), wall);
  say(`Kubernetes: ${replicas} pods Ready in ${s(ms)}; deleting the Deployment`);
  await run('/usr/bin/kubectl', ['delete', '-f', manifest, '--wait=true', '--timeout=300s'], { env });
  for (;;) {
    if ((await kube.json<PodList>('GET', podsPath)).items.length === 0) break;
    if (performance.now() - t0 > 2 * WAIT_TIMEOUT_MS) throw new Error('the Deployment\'s pods were not gone in time');
    await sleep(POLL_MS * 4);
  }
  return { ms, kubectlMs, phases };
}

main().then((code) => {
  cleanupNow();
  process.exitCode = code;
}, (err: unknown) => {
  process.stderr.write(`kube-deploy: the benchmark failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  cleanupNow();
  process.exitCode = 2;
});
