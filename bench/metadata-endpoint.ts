/**
 * The task metadata endpoint (issue 16's Performance section: "p99 under 2 ms under 1,000
 * requests/s from inside a task"): `${ECS_CONTAINER_METADATA_URI_V4}/task` and the
 * container's own metadata at a fixed rate, next to a bare `node:http` server answering
 * the same bytes, in the same run.
 *
 *   bin/bench metadata-endpoint [--rate 1000] [--seconds 10] [--rounds 2]
 *
 * Where the load comes from: a separate Node process on the host, over loopback, with
 * keep-alive connections, not from inside a task: the endpoint server and its handler are
 * the agent's own (src/agent/metadata/server.ts, the view computed per request), but its
 * caller check is given the loopback address as the task's, and the kernel's DNAT of
 * 169.254.170.2 (one conntrack lookup per packet) is not in the path. The load is open
 * loop: requests go out on a schedule (a 1 ms timer) whether or not earlier ones were
 * answered, so a slow server cannot slow the sender; a latency counts from the moment its
 * request was written, and how late the timer sent requests is reported beside it.
 *
 * Run it under `flock /tmp/berth-bench.lock`: two benchmarks at once halve each other.
 */
import { createServer, request, Agent } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { spawn } from 'node:child_process';
import type { TaskSpec } from '../src/core/workload/spec.ts';
import { containerSpecs } from '../src/core/ecs/container-spec.ts';
import { metadataHandler, startMetadataServer } from '../src/agent/metadata/server.ts';
import { taskMetadata, type MetadataTask } from '../src/agent/metadata/view.ts';
import { percentile } from './lib/latency-stats.ts';
import { backgroundCores } from './lib/machine.ts';
import { inTaskRounds } from './lib/metadata-in-task.ts';

const { values } = parseArgs({
  options: {
    rate: { type: 'string', default: '1000' },
    seconds: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '2' },
    load: { type: 'string' },
    'in-task': { type: 'boolean', default: false },
  },
});
const RATE = Number(values.rate);
const SECONDS = Number(values.seconds);
/** Keep-alive connections the load generator may open: enough that a slow answer never holds the next request back. */
const SOCKETS = 64;
/** The target. */
const TARGET_P99_MS = 2;

if (values.load) await load(values.load);
else if (values['in-task']) await mainInTask();
else await main();

/** The child: RATE requests/s to URL for SECONDS, open loop; prints its latencies' summary as JSON. */
async function load(url: string): Promise<void> {
  const agent = new Agent({ keepAlive: true, maxSockets: SOCKETS });
  const latencies: number[] = [];
  let errors = 0;
  /** How late the sender's 1 ms timer sent requests, summed: reported, not counted in the latencies. */
  let lag = 0;
  const total = RATE * SECONDS;
  const start = performance.now();
  let sent = 0;
  await new Promise<void>((done) => {
    let finished = 0;
    const one = (scheduled: number) => {
      lag += performance.now() - scheduled;
      const sentAt = performance.now();
      const req = request(url, { agent }, (res) => {
        res.resume();
        res.on('end', () => {
          if (res.statusCode === 200) latencies.push(performance.now() - sentAt);
          else errors++;
          if (++finished === total) done();
        });
      });
      req.on('error', () => { errors++; if (++finished === total) done(); });
      req.end();
    };
    const tick = () => {
      // Request k is due at start + k/RATE: by now, every k up to the elapsed time's count.
      const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * RATE) + 1);
      while (sent < due) one(start + (sent++ * 1000) / RATE);
      // A 1 ms timer, not a spin: a spinning sender takes the CPU the servers need on a small machine.
      if (sent < total) setTimeout(tick, 1);
    };
    tick();
  });
  agent.destroy();
  process.stdout.write(JSON.stringify({ n: latencies.length, errors, lagMs: lag / total, p50: percentile(latencies, 50), p99: percentile(latencies, 99), max: Math.max(...latencies) }));
}

function runLoad(url: string): Promise<{ n: number; errors: number; lagMs: number; p50: number; p99: number; max: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', new URL(import.meta.url).pathname, '--load', url, '--rate', String(RATE), '--seconds', String(SECONDS)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d; });
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as never) : reject(new Error(`load generator exited ${code}`))));
  });
}

