// The fast session's bounds (shapes cached, the change log, holes) and its promises about
// the records it is given and hands out; each checked against the reference session too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CHANGE_LOG_ENTRIES, MAX_SHAPES, MIN_HOLES_BEFORE_COMPACTION, openSession, type FastSession } from './session-fast.ts';
import { referenceSession } from './session.ts';
import { instance, request } from './testing/builders.ts';
import { NOW, seeded } from './testing/harness.ts';
import type { PlacementRequest, PlacementSnapshot } from './types.ts';

const cluster = (n: number): PlacementSnapshot => ({
  instances: Array.from({ length: n }, (_, k) => instance(`i${k}`).cpu(1024 * (1 + (k % 4))).memory(4096).az(['us-east-1a', 'us-east-1b'][k % 2]!).build()),
});
const open = (s: PlacementSnapshot) => openSession(s) as FastSession;

test('a session keeps at most MAX_SHAPES shapes, least recently used out first, and an evicted shape is rebuilt alike', () => {
  const snap = cluster(20);
  const fast = open(snap), ref = referenceSession(snap);
  const shapes = Array.from({ length: MAX_SHAPES + 8 }, (_, k) => request().group(`family:f${k}`).cpu(8).binpack('cpu').build());
  for (const r of shapes) assert.deepEqual(fast.place(r, NOW, seeded(1)), ref.place(r, NOW, seeded(1)));
  assert.equal(fast.stats().shapes, MAX_SHAPES);
  assert.equal(fast.stats().built, MAX_SHAPES + 8);
  // The most recent shape is still cached; the first was evicted and is built again.
  assert.deepEqual(fast.place(shapes.at(-1)!, NOW, seeded(2)), ref.place(shapes.at(-1)!, NOW, seeded(2)));
  assert.equal(fast.stats().built, MAX_SHAPES + 8);
  assert.deepEqual(fast.place(shapes[0]!, NOW, seeded(3)), ref.place(shapes[0]!, NOW, seeded(3)));
  assert.equal(fast.stats().built, MAX_SHAPES + 9);
  assert.equal(fast.stats().shapes, MAX_SHAPES);
});

test('a shape catches up on the changes since it last placed, and is rebuilt when more than the log keeps happened', () => {
  const snap = cluster(CHANGE_LOG_ENTRIES + 100);
  const fast = open(snap), ref = referenceSession(snap);
  const a = request().group('service:a').cpu(1).spread('attribute:ecs.availability-zone').spread('instanceId').build();
  const b = request().group('service:b').cpu(1).binpack('cpu').build();
  const both = (r: PlacementRequest, seed: number) => assert.deepEqual(fast.place(r, NOW, seeded(seed)), ref.place(r, NOW, seeded(seed)));
  both(a, 1);
  for (let k = 0; k < 50; k++) both(b, k);
  both(a, 2);
  assert.equal(fast.stats().built, 2, 'a caught up on 50 changes');
  for (let k = 0; k < CHANGE_LOG_ENTRIES / 10 + 1; k++) both({ ...b, count: 10 }, k);
  both(a, 3);
  assert.equal(fast.stats().built, 3, 'a was rebuilt');
  assert.deepEqual(fast.snapshot(), ref.snapshot());
});

test('a shape further behind than there are slots is rebuilt: a pass over them costs less than the replay', () => {
  const snap = cluster(20);
  const fast = open(snap), ref = referenceSession(snap);
  const a = request().group('service:a').cpu(1).binpack('cpu').build();
  const b = request().group('service:b').cpu(1).spread('instanceId').count(7).build();
  const both = (r: PlacementRequest, seed: number) => assert.deepEqual(fast.place(r, NOW, seeded(seed)), ref.place(r, NOW, seeded(seed)));
  both(a, 1);
  both(b, 1);
  both(b, 2);
  both(a, 2);
  assert.equal(fast.stats().built, 2, '14 changes on 20 slots: caught up');
  for (let k = 0; k < 3; k++) both(b, k);
  both(a, 3);
  assert.equal(fast.stats().built, 3, '21 changes on 20 slots: rebuilt');
});

test('instances joining past the arrays a shape was built for rebuild it, and it places alike', () => {
  const snap = cluster(60);
  const fast = open(snap), ref = referenceSession(snap);
  const r = request().cpu(64).spread('attribute:ecs.availability-zone').spread('instanceId').count(10).build();
  assert.deepEqual(fast.place(r, NOW, seeded(1)), ref.place(r, NOW, seeded(1)));
  for (let k = 0; k < 10; k++) {
    const late = instance(`late${k}`).az('us-east-1b').build();
    fast.set(late); ref.set(late);
  }
  for (let k = 0; k < 3; k++) assert.deepEqual(fast.place(r, NOW, seeded(k)), ref.place(r, NOW, seeded(k)));
  assert.equal(fast.stats().built, 2);
  assert.deepEqual(fast.snapshot(), ref.snapshot());
});

