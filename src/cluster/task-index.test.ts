import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LazySorted } from './lazy-sorted.ts';
import { DENSE_SHARE, MIN_DENSE_TASKS, SPARSE_SHARE, TaskIndex } from './task-index.ts';
import type { TaskSummary } from './types.ts';

/** A small deterministic generator, so a failure repeats. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    return x / 2 ** 32;
  };
}

/** Only the fields the index reads: the id and the indexed value (as `group`). */
const summary = (id: string, group: string) => ({ id, group }) as unknown as TaskSummary;

test('a task index answers what a per-value sorted map would, across dense and sparse buckets', () => {
  for (let seed = 1; seed <= 6; seed++) {
    const r = rng(seed);
    const all = new LazySorted<TaskSummary>();
    const index = new TaskIndex(all, (s) => s.group);
    const model = new Map<string, string>();
    const seen = { dense: false, backToSparse: false };
    // Phases: one value takes most tasks (dense), then the others grow past it (sparse again).
    const phases = [
      { steps: 4 * MIN_DENSE_TASKS, weights: [0.9, 0.05, 0.05] },
      { steps: 8 * MIN_DENSE_TASKS, weights: [0.02, 0.49, 0.49] },
    ];
    let step = 0;
    for (const phase of phases) {
      for (let n = 0; n < phase.steps; n++, step++) {
        const id = `t${Math.floor(r() * 6 * MIN_DENSE_TASKS).toString(16).padStart(5, '0')}`;
        const op = r();
        const pick = r();
        const value = pick < phase.weights[0]! ? 'a' : pick < phase.weights[0]! + phase.weights[1]! ? 'b' : 'c';
        const old = model.get(id);
        // The caller's contract: `all` first on a set, `all` last on a delete.
        if (op < 0.8) {
          all.set(id, summary(id, value));
          model.set(id, value);
          if (old !== undefined && old !== value) index.delete(old, id);
          index.set(value, summary(id, value), old === value);
        } else if (old !== undefined) {
          all.delete(id);
          model.delete(id);
          index.delete(old, id);
        }
        if (index.isDense('a')) seen.dense = true;
        if (n % 997 !== 0) continue;
        for (const v of ['a', 'b', 'c', 'd']) {
          const want = [...model].filter(([, x]) => x === v).map(([k]) => k).sort();
          const from = r() < 0.5 ? undefined : `t${Math.floor(r() * 6 * MIN_DENSE_TASKS).toString(16).padStart(5, '0')}`;
          assert.equal(index.size(v), want.length, `seed ${seed} step ${step} size of ${v}`);
          assert.equal(index.has(v), want.length > 0, `seed ${seed} step ${step} has ${v}`);
          assert.deepEqual([...index.entries(v, from)].map(([k, s]) => [k, s.group]), want.filter((k) => from === undefined || k >= from).map((k) => [k, v]), `seed ${seed} step ${step} entries of ${v} from ${from}`);
          assert.deepEqual(index.values(v).map((s) => s.id), want, `seed ${seed} step ${step} values of ${v}`);
        }
        if (seen.dense && !index.isDense('a')) seen.backToSparse = true;
      }
    }
    assert.ok(seen.dense, `seed ${seed}: a value held by most tasks went dense`);
    assert.ok(seen.backToSparse, `seed ${seed}: and sparse again once read below ${SPARSE_SHARE} of the tasks`);
  }
});

test('a bucket goes dense only past both MIN_DENSE_TASKS and DENSE_SHARE, and a walk reads at most 1/SPARSE_SHARE entries per match', () => {
  const all = new LazySorted<TaskSummary>();
  const index = new TaskIndex(all, (s) => s.group);
  const put = (id: string, v: string) => { all.set(id, summary(id, v)); index.set(v, summary(id, v), false); };
  for (let n = 0; n < MIN_DENSE_TASKS - 1; n++) put(`a${String(n).padStart(5, '0')}`, 'a');
  assert.equal(index.isDense('a'), false, 'every task but fewer than MIN_DENSE_TASKS: sparse');
  put('a99999', 'a');
  assert.equal(index.isDense('a'), true);
  // Other values join until 'a' holds less than SPARSE_SHARE: read, it is sparse again.
  const others = Math.ceil(MIN_DENSE_TASKS * (1 / SPARSE_SHARE - 1)) + 1;
  for (let n = 0; n < others; n++) put(`b${String(n).padStart(5, '0')}`, 'b');
  assert.ok(index.size('a') < SPARSE_SHARE * all.size && index.size('b') >= DENSE_SHARE * all.size);
  assert.equal(index.isDense('a'), true, 'nothing moves until a read');
  assert.equal(index.values('a').length, MIN_DENSE_TASKS);
  assert.equal(index.isDense('a'), false);
  assert.equal(index.isDense('b'), true);
  assert.deepEqual(index.values('b').map((s) => s.id), [...all.entries()].filter(([k]) => k.startsWith('b')).map(([k]) => k));
});
