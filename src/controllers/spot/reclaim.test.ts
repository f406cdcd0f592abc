import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { interruptionAt, reclaim, unitExponential, type ReclaimSettings, type SpotTask } from './reclaim.ts';

const HOUR = 3_600_000;
const T0 = 1_700_000_000_000;

function task(i: number, over: Partial<SpotTask> = {}): SpotTask {
  return {
    key: `k${i}`, modRevision: i + 1, taskArn: `arn:aws:ecs:us-east-1:000000000000:task/c/${String(i).padStart(32, '0')}`,
    lastStatus: 'RUNNING', desiredStatus: 'RUNNING', createdAt: T0 / 1000, startedAt: T0 / 1000, ...over,
  };
}
const settings = (over: Partial<ReclaimSettings> = {}): ReclaimSettings => ({ interruptionsPerHour: 1, seed: 1, capacity: {}, ...over });
const keysOf = (r: ReturnType<typeof reclaim>) => r.interrupt.map((x) => x.task.key).sort();

test('no rate and no capacity: nothing is interrupted, nothing is due', () => {
  const r = reclaim([task(1), task(2)], settings({ interruptionsPerHour: 0 }), T0 + 100 * HOUR);
  assert.deepEqual(r, { interrupt: [] });
});

test('the same seed and tasks give the same interruptions; another seed other ones', () => {
  const tasks = Array.from({ length: 200 }, (_, i) => task(i));
  const a = reclaim(tasks, settings({ seed: 7 }), T0 + HOUR);
  const b = reclaim(tasks, settings({ seed: 7 }), T0 + HOUR);
  const c = reclaim(tasks, settings({ seed: 8 }), T0 + HOUR);
  assert.deepEqual(keysOf(a), keysOf(b));
  assert.equal(a.nextAt, b.nextAt);
  assert.notDeepEqual(keysOf(a), keysOf(c));
});

test('only tasks RUNNING and desired RUNNING are drawn', () => {
  const s = settings({ interruptionsPerHour: 1000 });
  const r = reclaim([task(1, { lastStatus: 'PENDING' }), task(2, { desiredStatus: 'STOPPED' }), task(3, { lastStatus: 'STOPPED' }), task(4)], s, T0 + 10 * HOUR);
  assert.deepEqual(keysOf(r), ['k4']);
});

test('property: the share interrupted within t hours is 1 - exp(-rate × t), as a Poisson process per task', () => {
  const N = 4000;
  fc.assert(fc.property(fc.double({ min: 0.05, max: 20, noNaN: true }), fc.double({ min: 0.01, max: 3, noNaN: true }), fc.integer({ min: 0, max: 0xffffffff }), (rate, hours, seed) => {
    const tasks = Array.from({ length: N }, (_, i) => task(i));
    const got = reclaim(tasks, settings({ interruptionsPerHour: rate, seed }), T0 + hours * HOUR).interrupt.length;
    const p = 1 - Math.exp(-rate * hours);
    const sd = Math.sqrt(N * p * (1 - p));
    // Five standard deviations (plus one for rounding): a false alarm about once in 3.5 million runs.
    return Math.abs(got - N * p) <= 5 * sd + 1;
  }), { numRuns: 40, seed: Number(process.env.BERTH_PROPERTY_SEED ?? 15) });
});

test('property: the mean time to interruption is 1 / rate', () => {
  fc.assert(fc.property(fc.double({ min: 0.1, max: 50, noNaN: true }), fc.integer({ min: 0, max: 0xffffffff }), (rate, seed) => {
    const N = 5000;
    let sum = 0;
    for (let i = 0; i < N; i++) sum += (interruptionAt(task(i), settings({ interruptionsPerHour: rate, seed }))! - T0) / HOUR;
    const mean = sum / N;
    // An exponential's standard deviation equals its mean: the sample mean's is mean / sqrt(N).
    return Math.abs(mean - 1 / rate) <= (5 / rate) / Math.sqrt(N);
  }), { numRuns: 30, seed: Number(process.env.BERTH_PROPERTY_SEED ?? 15) });
});

