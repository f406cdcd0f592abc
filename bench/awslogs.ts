/**
 * The awslogs log driver (issue 16's Performance section): lines per second from one
 * container through the driver (the agent follows conmon's file, batches, sends over its
 * session; the control plane stores each batch durably) next to writing the same lines to a
 * local file with one fdatasync at the end, in the same run; the agent's CPU per 10,000
 * lines. Targets: ≥ 100,000 lines/s and ≥ 25% of the file rate.
 *
 *   bin/bench awslogs [--lines N]        (default 200,000: within one conmon log file, 10 MiB)
 *
 * Past ~220,000 lines conmon rotates the file; when it rotates faster than the driver
 * finishes a file (a burst of tens of MB), the files between are lost (src/agent/awslogs
 * README, "Not done"): `--lines 1000000` shows it.
 *
 * A real `berth up --no-agent` and a `berth agent` beside it (so the agent's CPU is its
 * own), a task of the sample image printing `line 1` … `line N` (`seq | sed`). The rate is
 * N over the time from the first line's timestamp (conmon's) to the last event's ingestion
 * time (when the control plane acknowledged it durable). Every line is checked to be there,
 * once, in order. As root, under `flock /tmp/berth-bench.lock flock /tmp/berth-host.lock`.
 */
import assert from 'node:assert/strict';
import { closeSync, fdatasyncSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startAgentProcess, stopAgentProcess } from '../test/support/agent-process.ts';
import { ROOT, startBerth, type BerthProcess } from '../test/support/berth.ts';
import { cleanupHost } from '../test/support/host-cleanup.ts';
import { run } from '../test/support/run.ts';
import { cpuSnapshot } from './lib/cpu-usage.ts';
import { backgroundCores } from './lib/machine.ts';
import { tempDir } from './lib/processes.ts';

const { values } = parseArgs({ options: { lines: { type: 'string', default: '200000' } } });
const LINES = Number(values.lines);
const TARGET_RATE = 100_000;
const TARGET_RATIO = 0.25;
const CLUSTER = 'awslogs-bench';
const GROUP = '/bench/awslogs';
const dir = tempDir('berth-bench-awslogs-');
const say = (line: string) => process.stderr.write(`${line}\n`);

/** The same lines written to a file, 1,000 a write, one fdatasync at the end: lines/s. */
function fileRate(): number {
  const path = join(dir, 'lines.log');
  const fd = openSync(path, 'w');
  const t0 = performance.now();
  for (let first = 1; first <= LINES; first += 1000) {
    let chunk = '';
    for (let i = first; i < first + 1000 && i <= LINES; i++) chunk += `line ${i}\n`;
    writeSync(fd, chunk);
  }
  fdatasyncSync(fd);
  const ms = performance.now() - t0;
  closeSync(fd);
  return LINES / (ms / 1000);
}

