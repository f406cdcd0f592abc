/**
 * `bin/bench metadata-endpoint --in-task`: the load comes from inside a real bridge task, as
 * issue 16 says ("p99 under 2 ms under 1,000 requests/s from inside a task"). A real
 * `berth up --no-agent` and a `berth agent` process beside it (the endpoint server is the
 * agent's, on its own event loop, as on a host of a real cluster); one bridge task of the
 * sample image with the host's /usr, /lib, /lib64 and this checkout bound read-only, so the
 * load generator is this same file's `--load` mode run by the checkout's Node inside the
 * task (`berth exec`). It sends to `${ECS_CONTAINER_METADATA_URI_V4}/task` and to the
 * container's own `${ECS_CONTAINER_METADATA_URI_V4}` (169.254.170.2:80, DNATed by nft to the
 * agent's server on the bridge gateway); the baseline is a bare node:http server in the bench
 * process on the same gateway address, answering the same bytes, reached by the same load
 * generator from the same task (without the DNAT: one conntrack lookup per packet).
 * As root, under `flock /tmp/berth-bench.lock flock /tmp/berth-host.lock`.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { startAgentProcess, stopAgentProcess } from '../../test/support/agent-process.ts';
import { ROOT, startBerth, type BerthProcess } from '../../test/support/berth.ts';
import { cleanupHost } from '../../test/support/host-cleanup.ts';
import { run } from '../../test/support/run.ts';
import { DEFAULT_BRIDGE_SUBNET, DEFAULT_METADATA_PORT } from '../../src/runtime/network/config.ts';
import { tempDir } from './processes.ts';

const CLUSTER = 'metadata-bench';
/** The bridge network's gateway (config.ts's default subnet's first address): where the agent's endpoint server listens. */
const GATEWAY = DEFAULT_BRIDGE_SUBNET.replace(/\.0\/\d+$/, '.1');

export interface LoadResult { n: number; errors: number; lagMs: number; p50: number; p99: number; max: number }
export interface Row { name: string; r: LoadResult }

