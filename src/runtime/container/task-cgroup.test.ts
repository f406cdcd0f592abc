import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyTaskCgroup, cgroupLayout, taskCgroupPlan } from './task-cgroup.ts';

test('v1 and hybrid hosts: the task level in the pids hierarchy, with its pids.max', () => {
  assert.deepEqual(taskCgroupPlan('/berth/t1', { pidsMax: 100 }, 'v1'), {
    dirs: ['pids/berth', 'pids/berth/t1'],
    writes: [{ file: 'pids/berth/t1/pids.max', value: '100' }],
  });
});

test('pure v2 hosts: every ancestor passes the pids controller down, then the task level gets pids.max', () => {
  assert.deepEqual(taskCgroupPlan('/berth/t1', { pidsMax: 4194304 }, 'v2'), {
    dirs: ['berth', 'berth/t1'],
    writes: [
      { file: 'cgroup.subtree_control', value: '+pids' },
      { file: 'berth/cgroup.subtree_control', value: '+pids' },
      { file: 'berth/t1/pids.max', value: '4194304' },
    ],
  });
});

test('no limit, nothing to do; a bad limit or path is refused', () => {
  assert.deepEqual(taskCgroupPlan('/berth/t1', {}, 'v2'), { dirs: [], writes: [] });
  assert.throws(() => taskCgroupPlan('/berth/t1', { pidsMax: 0 }, 'v1'), /at least 1/);
  assert.throws(() => taskCgroupPlan('/berth/t1', { pidsMax: 1.5 }, 'v1'), /whole number/);
  assert.throws(() => taskCgroupPlan('berth/t1', { pidsMax: 10 }, 'v1'), /absolute/);
  assert.throws(() => taskCgroupPlan('/', { pidsMax: 10 }, 'v1'), /below the root/);
});

test('applies a plan under a cgroup root of either layout, again without harm, and names a missing pids controller', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-task-cgroup-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const v1 = join(dir, 'v1');
  mkdirSync(join(v1, 'pids'), { recursive: true });
  assert.equal(cgroupLayout(v1), 'v1');
  applyTaskCgroup('/berth/t1', { pidsMax: 64 }, v1);
  applyTaskCgroup('/berth/t1', { pidsMax: 64 }, v1);
  assert.equal(readFileSync(join(v1, 'pids/berth/t1/pids.max'), 'utf8'), '64');

  const v2 = join(dir, 'v2');
  mkdirSync(v2);
  writeFileSync(join(v2, 'cgroup.controllers'), 'cpu memory pids\n');
  assert.equal(cgroupLayout(v2), 'v2');
  applyTaskCgroup('/berth/t2', { pidsMax: 32 }, v2);
  assert.equal(readFileSync(join(v2, 'berth/cgroup.subtree_control'), 'utf8'), '+pids');
  assert.equal(readFileSync(join(v2, 'berth/t2/pids.max'), 'utf8'), '32');

  const none = join(dir, 'none');
  mkdirSync(join(none, 'memory'), { recursive: true });
  assert.throws(() => applyTaskCgroup('/berth/t3', { pidsMax: 8 }, none), /no pids cgroup controller/);
  applyTaskCgroup('/berth/t3', {}, none);
});

test('a task\'s memory and cpu on its own cgroup: v1 in the memory and cpu hierarchies (period before quota), v2 passed down and set', () => {
  const limits = { memoryBytes: 512 * 1024 * 1024, cpu: { quotaUs: 25_000, periodUs: 100_000 } };
  assert.deepEqual(taskCgroupPlan('/berth/t1', limits, 'v1'), {
    dirs: ['memory/berth', 'memory/berth/t1', 'cpu/berth', 'cpu/berth/t1'],
    writes: [
      { file: 'memory/berth/t1/memory.limit_in_bytes', value: String(512 * 1024 * 1024) },
      { file: 'cpu/berth/t1/cpu.cfs_period_us', value: '100000' },
      { file: 'cpu/berth/t1/cpu.cfs_quota_us', value: '25000' },
    ],
  });
  assert.deepEqual(taskCgroupPlan('/berth/t1', { pidsMax: 10, ...limits }, 'v2').writes, [
    { file: 'cgroup.subtree_control', value: '+pids +memory +cpu' },
    { file: 'berth/cgroup.subtree_control', value: '+pids +memory +cpu' },
    { file: 'berth/t1/pids.max', value: '10' },
    { file: 'berth/t1/memory.max', value: String(512 * 1024 * 1024) },
    { file: 'berth/t1/cpu.max', value: '25000 100000' },
  ]);
  assert.throws(() => taskCgroupPlan('/berth/t1', { cpu: { quotaUs: 10, periodUs: 100_000 } }, 'v1'), /at least 1000/);
});
