import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LazySorted, MAX_ADDED_SLACK } from './lazy-sorted.ts';

/** A small deterministic generator, so a failure repeats. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    return x / 2 ** 32;
  };
}

test('LazySorted answers what a sorted map would, through random sets, deletes and reads in between', () => {
  for (let seed = 1; seed <= 40; seed++) {
    const r = rng(seed);
    const lazy = new LazySorted<number>();
    const model = new Map<string, number>();
    // Few distinct keys, so keys are deleted and set again while an order is held.
    const keySpace = 5 + Math.floor(r() * 200);
    for (let step = 0; step < 2_000; step++) {
      const op = r();
      const key = `k${Math.floor(r() * keySpace).toString(16).padStart(3, '0')}`;
      if (op < 0.5) { lazy.set(key, step); model.set(key, step); }
      else if (op < 0.8) assert.equal(lazy.delete(key), model.delete(key));
      else {
        const sorted = [...model.keys()].sort();
        const from = r() < 0.5 ? undefined : `k${Math.floor(r() * keySpace).toString(16).padStart(3, '0')}`;
        const want = sorted.filter((k) => from === undefined || k >= from).map((k) => [k, model.get(k)]);
        assert.deepEqual([...lazy.entries(from)], want, `seed ${seed} step ${step} from ${from}`);
        assert.deepEqual(lazy.valuesArray(), sorted.map((k) => model.get(k)), `seed ${seed} step ${step}`);
      }
      assert.equal(lazy.size, model.size);
      assert.equal(lazy.get(key), model.get(key));
    }
  }
});

test('LazySorted: a walk reads the order as it was when it began; keys deleted meanwhile are skipped', () => {
  const lazy = new LazySorted<string>();
  for (const k of ['a', 'b', 'c', 'd']) lazy.set(k, k.toUpperCase());
  const seen: string[] = [];
  for (const [k] of lazy.entries()) {
    seen.push(k);
    if (k === 'a') { lazy.delete('c'); lazy.set('bb', 'BB'); }
  }
  assert.deepEqual(seen, ['a', 'b', 'd']);
  assert.deepEqual([...lazy.entries()].map(([k]) => k), ['a', 'b', 'bb', 'd']);
});

test('LazySorted: keys churned with no read in between do not pile up (the held order is dropped)', () => {
  const lazy = new LazySorted<number>();
  lazy.set('x', 0);
  assert.deepEqual(lazy.valuesArray(), [0]);
  for (let i = 0; i < 10 * MAX_ADDED_SLACK; i++) { lazy.set(`t${i}`, i); lazy.delete(`t${i}`); }
  assert.ok(lazy.held().added + lazy.held().removed <= 1 + MAX_ADDED_SLACK + 1, JSON.stringify(lazy.held()));
  assert.deepEqual([...lazy.entries()], [['x', 0]]);
  lazy.set('w', 1);
  assert.deepEqual([...lazy.entries('w')], [['w', 1], ['x', 0]]);
});