/** A two-container awsvpc task, as an agent's runner would describe it. */
function sampleTask(): MetadataTask {
  const arn = 'arn:aws:ecs:us-east-1:123456789012:task/default/0123456789abcdef0123456789abcdef';
  const names = ['app', 'sidecar'];
  const defs = names.map((name, i) => ({ name, image: `123456789012.dkr.ecr.us-east-1.amazonaws.com/${name}:latest`, cpu: 256, memory: 512, dockerLabels: { team: 'web' }, portMappings: [{ containerPort: 8080 + i }] }));
  const containers = containerSpecs(defs);
  const spec = {
    id: arn.slice(-32), desiredStatus: 'RUNNING', launchType: 'EC2', placement: { availabilityZone: 'us-east-1a' }, containers,
    ecs: { taskArn: arn, clusterArn: 'arn:aws:ecs:us-east-1:123456789012:cluster/default', group: 'service:web', containerArns: names.map((_, i) => `arn:aws:ecs:us-east-1:123456789012:container/default/0123456789abcdef0123456789abcdef/${i}`) },
  } as unknown as TaskSpec;
  const network = { name: 'app', ip: '172.30.224.5', networkBindings: [], networkInterfaces: [] };
  return {
    spec, family: 'web', revision: 7, cpuUnits: 512, memoryMiB: 1024, networkMode: 'awsvpc', knownStatus: 'RUNNING', pullStartedAt: 1.7e9, pullStoppedAt: 1.7e9 + 2,
    subnet: { cidr: '172.30.224.0/20', gateway: '172.30.224.1', prefixLength: 20, region: 'us-east-1' },
    eni: { details: [{ name: 'macAddress', value: '0a:b5:ac:1e:e0:05' }, { name: 'privateDnsName', value: 'ip-172-30-224-5.ec2.internal' }] },
    vpcId: 'vpc-0123456789abcdef0',
    containers: names.map((name, i) => ({
      spec: containers[i]!, containerArn: spec.ecs.containerArns[i]!, runtimeId: `0123456789abcdef0123456789abcdef-${name}`, imageId: `sha256:${'a'.repeat(64)}`, knownStatus: 'RUNNING' as const,
      createdAt: 1.7e12, startedAt: 1.7e12 + 500, network: { ...network, name },
    })),
  };
}

/** The same rounds with the load from inside a real bridge task (lib/metadata-in-task.ts). */
async function mainInTask(): Promise<void> {
  const busy = await backgroundCores();
  console.error(`metadata endpoint from inside a task: ${RATE} req/s for ${SECONDS} s per run, ${values.rounds} rounds (background load ${busy.toFixed(1)} cores)`);
  const script = new URL(import.meta.url).pathname;
  const rows = await inTaskRounds(Number(values.rounds), (url) => [process.execPath, '--disable-warning=ExperimentalWarning', script, '--load', url, '--rate', String(RATE), '--seconds', String(SECONDS)], (l) => console.error(l));
  report(rows);
}

function report(rows: { name: string; r: Awaited<ReturnType<typeof runLoad>> }[]): void {
  console.log('| server | requests | errors | p50 ms | p99 ms | max ms | sender lag ms (mean) |');
  console.log('|---|---|---|---|---|---|---|');
  for (const { name, r } of rows) console.log(`| ${name} | ${r.n} | ${r.errors} | ${r.p50.toFixed(3)} | ${r.p99.toFixed(3)} | ${r.max.toFixed(1)} | ${r.lagMs.toFixed(2)} |`);
  const worst = Math.max(...rows.filter((x) => x.name.startsWith('metadata') && !x.name.includes('direct')).map((x) => x.r.p99));
  const bareWorst = Math.max(...rows.filter((x) => x.name.startsWith('bare')).map((x) => x.r.p99));
  console.log(`\nmetadata p99 (worst run) ${worst.toFixed(3)} ms, bare ${bareWorst.toFixed(3)} ms, ratio ${(worst / bareWorst).toFixed(2)}; target p99 < ${TARGET_P99_MS} ms: ${worst < TARGET_P99_MS ? 'PASS' : 'FAIL'}`);
  process.exitCode = worst < TARGET_P99_MS ? 0 : 1;
}

async function main(): Promise<void> {
  const id = '0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0';
  const m = sampleTask();
  const target = {
    taskArn: m.spec.ecs.taskArn, container: 'app', owns: (s: { remoteAddress?: string | undefined }) => s.remoteAddress === '127.0.0.1',
    metadata: () => m, stats: () => [],
  };
  const server = await startMetadataServer(['127.0.0.1'], 0, metadataHandler({ now: Date.now, resolve: (x) => (x === id ? target : undefined) }));
  const port = (server.addresses[0] as AddressInfo).port;
  const body = JSON.stringify(taskMetadata(m, 'v4'));
  const bare = createServer({ keepAliveTimeout: 5000 }, (_req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
  });
  await new Promise<void>((r) => bare.listen(0, '127.0.0.1', r));
  const barePort = (bare.address() as AddressInfo).port;
  console.error(`metadata endpoint: ${RATE} req/s for ${SECONDS} s per run, ${values.rounds} rounds, answer ${body.length} bytes; load from a second process over loopback`);
  const rows: { name: string; r: Awaited<ReturnType<typeof runLoad>> }[] = [];
  try {
    for (let round = 0; round < Number(values.rounds); round++) {
      rows.push({ name: 'bare node:http (same bytes)', r: await runLoad(`http://127.0.0.1:${barePort}/v4/${id}/task`) });
      rows.push({ name: 'metadata /v4/<id>/task', r: await runLoad(`http://127.0.0.1:${port}/v4/${id}/task`) });
      rows.push({ name: 'metadata /v4/<id>', r: await runLoad(`http://127.0.0.1:${port}/v4/${id}`) });
    }
  } finally {
    await server.close();
    bare.close();
  }
  report(rows);
}
