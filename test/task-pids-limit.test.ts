// Touches the host: run under flock /tmp/berth-host.lock (bin/test runs host tests one at a time).
// A fork bomb in a task, under crun and runc: `berth up` with a task pids limit (given as
// --task-pids-limit, then as ECS_TASK_PIDS_LIMIT) holds the task at pids.max of its
// cgroup, which both of its containers share; the host stays responsive; the task stops
// and its cgroup goes.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cgroupLayout } from '../src/runtime/container/task-cgroup.ts';
import { CGROUP_ROOT } from '../src/runtime/container/cgroups.ts';
import { AWS_CLIS, aws } from './support/aws-cli.ts';
import { ROOT, startBerth, type BerthProcess } from './support/berth.ts';
import { cleanupHost } from './support/host-cleanup.ts';
import { run } from './support/run.ts';
import { until } from './support/until.ts';

const isRoot = process.getuid?.() === 0;
/** Small, so that the bomb reaches it at once; large enough for the sidecar and the runtime's own init. */
const LIMIT = 64;
/** How long the bomb runs while the test watches it. */
const BOMB_MS = 3000;
/** On a loaded machine the bomb may take longer to reach the limit: watched at most this long. */
const BOMB_MAX_MS = 60_000;
/** A bound on waits for a machine running two test passes on two cores (the agent's registration took over 10 s there); not a speed. */
const WAIT_MS = 120_000;
const cli = AWS_CLIS[0];

// Each side of `f|f &` is a subshell running f again: processes multiply until forks fail
// (EAGAIN at pids.max), and a subshell whose fork failed exits, so the bomb hovers at the
// limit. PID 1 execs sleep, which needs no fork, so the task runs until it is stopped.
const BOMB = 'f() { f | f & }; f; exec sleep 3600';

/** The task's cgroup directory of the pids controller, on this host's layout. */
function pidsDir(taskId: string): string {
  return cgroupLayout() === 'v2' ? join(CGROUP_ROOT, 'berth', taskId) : join(CGROUP_ROOT, 'pids', 'berth', taskId);
}
const readNumber = (file: string) => Number(readFileSync(file, 'utf8').trim());
/** Threads on the host now (the 4th field of /proc/loadavg: running/total); reported only, as other work shares the host. */
const hostThreads = () => Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[3]!.split('/')[1]);

const SETTINGS = [
  { runtime: 'crun', args: ['--task-pids-limit', String(LIMIT)], env: {} },
  { runtime: 'runc', args: [], env: { ECS_TASK_PIDS_LIMIT: String(LIMIT) } },
] as const;

