import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Lru } from './lru.ts';

test('forgets the least recently used entry when full', () => {
  const c = new Lru<string, number>(2);
  c.set('a', 1);
  c.set('b', 2);
  assert.equal(c.get('a'), 1);
  c.set('c', 3);
  assert.equal(c.get('b'), undefined);
  assert.equal(c.get('a'), 1);
  assert.equal(c.get('c'), 3);
  assert.equal(c.size, 2);
});

test('a weight budget stops the cache growing: it never holds more than maxWeight', () => {
  const c = new Lru<number, string>({ maxEntries: 1_000_000, maxWeight: 1_000, weigh: (v) => v.length });
  for (let i = 0; i < 10_000; i++) {
    c.set(i, 'x'.repeat(1 + (i % 97)));
    assert.ok(c.weight <= 1_000, `weight ${c.weight} after ${i + 1} entries`);
  }
  assert.ok(c.size < 1_000);
  // The newest entries are the ones kept, each with its own value.
  assert.equal(c.get(9_999), 'x'.repeat(1 + (9_999 % 97)));
  assert.equal(c.get(0), undefined);
});

test('the weight follows replacements and deletions exactly', () => {
  const c = new Lru<string, string>({ maxEntries: 10, maxWeight: 100, weigh: (v, k) => v.length + k.length });
  c.set('a', 'xxxx');
  c.set('b', 'yy');
  assert.equal(c.weight, 8);
  c.set('a', 'z');
  assert.equal(c.weight, 5);
  c.delete('b');
  c.delete('missing');
  assert.equal(c.weight, 2);
  assert.equal(c.size, 1);
});

test('an entry heavier than the whole budget is not kept, and evicts nothing', () => {
  const c = new Lru<string, string>({ maxEntries: 10, maxWeight: 10, weigh: (v) => v.length });
  c.set('a', 'xxxx');
  c.set('big', 'y'.repeat(11));
  assert.equal(c.get('big'), undefined);
  assert.equal(c.get('a'), 'xxxx');
  // A replacement too heavy to keep drops the old value: the cache never answers stale.
  c.set('a', 'y'.repeat(11));
  assert.equal(c.get('a'), undefined);
  assert.equal(c.weight, 0);
});

test('a recently read entry outlives older ones under a weight budget; peek does not refresh', () => {
  const c = new Lru<string, string>({ maxEntries: 10, maxWeight: 3, weigh: (v) => v.length });
  c.set('a', '1');
  c.set('b', '2');
  c.set('c', '3');
  c.get('a');
  c.peek('b');
  c.set('d', '4');
  assert.equal(c.has('b'), false);
  assert.deepEqual(['a', 'c', 'd'].map((k) => c.get(k)), ['1', '3', '4']);
});
