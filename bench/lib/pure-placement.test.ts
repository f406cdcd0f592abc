import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildSnapshot, loadEngine, pureLoop, sessionLoop, STRATEGIES } from './pure-placement.ts';

const arn = (i: number) => `arn:aws:ecs:us-east-1:000000000000:container-instance/bench/${String(i).padStart(32, '0')}`;
const instances = (n: number, tasks: number) => Array.from({ length: n }, (_, i) => ({ containerInstanceArn: arn(i), zone: `us-east-1${'abc'[i % 3]}`, cpu: 1024, memory: 2048, tasks }));
const demand = { cpu: 128, memory: 256, ports: [], requiredAttributes: [], eni: false };

test('the snapshot holds what the seeded tasks left on each instance', () => {
  const [first] = buildSnapshot(instances(3, 2), { cpu: 128, memory: 256 }, 'family:app', 1);
  assert.equal(first!.cpu, 1024 - 256);
  assert.equal(first!.memory, 2048 - 512);
  assert.equal(first!.groups.get('family:app'), 2);
  assert.equal(first!.attributes.get('ecs.availability-zone'), 'us-east-1a');
  assert.equal(first!.id, '0'.repeat(32));
});

test('the pure loop places exactly the room the snapshot has, request by request', async () => {
  const engine = await loadEngine();
  // 4 instances with room for 8 - 2 = 6 tasks each: 24 tasks, i.e. 12 requests of 2.
  const r = pureLoop(engine, buildSnapshot(instances(4, 2), { cpu: 128, memory: 256 }, 'family:app', 1), demand, STRATEGIES.binpack, 'family:app', 2, 12, 10);
  assert.equal(r.placed, 24);
  assert.equal(r.requests, 12);
  assert.ok(r.perSecond > 0);
});

test('a full snapshot is started over, so a long run keeps placing', async () => {
  const engine = await loadEngine();
  const r = pureLoop(engine, buildSnapshot(instances(2, 0), { cpu: 128, memory: 256 }, 'family:app', 1), demand, STRATEGIES.spread, 'family:app', 4, 20, 10);
  // 16 tasks of room: 4 full requests, one that places nothing, then again: 20 requests, 16 of them full.
  assert.equal(r.requests, 20);
  assert.equal(r.placed, 16 * 4);
});

test('a snapshot with no room for one request ends the loop at once', async () => {
  const engine = await loadEngine();
  const r = pureLoop(engine, buildSnapshot(instances(2, 8), { cpu: 128, memory: 256 }, 'family:app', 1), demand, STRATEGIES.binpack, 'family:app', 1, 100, 10);
  assert.equal(r.placed, 0);
  assert.equal(r.requests, 1);
});

test('the session loop places what the pure loop places, and starts over on a full session alike', async () => {
  const engine = await loadEngine();
  for (const strategy of [STRATEGIES.binpack, STRATEGIES.spread]) {
    const snapshot = buildSnapshot(instances(4, 2), { cpu: 128, memory: 256 }, 'family:app', 1);
    const args = [demand, strategy, 'family:app', 2, 20, 10] as const;
    const pure = pureLoop(engine, snapshot, ...args), session = sessionLoop(snapshot, ...args);
    // 24 tasks of room: 12 full requests, one that places nothing, then 7 more on a fresh copy.
    assert.equal(session.requests, 20);
    assert.equal(session.placed, 38);
    assert.equal(session.placed, pure.placed);
  }
});