async function main(): Promise<number> {
  const busy = await backgroundCores();
  await cleanupHost();
  const berth: BerthProcess = await startBerth();
  let agentChild: Awaited<ReturnType<typeof startAgentProcess>>['child'] | undefined;
  try {
    const call = async <T>(target: string, input: unknown): Promise<T> => {
      const res = await fetch(berth.endpoint, { method: 'POST', headers: { 'Content-Type': 'application/x-amz-json-1.1', 'X-Amz-Target': target }, body: JSON.stringify(input) });
      const body = (await res.json()) as T;
      if (res.status !== 200) throw new Error(`${target}: ${res.status} ${JSON.stringify(body)}`);
      return body;
    };
    const ecs = <T>(op: string, input: unknown) => call<T>(`AmazonEC2ContainerServiceV20141113.${op}`, input);
    const logs = <T>(op: string, input: unknown) => call<T>(`Logs_20140328.${op}`, input);
    const samples = await run(process.execPath, ['--disable-warning=ExperimentalWarning', join(ROOT, 'src/cli/main.ts'), 'image', 'samples', '--endpoint', berth.endpoint]);
    if (samples.code !== 0) throw new Error(samples.stderr);
    const agent = await startAgentProcess({ endpoint: berth.endpoint, cluster: CLUSTER, dataDir: join(dir, 'agent'), args: ['--token', berth.joinToken()] });
    agentChild = agent.child;
    if (!agent.arn) throw new Error(agent.out);

    const file = fileRate();
    say(`file: ${Math.round(file).toLocaleString('en')} lines/s (${LINES.toLocaleString('en')} lines, one fdatasync)`);

    await ecs('RegisterTaskDefinition', { family: 'awslogs-bench', containerDefinitions: [{
      name: 'app', image: 'berth/sleep', memory: 128, command: ['sh', '-c', `seq 1 ${LINES} | sed "s/^/line /"`],
      logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-group': GROUP, 'awslogs-region': 'us-east-1', 'awslogs-stream-prefix': 'bench', 'awslogs-create-group': 'true', mode: 'blocking' } },
    }] });
    const agentCpu0 = cpuSnapshot(agent.child.pid!).selfMs;
    const serverCpu0 = cpuSnapshot(berth.pid()).selfMs;
    const task = (await ecs<{ tasks: { taskArn: string }[] }>('RunTask', { cluster: CLUSTER, taskDefinition: 'awslogs-bench' })).tasks[0]!;
    for (;;) {
      const t = (await ecs<{ tasks: { lastStatus: string; stopCode?: string }[] }>('DescribeTasks', { cluster: CLUSTER, tasks: [task.taskArn] })).tasks[0]!;
      if (t.lastStatus === 'STOPPED') { assert.equal(t.stopCode, 'EssentialContainerExited'); break; }
      await new Promise((r) => setTimeout(r, 200));
    }
    const agentCpu = cpuSnapshot(agent.child.pid!).selfMs - agentCpu0;
    const serverCpu = cpuSnapshot(berth.pid()).selfMs - serverCpu0;
    const stream = `bench/app/${task.taskArn.slice(task.taskArn.lastIndexOf('/') + 1)}`;

    // Every line, once, in order.
    let n = 0, first = 0, lastTs = 0, lastIngestion = 0;
    let token: string | undefined;
    for (;;) {
      const page = await logs<{ events: { message: string; timestamp: number; ingestionTime: number }[]; nextForwardToken: string }>('GetLogEvents', { logGroupName: GROUP, logStreamName: stream, startFromHead: true, ...(token && { nextToken: token }) });
      for (const e of page.events) {
        n++;
        if (e.message !== `line ${n}`) throw new Error(`event ${n} is '${e.message}'`);
        if (n === 1) first = e.timestamp;
        lastTs = e.timestamp;
        lastIngestion = Math.max(lastIngestion, e.ingestionTime);
      }
      if (page.nextForwardToken === token) break;
      token = page.nextForwardToken;
    }
    if (n !== LINES) throw new Error(`${n} events stored for ${LINES} lines`);
    const seconds = (lastIngestion - first) / 1000;
    const rate = LINES / seconds;
    const written = LINES / Math.max(0.001, (lastTs - first) / 1000);
    const ok = rate >= TARGET_RATE && rate / file >= TARGET_RATIO;
    say(`container (seq | sed → conmon's file): ${Math.round(written).toLocaleString('en')} lines/s by conmon's timestamps`);
    console.log([
      `awslogs driver, ${LINES.toLocaleString('en')} lines, exactly once and in order (background load ${busy.toFixed(1)} cores)`,
      `  through the driver to durable storage: ${Math.round(rate).toLocaleString('en')} lines/s (first line written → last acknowledged ${seconds.toFixed(2)} s)`,
      `  file write, same lines:                ${Math.round(file).toLocaleString('en')} lines/s`,
      `  ratio: ${(100 * rate / file).toFixed(1)}% (target ≥ ${100 * TARGET_RATIO}%), rate target ≥ ${TARGET_RATE.toLocaleString('en')}/s: ${ok ? 'PASS' : 'FAIL'}`,
      `  agent CPU: ${(agentCpu / (LINES / 10_000)).toFixed(1)} ms per 10,000 lines (${Math.round(agentCpu)} ms, task start and stop included)`,
      `  control plane CPU: ${(serverCpu / (LINES / 10_000)).toFixed(1)} ms per 10,000 lines`,
    ].join('\n'));
    return ok ? 0 : 1;
  } finally {
    await stopAllTasks(berth).catch(() => undefined);
    if (agentChild) await stopAgentProcess(agentChild);
    await berth.stop();
    await cleanupHost();
  }
}

async function stopAllTasks(berth: BerthProcess): Promise<void> {
  const call = (op: string, input: unknown) => fetch(berth.endpoint, { method: 'POST', headers: { 'Content-Type': 'application/x-amz-json-1.1', 'X-Amz-Target': `AmazonEC2ContainerServiceV20141113.${op}` }, body: JSON.stringify(input) }).then((r) => r.json() as Promise<{ taskArns?: string[] }>);
  const { taskArns = [] } = await call('ListTasks', { cluster: CLUSTER });
  for (const task of taskArns) await call('StopTask', { cluster: CLUSTER, task });
}

main().then((code) => process.exit(code), (err: unknown) => {
  say(`awslogs bench failed: ${err instanceof Error ? err.stack : String(err)}`);
  process.exit(2);
});
