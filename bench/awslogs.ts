/**
 * The awslogs log driver (issue 16's Performance section): lines per second from one
 * container through the driver (the agent follows conmon's file, batches, sends over its
 * session; the control plane stores each batch durably) next to the same line generator in
 * the same image writing the same lines to a file on the container's disk (one fdatasync),
 * in the same run; the agent's CPU per 10,000 lines. Targets: ≥ 100,000 lines/s and ≥ 25%
 * of the file rate.
 *
 *   bin/bench awslogs [--lines N] [--kill]
 *
 * --lines: default 1,000,000 (about 50 MB of conmon's records: what conmon used to rotate
 * five times). --kill: the agent is killed with SIGKILL once a third is stored and started
 * again (it resumes from its position): every line must still be there exactly once (the
 * rate then includes the restart, so it is not a throughput figure).
 *
 * A real `berth up --no-agent` and a `berth agent` beside it (so the agent's CPU is its
 * own), a task of the sample image printing `line 1` … `line N` (`seq | sed`). The rate is
 * N over the time from the first line's timestamp (conmon's) to the last event's ingestion
 * time (when the control plane acknowledged it durable). Every line is checked to be there,
 * once, in order. The file rate: a task of the same image runs `seq | sed > /tmp/lines;
 * sync -d /tmp/lines` between two echoes whose conmon timestamps bound it. As root, under
 * `flock /tmp/berth-bench.lock flock /tmp/berth-host.lock`.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startAgentProcess, stopAgentProcess } from '../test/support/agent-process.ts';
import { ROOT, startBerth, type BerthProcess } from '../test/support/berth.ts';
import { cleanupHost } from '../test/support/host-cleanup.ts';
import { run } from '../test/support/run.ts';
import { cpuSnapshot } from './lib/cpu-usage.ts';
import { backgroundCores } from './lib/machine.ts';
import { tempDir } from './lib/processes.ts';

const { values } = parseArgs({ options: { lines: { type: 'string', default: '1000000' }, kill: { type: 'boolean', default: false } } });
const LINES = Number(values.lines);
const TARGET_RATE = 100_000;
const TARGET_RATIO = 0.25;
const CLUSTER = 'awslogs-bench';
const GROUP = '/bench/awslogs';
const dir = tempDir('berth-bench-awslogs-');
const say = (line: string) => process.stderr.write(`${line}\n`);

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

    const startTask = async (family: string, command: string, prefix: string): Promise<string> => {
      await ecs('RegisterTaskDefinition', { family, containerDefinitions: [{
        name: 'app', image: 'berth/sleep', memory: 128, command: ['sh', '-c', command],
        logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-group': GROUP, 'awslogs-region': 'us-east-1', 'awslogs-stream-prefix': prefix, 'awslogs-create-group': 'true', mode: 'blocking' } },
      }] });
      // The agent prints its instance before its session is up: until then RunTask fails with reason AGENT.
      for (const until = Date.now() + 30_000; ;) {
        const ran = await ecs<{ tasks: { taskArn: string }[]; failures: { reason?: string }[] }>('RunTask', { cluster: CLUSTER, taskDefinition: family });
        if (ran.tasks[0]) return ran.tasks[0].taskArn;
        if (ran.failures[0]?.reason !== 'AGENT' || Date.now() > until) throw new Error(`RunTask ${family}: ${JSON.stringify(ran.failures)}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    };
    const stopped = async (taskArn: string): Promise<void> => {
      for (;;) {
        const t = (await ecs<{ tasks: { lastStatus: string; stopCode?: string }[] }>('DescribeTasks', { cluster: CLUSTER, tasks: [taskArn] })).tasks[0]!;
        if (t.lastStatus === 'STOPPED') { assert.equal(t.stopCode, 'EssentialContainerExited'); return; }
        await new Promise((r) => setTimeout(r, 200));
      }
    };
    const streamOf = (prefix: string, taskArn: string) => `${prefix}/app/${taskArn.slice(taskArn.lastIndexOf('/') + 1)}`;
    type Page = { events: { message: string; timestamp: number; ingestionTime: number }[]; nextForwardToken: string };
    const page = (stream: string, token?: string, limit?: number) => logs<Page>('GetLogEvents', { logGroupName: GROUP, logStreamName: stream, startFromHead: true, ...(token && { nextToken: token }), ...(limit && { limit }) });

    // The fair baseline: the same generator, image and container, writing to its own disk.
    const baseline = await startTask('awslogs-bench-file', `echo start; seq 1 ${LINES} | sed "s/^/line /" > /tmp/lines; sync -d /tmp/lines; echo end`, 'file');
    await stopped(baseline);
    const marks = (await page(streamOf('file', baseline))).events;
    assert.deepEqual(marks.map((e) => e.message), ['start', 'end']);
    const file = LINES / (Math.max(1, marks[1]!.timestamp - marks[0]!.timestamp) / 1000);
    say(`file: ${Math.round(file).toLocaleString('en')} lines/s (${LINES.toLocaleString('en')} lines by seq | sed to /tmp in the container, one fdatasync)`);

    const agentCpu0 = cpuSnapshot(agent.child.pid!).selfMs;
    const serverCpu0 = cpuSnapshot(berth.pid()).selfMs;
    const taskArn = await startTask('awslogs-bench', `seq 1 ${LINES} | sed "s/^/line /"`, 'bench');
    const stream = streamOf('bench', taskArn);
    let killedAt = 0;
    if (values.kill) {
      // Killed once a third is stored, started again a second later: it resumes from its position.
      for (;;) {
        const newest = (await logs<Page>('GetLogEvents', { logGroupName: GROUP, logStreamName: stream, limit: 1 }).catch(() => ({ events: [] }) as unknown as Page)).events[0];
        killedAt = Number(newest?.message.slice('line '.length) ?? 0);
        if (killedAt > LINES / 3) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      agent.child.kill('SIGKILL');
      await new Promise((r) => agent.child.once('exit', r));
      await new Promise((r) => setTimeout(r, 1_000));
      const again = await startAgentProcess({ endpoint: berth.endpoint, cluster: CLUSTER, dataDir: join(dir, 'agent') });
      agentChild = again.child;
      if (!again.arn) throw new Error(again.out);
      say(`agent killed (SIGKILL) with ${killedAt.toLocaleString('en')} lines stored, and started again`);
    }
    await stopped(taskArn);
    const agentCpu = values.kill ? NaN : cpuSnapshot(agent.child.pid!).selfMs - agentCpu0;
    const serverCpu = cpuSnapshot(berth.pid()).selfMs - serverCpu0;

    // Every line, once, in order.
    let n = 0, first = 0, lastTs = 0, lastIngestion = 0;
    let token: string | undefined;
    for (;;) {
      const p = await page(stream, token);
      for (const e of p.events) {
        n++;
        if (e.message !== `line ${n}`) throw new Error(`event ${n} is '${e.message}'`);
        if (n === 1) first = e.timestamp;
        lastTs = e.timestamp;
        lastIngestion = Math.max(lastIngestion, e.ingestionTime);
      }
      if (p.nextForwardToken === token) break;
      token = p.nextForwardToken;
    }
    if (n !== LINES) throw new Error(`${n} events stored for ${LINES} lines`);
    const seconds = (lastIngestion - first) / 1000;
    const rate = LINES / seconds;
    const written = LINES / Math.max(0.001, (lastTs - first) / 1000);
    const ok = !values.kill && rate >= TARGET_RATE && rate / file >= TARGET_RATIO;
    say(`container (seq | sed → conmon's file): ${Math.round(written).toLocaleString('en')} lines/s by conmon's timestamps`);
    console.log([
      `awslogs driver, ${LINES.toLocaleString('en')} lines, exactly once and in order${values.kill ? `, the agent killed (SIGKILL) at line ${killedAt.toLocaleString('en')}` : ''} (background load ${busy.toFixed(1)} cores)`,
      `  through the driver to durable storage: ${Math.round(rate).toLocaleString('en')} lines/s (first line written → last acknowledged ${seconds.toFixed(2)} s)`,
      `  file write, same lines, same container: ${Math.round(file).toLocaleString('en')} lines/s`,
      values.kill ? '  (the rate includes the agent\'s restart: not a throughput figure; what --kill checks is exactly once)' : `  ratio: ${(100 * rate / file).toFixed(1)}% (target ≥ ${100 * TARGET_RATIO}%), rate target ≥ ${TARGET_RATE.toLocaleString('en')}/s: ${ok ? 'PASS' : 'FAIL'}`,
      values.kill ? '  agent CPU: not measured (two agents)' : `  agent CPU: ${(agentCpu / (LINES / 10_000)).toFixed(1)} ms per 10,000 lines (${Math.round(agentCpu)} ms, task start and stop included)`,
      `  control plane CPU: ${(serverCpu / (LINES / 10_000)).toFixed(1)} ms per 10,000 lines`,
    ].join('\n'));
    return ok || values.kill ? 0 : 1;
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
