// Selectors kept by a session keep their heaps bounded however long the session lives: stale
// entries (members gone while not at the top) are dropped once they outnumber the live ones.
// A random leaf draws as the plain item array of a fresh tree would (the model below): the
// independent definition of random's draws, for place() and the session alike.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { OrderLeaf, RandomLeaf, ScoreLevel, type TreeContext } from './selectors.ts';
import { seeded } from './testing/harness.ts';

const context = (slots: number): TreeContext => ({ active: false, epoch: 0, rng: seeded(1), owner: new Int32Array(slots), nextLeaf: 1 });
const heapLength = (selector: object) => (selector as unknown as { heap: { length: number } }).heap.length;

test('a leaf whose members come and go below its top keeps its heap within twice its members plus the slack', () => {
  const leaf = new OrderLeaf(context(1000));
  leaf.add(0);
  for (let round = 0; round < 100; round++) {
    for (let i = 1; i < 1000; i++) leaf.add(i);
    for (let i = 1; i < 1000; i++) leaf.remove(i);
    assert.ok(heapLength(leaf) <= 2 * leaf.size + 64 + 1000, `round ${round}: ${heapLength(leaf)} entries for ${leaf.size} members`);
  }
  assert.equal(leaf.size, 1);
  assert.ok(heapLength(leaf) <= 2 + 64 + 1000);
  assert.deepEqual(leaf.best(), { i: 0, key: [0], ties: 1 });
  leaf.add(7); leaf.remove(0);
  assert.equal(leaf.best()!.i, 7);
  assert.equal(leaf.min(), 7);
});

test('a level whose buckets come and go keeps its heap of scores within twice its buckets plus the slack', () => {
  const ctx = context(10);
  const score = new Float64Array(10);
  const level = new ScoreLevel((i) => score[i]!, () => new OrderLeaf(ctx), new Float64Array(10).fill(NaN));
  level.add(0);
  for (let s = 1; s < 5000; s++) {
    // Slot 1's score keeps rising: each move leaves an empty bucket's key behind.
    score[1] = s;
    if (s === 1) level.add(1); else level.changed(1);
    assert.ok(heapLength(level) <= 2 * 2 + 64 + 1, `${heapLength(level)} keys for 2 buckets`);
  }
  assert.equal(level.best()!.i, 0);
  level.remove(0);
  assert.deepEqual(level.best(), { i: 1, key: [4999, 1], ties: 1 });
});

test('a random leaf draws as a fresh tree\'s item array would, request after request', () => {
  // The model: a fresh tree's leaf holds its members ascending; during a request an added
  // member goes last and a removed one's place is taken by the last; a draw is item ⌊rng·n⌋.
  const op = fc.record({ kind: fc.constantFrom('add', 'remove', 'best', 'best', 'next request'), i: fc.nat({ max: 29 }), during: fc.boolean() });
  fc.assert(fc.property(fc.array(op, { maxLength: 80 }), fc.integer(), (ops, seed) => {
    const ctx = context(30);
    ctx.rng = seeded(seed);
    const leaf = new RandomLeaf(ctx);
    const modelRng = seeded(seed);
    const members = new Set<number>();
    let items: number[] | undefined;
    const startRequest = () => { ctx.active = true; ctx.epoch++; items = [...members].sort((a, b) => a - b); };
    startRequest();
    for (const o of ops) {
      if (o.kind === 'next request') {
        // Between requests a session's tree catches up on other changes.
        ctx.active = false; items = undefined;
        if (o.during) { if (members.has(o.i)) { members.delete(o.i); leaf.remove(o.i); } else { members.add(o.i); leaf.add(o.i); } }
        startRequest();
      } else if (o.kind === 'add') {
        if (!members.has(o.i)) { members.add(o.i); items!.push(o.i); }
        leaf.add(o.i);
      } else if (o.kind === 'remove') {
        if (members.has(o.i)) {
          members.delete(o.i);
          const at = items!.indexOf(o.i), last = items!.pop()!;
          if (last !== o.i) items![at] = last;
        }
        leaf.remove(o.i);
      } else {
        const expected = items!.length === 0 ? undefined : items![Math.floor(modelRng() * items!.length)];
        assert.equal(leaf.best()?.i, expected);
      }
      assert.equal(leaf.size, members.size);
    }
  }), { numRuns: 500 });
});
