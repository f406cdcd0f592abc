/**
 * A Fargate task's boundary, start and memory (issue 15 item 3): a one-container task
 * started in its own gVisor sandbox the way the agent does it (ephemeral disk, pause
 * container, member create + start: src/runtime/sandbox), next to a raw `runsc create +
 * start` of the same root filesystem in the same run, and next to an EC2-mode start
 * (Container.create + start: conmon and crun). Then the RSS of an idle task: the sandbox's
 * processes (Sentry, file proxies) next to the EC2 container's (its process and its conmon).
 * The Fargate start is also shown step by step (where its time over a raw runsc start goes).
 * As root, under `flock /tmp/berth-bench.lock flock /tmp/berth-host.lock`.
 *
 *   bin/bench fargate-start [--runs N]
 */

import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { findExecutable } from '../src/lib/executables.ts';
import { launch } from '../src/lib/launcher.ts';
import { Container, findRuntime } from '../src/runtime/container/index.ts';
import { RuntimeFixture } from '../src/runtime/container/testing/fixtures.ts';
import { writeJsonAtomic } from '../src/runtime/container/state-dir.ts';
import { GvisorBackend } from '../src/runtime/sandbox/gvisor.ts';
import { pauseSpec, taskResources } from '../src/runtime/sandbox/gvisor-spec.ts';
import { processesIn } from '../src/runtime/sandbox/leftovers.ts';
import { msPair, summarize } from './lib/latency-stats.ts';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '10' } } });
const RUNS = Number(values.runs);
const IDLE = ['sh', '-c', 'exec sleep 3600'];

