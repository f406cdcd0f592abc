// Touches the host: run under flock /tmp/berth-host.lock (bin/test runs host tests one at a time).
// Task networking set up and torn down many times over, one after another per mode and then
// in a concurrent burst: every setup succeeds, every teardown leaves nothing behind. The
// timings are printed as diagnostics only; the figures that are judged come from
// `bin/bench task-start` (its network phase), next to a baseline measured in the same run —
// a timed test fails on a busy CI machine, not on a regression. Runs on a simulated host
// namespace, which costs one more `ip` process per setup and per teardown than the real host
// path (`netns add`/`del` cannot run under `ip -n`).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeCgroup2 } from '../src/runtime/container/cgroup2.ts';
import { createNetworkManager, type NetworkManager, type TaskNetworkRequest } from '../src/runtime/network/index.ts';
import { SimHosts, tearDownNetworkTest } from '../src/runtime/network/testing/sim-host.ts';

const PREFIX = `bs${process.pid % 100000}-`;
/** Tasks per measured series. */
const TASKS = 50;
/** Parallel setups in the burst: what an agent starting a RunTask of count 10 on 2 cores might do. */
const BURST_CONCURRENCY = 8;

const sim = new SimHosts(PREFIX);
/** Host-mode tasks' cgroups (the loopback guard names them): a level of the test's own. */
const HOST_CGROUP_TOP = `${PREFIX}cg`;
const stateDir = mkdtempSync(join(tmpdir(), 'berth-net-speed-'));
let m: NetworkManager;

before(async () => {
  await sim.create([]);
  m = await createNetworkManager({ stateDir, hostNetns: sim.host, netnsPrefix: `${PREFIX}t-`, portsInUse: () => new Set() });
});

after(async () => {
  await tearDownNetworkTest(m, sim, stateDir, PREFIX, HOST_CGROUP_TOP);
});

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * p))] ?? NaN;
}

const fmt = (n: number): string => n.toFixed(1);

function request(i: number, mode: TaskNetworkRequest['mode']): TaskNetworkRequest {
  const ports = mode === 'bridge' ? [{ containerPort: 80 }] : mode === 'host' ? [{ containerPort: 20000 + i }] : [];
  if (mode !== 'host') return { taskId: `speed-${mode}-${i}`, mode, containers: [{ name: 'app', portMappings: ports }] };
  const cgroup = `/${HOST_CGROUP_TOP}/${i}`;
  makeCgroup2(cgroup);
  return { taskId: `speed-${mode}-${i}`, mode, cgroup, containers: [{ name: 'app', portMappings: ports }] };
}

for (const mode of ['bridge', 'awsvpc', 'none', 'host'] as const) {
  test(`${mode}: setup and teardown of ${TASKS} tasks, one after another`, async (t) => {
    const setup: number[] = [];
    const teardown: number[] = [];
    for (let i = 0; i < TASKS; i++) {
      const t0 = performance.now();
      await m.setupTask(request(i, mode));
      const t1 = performance.now();
      assert.deepEqual(m.listTasks().map((x) => x.taskId), [`speed-${mode}-${i}`]);
      await m.teardownTask(`speed-${mode}-${i}`);
      setup.push(t1 - t0);
      teardown.push(performance.now() - t1);
    }
    const both = setup.map((s, i) => s + (teardown[i] ?? 0));
    t.diagnostic(`${mode}: setup p50 ${fmt(pct(setup, 0.5))} ms p95 ${fmt(pct(setup, 0.95))} ms; teardown p50 ${fmt(pct(teardown, 0.5))} ms p95 ${fmt(pct(teardown, 0.95))} ms; setup+teardown p50 ${fmt(pct(both, 0.5))} ms`);
    assert.deepEqual(m.listTasks(), []);
  });
}

test(`bridge: a burst of ${TASKS} setups, ${BURST_CONCURRENCY} at a time, then their teardowns`, async (t) => {
  const ids = Array.from({ length: TASKS }, (_, i) => i);
  const inBatches = async (work: (i: number) => Promise<unknown>): Promise<number> => {
    const t0 = performance.now();
    let next = 0;
    await Promise.all(Array.from({ length: BURST_CONCURRENCY }, async () => {
      while (next < ids.length) await work(next++);
    }));
    return performance.now() - t0;
  };
  const up = await inBatches((i) => m.setupTask(request(1000 + i, 'bridge')));
  assert.equal(m.listTasks().length, TASKS);
  const down = await inBatches((i) => m.teardownTask(`speed-bridge-${1000 + i}`));
  const rate = (TASKS * 1000) / up;
  t.diagnostic(`burst: ${fmt(rate)} setups/s (${fmt(up)} ms), ${fmt((TASKS * 1000) / down)} teardowns/s (${fmt(down)} ms)`);
  assert.deepEqual(m.listTasks(), []);
});