for (const setting of SETTINGS) {
  describe(`${setting.runtime}, limit from ${setting.args.length > 0 ? '--task-pids-limit' : 'ECS_TASK_PIDS_LIMIT'}`, { skip: !isRoot && 'tasks need root' }, () => {
    let berth: BerthProcess | undefined;
    const ecs = <T = Record<string, unknown>>(...args: string[]) => aws<T>(cli, berth!.endpoint, ['ecs', ...args]);

    after(async () => {
      if (berth) {
        const arns = (await ecs<{ taskArns: string[] }>('list-tasks').catch(() => ({ taskArns: [] }))).taskArns;
        for (const t of arns) await ecs('stop-task', '--task', t).catch(() => undefined);
        if (arns.length) await ecs('wait', 'tasks-stopped', '--tasks', ...arns).catch(() => undefined);
        await berth.stop();
      }
      await cleanupHost();
    });

    test('a fork bomb is held at pids.max of its task, the host stays responsive, and the stop cleans up', async () => {
      await cleanupHost();
      const saved = { BERTH_RUNTIME: process.env.BERTH_RUNTIME, ECS_TASK_PIDS_LIMIT: process.env.ECS_TASK_PIDS_LIMIT };
      Object.assign(process.env, { BERTH_RUNTIME: setting.runtime, ...setting.env });
      try {
        berth = await startBerth(setting.args, { agent: true });
      } finally {
        for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k]; else process.env[k] = v;
      }
      await until('the agent registered', async () => berth!.log().includes('registered') || undefined, WAIT_MS, 100);
      assert.match(berth.log(), new RegExp(`registered .* \\(${setting.runtime} `), `the agent runs ${setting.runtime}`);
      const samples = await run(process.execPath, [join(ROOT, 'src/cli/main.ts'), 'image', 'samples', '--endpoint', berth.endpoint]);
      assert.equal(samples.code, 0, samples.stderr);
      await ecs('register-task-definition', '--family', 'forkbomb', '--container-definitions', JSON.stringify([
        { name: 'bomb', image: 'berth/sleep', memory: 64, stopTimeout: 2, command: ['sh', '-c', BOMB] },
        { name: 'sidecar', image: 'berth/sleep', memory: 16, stopTimeout: 2, essential: false },
      ]));

      const threadsBefore = hostThreads();
      const arn = (await ecs<{ tasks: { taskArn: string }[] }>('run-task', '--task-definition', 'forkbomb')).tasks[0]!.taskArn;
      await ecs('wait', 'tasks-running', '--tasks', arn);
      const taskId = arn.slice(arn.lastIndexOf('/') + 1);
      const dir = pidsDir(taskId);
      assert.equal(readNumber(join(dir, 'pids.max')), LIMIT, 'the limit is on the task\'s cgroup');
      for (const c of ['bomb', 'sidecar']) {
        assert.equal(readFileSync(join(dir, c, 'pids.max'), 'utf8').trim(), 'max', `${c} has no limit of its own: it shares the task's`);
      }

      let most = 0;
      // Host commands are run all the while: each must still fork and succeed (the bomb is held in
      // its cgroup). How long they take is printed, not judged: on a CI machine at load 20 it is
      // the load's figure, not the bomb's.
      let slowest = 0;
      let threadsMost = 0;
      // The kernel counts a refused fork in pids.events of the forking process's own cgroup:
      // that the limit was reached is the refusals (a sample of pids.current every 100 ms can
      // miss the moment: shells whose forks fail exit, and the count falls back).
      const refusedForks = () => [dir, join(dir, 'bomb')].reduce((n, d) => n + Number(/^max (\d+)$/m.exec(readFileSync(join(d, 'pids.events'), 'utf8'))?.[1] ?? 0), 0);
      // At least BOMB_MS, and on until the kernel has refused a fork (at most BOMB_MAX_MS).
      const start = Date.now();
      for (; Date.now() - start < BOMB_MS || (refusedForks() === 0 && Date.now() - start < BOMB_MAX_MS);) {
        most = Math.max(most, readNumber(join(dir, 'pids.current')));
        threadsMost = Math.max(threadsMost, hostThreads());
        const t0 = performance.now();
        assert.equal(spawnSync('true').status, 0, 'a host command forks and succeeds while the bomb runs');
        slowest = Math.max(slowest, performance.now() - t0);
        await new Promise((r) => setTimeout(r, 100));
      }
      const refused = refusedForks();
      console.log(`${setting.runtime}: pids.current peaked at ${most} of ${LIMIT}, ${refused} forks refused, host threads ${threadsBefore} -> ${threadsMost} at most, slowest host command ${slowest.toFixed(1)} ms`);
      assert.ok(refused > 0, 'the bomb reached the limit: forks past it were refused');
      assert.ok(most <= LIMIT, `pids.current never went past the limit (peak ${most} of ${LIMIT})`);
      const described = await ecs<{ tasks: { lastStatus: string }[] }>('describe-tasks', '--tasks', arn);
      assert.equal(described.tasks[0]!.lastStatus, 'RUNNING', 'the control plane answers, the task still runs');

      await ecs('stop-task', '--task', arn);
      await ecs('wait', 'tasks-stopped', '--tasks', arn);
      assert.equal(existsSync(dir), false, 'the task\'s cgroup is gone');
    });
  });
}