test('property: how often passes run does not change who is interrupted by when', () => {
  fc.assert(fc.property(fc.array(fc.double({ min: 0, max: 2, noNaN: true }), { minLength: 1, maxLength: 20 }), fc.integer({ min: 0, max: 1000 }), (passes, seed) => {
    const s = settings({ interruptionsPerHour: 2, seed });
    let tasks = Array.from({ length: 100 }, (_, i) => task(i));
    const times = [...passes].sort((a, b) => a - b).map((h) => T0 + h * HOUR);
    const seen = new Set<string>();
    for (const at of times) {
      for (const x of reclaim(tasks, s, at).interrupt) seen.add(x.task.key);
      tasks = tasks.map((t) => (seen.has(t.key) ? { ...t, desiredStatus: 'STOPPED' as const } : t));
    }
    const once = reclaim(Array.from({ length: 100 }, (_, i) => task(i)), s, times[times.length - 1]!);
    return JSON.stringify([...seen].sort()) === JSON.stringify(keysOf(once));
  }), { numRuns: 100, seed: Number(process.env.BERTH_PROPERTY_SEED ?? 15) });
});

test('a settings change restarts every draw from the change', () => {
  const changedAt = T0 + 50 * HOUR;
  const t = task(1);
  const at = interruptionAt(t, settings({ interruptionsPerHour: 0.001, updatedAt: changedAt }))!;
  assert.ok(at > changedAt);
  assert.equal(at, changedAt + (unitExponential(1, t.taskArn, changedAt) / 0.001) * HOUR);
});

test('nextAt is the earliest interruption still to come', () => {
  const tasks = Array.from({ length: 50 }, (_, i) => task(i));
  const s = settings({ interruptionsPerHour: 3 });
  const now = T0 + 0.2 * HOUR;
  const r = reclaim(tasks, s, now);
  const future = tasks.map((t) => interruptionAt(t, s)!).filter((x) => x > now);
  assert.equal(r.nextAt, Math.min(...future));
  assert.ok(reclaim(tasks, s, r.nextAt!).interrupt.length > r.interrupt.length);
});

test('a zone over its capacity loses its newest tasks; other zones and tasks already stopping are left', () => {
  const tasks = [
    task(1, { zone: 'a', createdAt: 10 }), task(2, { zone: 'a', createdAt: 30 }), task(3, { zone: 'a', createdAt: 20, lastStatus: 'PENDING' }),
    task(4, { zone: 'a', createdAt: 40, desiredStatus: 'STOPPED' }), task(5, { zone: 'b', createdAt: 50 }), task(6, { createdAt: 60 }),
  ];
  const r = reclaim(tasks, settings({ interruptionsPerHour: 0, capacity: { a: 1 } }), T0);
  assert.deepEqual(r.interrupt.map((x) => [x.task.key, x.cause]), [['k2', 'capacity'], ['k3', 'capacity']]);
  assert.deepEqual(reclaim(tasks, settings({ interruptionsPerHour: 0, capacity: { a: 0, b: 5 } }), T0).interrupt.map((x) => x.task.key), ['k2', 'k3', 'k1']);
});

test('a task the rate takes does not count against its zone, so the zone loses no more than its excess', () => {
  const tasks = Array.from({ length: 10 }, (_, i) => task(i, { zone: 'a', createdAt: i }));
  const s = settings({ interruptionsPerHour: 1, capacity: { a: 6 } });
  const now = T0 + 0.5 * HOUR;
  const r = reclaim(tasks, s, now);
  const byRate = r.interrupt.filter((x) => x.cause === 'rate').length;
  assert.equal(r.interrupt.length, Math.max(4, byRate));
  assert.equal(new Set(r.interrupt.map((x) => x.task.key)).size, r.interrupt.length, 'no task twice');
});