/** Runs the rounds; `loadArgs(url)` is the load generator's command line (Node and this bench's `--load` mode). */
export async function inTaskRounds(rounds: number, loadArgs: (url: string) => string[], say: (line: string) => void): Promise<Row[]> {
  await cleanupHost();
  const dir = tempDir('berth-bench-metadata-');
  const berth: BerthProcess = await startBerth();
  let agentChild: Awaited<ReturnType<typeof startAgentProcess>>['child'] | undefined;
  const bare = createServer({ keepAliveTimeout: 5000 });
  try {
    const ecs = async <T>(op: string, input: unknown): Promise<T> => {
      const res = await fetch(berth.endpoint, { method: 'POST', headers: { 'Content-Type': 'application/x-amz-json-1.1', 'X-Amz-Target': `AmazonEC2ContainerServiceV20141113.${op}` }, body: JSON.stringify(input) });
      const body = (await res.json()) as T;
      if (res.status !== 200) throw new Error(`${op}: ${res.status} ${JSON.stringify(body)}`);
      return body;
    };
    const samples = await run(process.execPath, ['--disable-warning=ExperimentalWarning', join(ROOT, 'src/cli/main.ts'), 'image', 'samples', '--endpoint', berth.endpoint]);
    if (samples.code !== 0) throw new Error(samples.stderr);
    const agent = await startAgentProcess({ endpoint: berth.endpoint, cluster: CLUSTER, dataDir: join(dir, 'agent'), args: ['--token', berth.joinToken()] });
    agentChild = agent.child;
    if (!agent.arn) throw new Error(agent.out);

    const hostPaths = ['/usr', '/lib', '/lib64', ROOT];
    await ecs('RegisterTaskDefinition', {
      family: 'metadata-bench', networkMode: 'bridge',
      volumes: hostPaths.map((p, i) => ({ name: `host${i}`, host: { sourcePath: p } })),
      containerDefinitions: [{
        name: 'app', image: 'berth/sleep', memory: 512,
        // Half a CPU's weight: with none, the task's cgroup gets ECS's minimum (2 shares) and the load generator, not the servers, makes the tail on a busy machine.
        cpu: 512, command: ['sh', '-c', 'while :; do sleep 1; done'], stopTimeout: 1,
        mountPoints: hostPaths.map((p, i) => ({ sourceVolume: `host${i}`, containerPath: p, readOnly: true })),
      }],
    });
    // The agent prints its instance before its session is up: until then placement answers AGENT.
    let task = '';
    for (let i = 0; !task; i++) {
      const ran = await ecs<{ tasks: { taskArn: string }[]; failures: { reason: string }[] }>('RunTask', { cluster: CLUSTER, taskDefinition: 'metadata-bench' });
      if (ran.tasks[0]) task = ran.tasks[0].taskArn;
      else if (ran.failures[0]?.reason !== 'AGENT' || i > 150) throw new Error(`RunTask placed nothing: ${JSON.stringify(ran.failures)}`);
      else await new Promise((r) => setTimeout(r, 200));
    }
    for (let i = 0; ; i++) {
      const t = (await ecs<{ tasks: { lastStatus: string }[] }>('DescribeTasks', { cluster: CLUSTER, tasks: [task] })).tasks[0]!;
      if (t.lastStatus === 'RUNNING') break;
      if (t.lastStatus === 'STOPPED' || i > 300) throw new Error(`the bench task did not start: ${JSON.stringify(t)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    const exec = async (script: string) => {
      const r = await run(process.execPath, ['--disable-warning=ExperimentalWarning', join(ROOT, 'src/cli/main.ts'), 'exec', task, '--cluster', CLUSTER, '--endpoint', berth.endpoint, '--', 'sh', '-c', script]);
      if (r.code !== 0) throw new Error(`in the task: ${script}: ${r.code} ${r.stdout} ${r.stderr}`);
      return r.stdout.trim();
    };
    // The bare server answers what the endpoint answers this task.
    const body = await exec('wget -q -O - "$ECS_CONTAINER_METADATA_URI_V4/task"');
    JSON.parse(body);
    bare.on('request', (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
      res.end(body);
    });
    await new Promise<void>((r) => bare.listen(0, GATEWAY, r));
    const barePort = (bare.address() as AddressInfo).port;
    say(`in a bridge task (${task.slice(task.lastIndexOf('/') + 1)}): answer ${body.length} bytes; bare server at ${GATEWAY}:${barePort}; metadata through 169.254.170.2 to the agent process's server`);
    // Arguments with a `$` are expanded by the task's shell (its environment's URI).
    const load = async (url: string): Promise<LoadResult> => JSON.parse(await exec(loadArgs(url).map((a) => (a.includes('$') ? `"${a}"` : `'${a}'`)).join(' '))) as LoadResult;
    const rows: Row[] = [];
    for (let round = 0; round < rounds; round++) {
      rows.push({ name: 'bare node:http (same bytes), from the task', r: await load(`http://${GATEWAY}:${barePort}/task`) });
      rows.push({ name: 'metadata /v4/<id>/task, from the task', r: await load('$ECS_CONTAINER_METADATA_URI_V4/task') });
      rows.push({ name: 'metadata /v4/<id>, from the task', r: await load('$ECS_CONTAINER_METADATA_URI_V4') });
      // The same server without the DNAT of 169.254.170.2: what the kernel's rewrite costs.
      rows.push({ name: 'metadata /v4/<id>/task, gateway:port direct', r: await load(`http://${GATEWAY}:${DEFAULT_METADATA_PORT}$\{ECS_CONTAINER_METADATA_URI_V4#http://169.254.170.2}/task`) });
    }
    await ecs('StopTask', { cluster: CLUSTER, task });
    for (let i = 0; i < 100; i++) {
      if ((await ecs<{ tasks: { lastStatus: string }[] }>('DescribeTasks', { cluster: CLUSTER, tasks: [task] })).tasks[0]!.lastStatus === 'STOPPED') break;
      await new Promise((r) => setTimeout(r, 200));
    }
    return rows;
  } finally {
    bare.close();
    if (agentChild) await stopAgentProcess(agentChild);
    await berth.stop();
    await cleanupHost();
  }
}