test('deleting instances renumbers the slots once the holes outnumber the live ones, and placement goes on alike', () => {
  const n = 2 * MIN_HOLES_BEFORE_COMPACTION + 10;
  assert.equal(n % 2, 0);
  const snap = cluster(n);
  const fast = open(snap), ref = referenceSession(snap);
  const r = request().cpu(16).spread('attribute:ecs.availability-zone').random().count(5).build();
  assert.deepEqual(fast.place(r, NOW, seeded(1)), ref.place(r, NOW, seeded(1)));
  for (let k = 0; k <= MIN_HOLES_BEFORE_COMPACTION + 20; k++) {
    // Every other instance first, then the rest: holes in the middle and at the front.
    const arn = snap.instances[k < n / 2 ? 2 * k : 2 * (k - n / 2) + 1]!.arn;
    fast.delete(arn); ref.delete(arn);
  }
  assert.ok(fast.stats().slots < n, `slots renumbered: ${fast.stats().slots}`);
  for (let k = 0; k < 5; k++) assert.deepEqual(fast.place(r, NOW, seeded(k)), ref.place(r, NOW, seeded(k)));
  assert.deepEqual(fast.snapshot(), ref.snapshot());
});

test('the records a session is given, and the snapshots it hands out, never change afterwards', () => {
  const snap = cluster(3);
  const before = structuredClone(snap);
  const fast = openSession(snap);
  const r = request().cpu(8).port('8080/tcp').binpack('cpu').build();
  fast.place({ ...r, count: 1 }, NOW, seeded(1));
  const handed = fast.snapshot();
  const handedBefore = structuredClone(handed);
  const given = instance('late').build();
  const givenBefore = structuredClone(given);
  fast.set(given);
  fast.place({ ...r, count: 3 }, NOW, seeded(2));
  fast.place({ ...r, demand: { ...r.demand, ports: [] }, count: 4 }, NOW, seeded(3));
  assert.deepEqual(snap, before);
  assert.deepEqual(handed, handedBefore);
  assert.deepEqual(given, givenBefore);
});

test('a request place() refuses is refused alike, and changes nothing', () => {
  const snap = cluster(4);
  const fast = openSession(snap);
  const bad = request().memberOf('attribute:ecs.instance-type ==').build();
  assert.throws(() => referenceSession(snap).place(bad, NOW, seeded(1)), { name: 'InvalidParameterException' });
  assert.throws(() => fast.place(bad, NOW, seeded(1)), { name: 'InvalidParameterException' });
  assert.deepEqual(fast.snapshot(), snap);
});

test('a long session with churn (tasks placed, instances freed, joined, gone) answers as the reference at every step', () => {
  // Long enough for the selectors' heaps to pile up stale entries and be rebuilt, on more slots than a session's first arrays hold.
  const rng = seeded(99);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rng() * list.length)]!;
  const zones = ['us-east-1a', 'us-east-1b', 'us-east-1c'];
  const fresh = (id: string) => instance(id).cpu(256 * (1 + Math.floor(rng() * 8))).memory(4096).az(pick(zones)).build();
  const snap = { instances: Array.from({ length: 150 }, (_, k) => fresh(`i${k}`)) };
  const fast = open(snap), ref = referenceSession(snap);
  const shapes = [
    request().group('service:a').cpu(64).binpack('cpu'),
    request().group('service:b').cpu(32).spread('attribute:ecs.availability-zone').spread('instanceId'),
    request().group('family:c').cpu(16).spread('instanceId').random(),
    request().group('service:a').cpu(128).distinctInstance().spread('attribute:ecs.availability-zone').random(),
  ].map((b) => b.build());
  let joined = 0;
  for (let step = 0; step < 3000; step++) {
    const roll = rng();
    if (roll < 0.7) {
      const r = { ...pick(shapes), count: 1 + Math.floor(rng() * 10) };
      const seed = Math.floor(rng() * 1e9);
      assert.deepEqual(fast.place(r, NOW, seeded(seed)), ref.place(r, NOW, seeded(seed)), `step ${step}`);
    } else {
      const known = ref.snapshot().instances;
      const victim = known[Math.floor(rng() * known.length)];
      // Freed (its tasks stopped: a newer view with all its room back), gone, or a new instance.
      const change = roll < 0.9 && victim ? fresh(victim.id) : roll < 0.95 && victim ? victim.arn : fresh(`j${joined++}`);
      if (typeof change === 'string') { fast.delete(change); ref.delete(change); } else { fast.set(change); ref.set(change); }
    }
  }
  assert.deepEqual(fast.snapshot(), ref.snapshot());
});