const rssKiB = (pid: number): number => {
  try {
    return Number(/^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
};

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('run as root');
  const runscBinary = findExecutable('runsc');
  if (!runscBinary) throw new Error('runsc is not installed (scripts/backports-packages.txt)');
  const fx = await RuntimeFixture.create('berth-bench-fg');
  try {
    const { rootfs, config } = await fx.rootfs('busybox');
    const runsc = { binary: runscBinary, root: join(fx.runDir, 'runsc'), platform: 'systrap' as const, unshare: findExecutable('unshare')! };
    // Each step of a Fargate start, per run: the backend's own steps, and the member's create and start.
    const steps = new Map<string, number[]>();
    const step = (name: string, ms: number) => {
      steps.set(name, [...(steps.get(name) ?? []), ms]);
    };
    const backend = new GvisorBackend({ runsc, runDir: fx.runDir, pauseBinary: '/usr/bin/catatonit', onStep: step });
    const crun = await findRuntime({ runDir: fx.runDir });
    const fargate: number[] = [];
    const raw: number[] = [];
    const rawNoQuota: number[] = [];
    const ec2: number[] = [];
    let sandboxRss = 0;
    let containerRss = 0;

    for (let i = 0; i < RUNS; i++) {
      // Fargate: the agent's path, from nothing to the container running in its sandbox.
      const task = { taskId: `bfg${i}`, dir: join(fx.work, `task${i}`), cgroupPath: `${fx.cgroupParent}/t${i}`, cpuUnits: 256, memoryMiB: 512, ephemeralStorageGiB: 20, hostname: 'h' };
      let t0 = performance.now();
      const sandbox = await backend.open(task);
      const t1 = performance.now();
      const member = await sandbox.createContainer({
        id: `bfg${i}-app`, stateDir: join(task.dir, 'containers', 'app'), runtime: crun, cgroupParent: fx.cgroupParent,
        cgroupsPath: `${task.cgroupPath}/app`, logPath: join(task.dir, 'logs', 'app.log'), rootfsPath: rootfs, image: config,
        definition: { command: IDLE }, network: { mode: 'none' }, defaultHostname: 'h',
      });
      const t2 = performance.now();
      await member.start();
      const t3 = performance.now();
      step('member create (bundle + runsc create)', t2 - t1);
      step('member start', t3 - t2);
      fargate.push(t3 - t0);
      if (i === 0) sandboxRss = processesIn(task.cgroupPath).reduce((s, p) => s + rssKiB(p), 0);
      await member.delete();
      await sandbox.destroy();

      // Raw: runsc create + start of the same root filesystem, no network, nothing else;
      // with the task's CPU quota from create, and without it (as the Fargate start has
      // none until its first container runs: gvisor-spec.ts taskCpuQuota).
      for (const [name, cpu, samples] of [[`raw${i}`, 256, raw], [`rawnq${i}`, undefined, rawNoQuota]] as const) {
        const bundle = join(fx.work, name);
        const spec = pauseSpec({ taskId: name, cgroupPath: `${fx.cgroupParent}/${name}`, hostname: 'h', cpuUnits: 256, memoryMiB: 512 }, rootfs);
        spec.process.args = IDLE;
        delete spec.annotations;
        if (cpu !== undefined) spec.linux.resources.cpu = taskResources(cpu, undefined).cpu;
        mkdirSync(bundle, { recursive: true });
        writeJsonAtomic(join(bundle, 'config.json'), spec);
        const flags = ['--root', runsc.root, '--platform=systrap', '--network=none'];
        t0 = performance.now();
        await launch(runscBinary, [...flags, 'create', '--bundle', bundle, name]);
        await launch(runscBinary, [...flags, 'start', name]);
        samples.push(performance.now() - t0);
        await launch(runscBinary, [...flags, 'delete', '--force', name]);
      }

      // EC2: one container under conmon with crun, as the agent starts an EC2 task's.
      t0 = performance.now();
      const c = await Container.create(fx.options(`ec2${i}`, { rootfsPath: rootfs, image: config, definition: { command: IDLE } }, crun));
      await c.start();
      ec2.push(performance.now() - t0);
      if (i === 0) containerRss = rssKiB(c.pid) + rssKiB(c.conmonPid() ?? 0);
      await c.delete();
    }

    const f = summarize(fargate);
    const r = summarize(raw);
    const rq = summarize(rawNoQuota);
    const e = summarize(ec2);
    const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
    process.stdout.write(`fargate-start: ${RUNS} runs each, load average ${load}\n\n`);
    const vs = (s: typeof f) => `${(s.p50 / r.p50).toFixed(2)}× | ${(s.p50 / rq.p50).toFixed(2)}×`;
    process.stdout.write('| start (to the process running), 0.25 vCPU | p50/p95 ms | vs raw runsc | vs raw, no CPU quota |\n|---|---:|---:|---:|\n');
    process.stdout.write(`| Fargate: sandbox (disk, pause) + member | ${msPair(f)} | ${vs(f)} |\n`);
    process.stdout.write(`| raw runsc create + start (CPU quota from create) | ${msPair(r)} | ${vs(r)} |\n`);
    process.stdout.write(`| raw runsc create + start, no CPU quota | ${msPair(rq)} | ${vs(rq)} |\n`);
    process.stdout.write(`| EC2: conmon + crun | ${msPair(e)} | ${vs(e)} |\n\n`);
    process.stdout.write('| Fargate start, step by step (the disk and the pause run side by side) | p50/p95 ms |\n|---|---:|\n');
    for (const [name, ms] of steps) process.stdout.write(`| ${name} | ${msPair(summarize(ms))} |\n`);
    process.stdout.write('\n');
    process.stdout.write(`| idle task RSS | MiB |\n|---|---:|\n| Fargate sandbox (Sentry + file proxies) | ${(sandboxRss / 1024).toFixed(1)} |\n| EC2 container (process + conmon) | ${(containerRss / 1024).toFixed(1)} |\n`);
  } finally {
    await fx.cleanup();
    const leaks = fx.leaks();
    if (leaks.length > 0) process.stderr.write(`left behind: ${leaks.join(', ')}\n`);
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`fargate-start: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
  process.exit(2);
});
