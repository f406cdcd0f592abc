import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KeyedBatcher } from './keyed-batcher.ts';

test('items submitted while a batch runs go together in the next batch', async () => {
  const batches: number[][] = [];
  const b = new KeyedBatcher<number, number>(async (_key, items) => {
    batches.push([...items]);
    await new Promise((r) => setTimeout(r, 5));
    return items.map((i) => i * 10);
  });
  const results = await Promise.all([1, 2, 3, 4].map((i) => b.submit('k', i)));
  assert.deepEqual(results, [10, 20, 30, 40]);
  assert.deepEqual(batches, [[1], [2, 3, 4]]);
});

test('keys are batched independently, and one failing item fails alone', async () => {
  const b = new KeyedBatcher<number, number>(async (_key, items) => items.map((i) => (i < 0 ? new Error('negative') : i)));
  const [a, bad, c] = await Promise.allSettled([b.submit('x', 1), b.submit('x', -1), b.submit('y', 3)]);
  assert.deepEqual(a, { status: 'fulfilled', value: 1 });
  assert.equal(bad.status, 'rejected');
  assert.deepEqual(c, { status: 'fulfilled', value: 3 });
});

test('a batch that throws rejects its items and the next batch still runs', async () => {
  let calls = 0;
  const b = new KeyedBatcher<number, number>(async (_key, items) => {
    if (calls++ === 0) throw new Error('boom');
    return [...items];
  });
  await assert.rejects(b.submit('k', 1), /boom/);
  assert.equal(await b.submit('k', 2), 2);
});

test('a batch capped by weight takes queued items while they fit (at least one); the rest go next', async () => {
  const batches: number[][] = [];
  const b = new KeyedBatcher<number, number>(async (_key, items) => {
    batches.push([...items]);
    await new Promise((r) => setTimeout(r, 5));
    return [...items];
  }, { maxWeight: 10, weigh: (i) => i });
  const results = await Promise.all([1, 4, 5, 2, 12, 3].map((i) => b.submit('k', i)));
  assert.deepEqual(results, [1, 4, 5, 2, 12, 3]);
  // 1 alone (nothing queued yet); then 4+5 (≤ 10), 2 would pass it; 2 alone (12 would); 12 alone, over the cap; then 3.
  assert.deepEqual(batches, [[1], [4, 5], [2], [12], [3]]);
});

test('keyed batcher: with maxInFlight 2, a released batch lets the next one run beside it, never a third; each answers when its own run ends', async () => {
  const log: string[] = [];
  const ends = new Map<string, () => void>();
  let running = 0;
  let most = 0;
  const b = new KeyedBatcher<number, number>(async (_key, items, control) => {
    const name = items.join('+');
    most = Math.max(most, ++running);
    log.push(`start ${name}`);
    // Released at once (as the placer does once committed); ends when the test says.
    control.release();
    await new Promise<void>((r) => ends.set(name, r));
    running--;
    return items.map((i) => i * 10);
  }, { maxWeight: 100, weigh: () => 1, maxInFlight: 2 });
  const tick = () => new Promise((r) => setTimeout(r, 5));
  const a = b.submit('k', 1);
  await tick();
  const c = b.submit('k', 2);
  await tick();
  const d = b.submit('k', 3);
  await tick();
  assert.deepEqual(log, ['start 1', 'start 2'], 'the third waits: two in flight');
  ends.get('2')!();
  assert.equal(await c, 20, 'a later batch answers on its own, before an earlier one');
  await tick();
  assert.deepEqual(log, ['start 1', 'start 2', 'start 3']);
  ends.get('1')!();
  ends.get('3')!();
  assert.deepEqual([await a, await d], [10, 30]);
  assert.equal(most, 2);
});
