import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { EcsClient } from './aws-json.ts';
import { createService, isStable, ServicesMissing, watchService, type Deployment, type Service } from './service-waits.ts';

const deployment = (id: string, status: string, runningCount: number, pendingCount = 0): Deployment => ({ id, status, runningCount, pendingCount, desiredCount: 4 });
const service = (deployments: Deployment[]): Service => ({
  serviceName: 'web', status: 'ACTIVE', desiredCount: 4, deployments,
  runningCount: deployments.reduce((a, d) => a + d.runningCount, 0), pendingCount: deployments.reduce((a, d) => a + d.pendingCount, 0),
});

/** A client whose DescribeServices answers the states in turn (the last one repeats). */
function scripted(states: Service[], create?: { status: number; body: unknown }): EcsClient {
  let i = 0;
  return {
    call: async () => ({ status: create!.status, body: create!.body, raw: Buffer.from(JSON.stringify(create!.body)), headers: {} }),
    ok: async () => ({ services: [states[Math.min(i++, states.length - 1)]], failures: [] }),
    close: () => {},
  } as unknown as EcsClient;
}

test('stable is services-stable: one deployment and running = desired', () => {
  assert.equal(isStable(service([deployment('a', 'PRIMARY', 4)])), true);
  assert.equal(isStable(service([deployment('a', 'PRIMARY', 3, 1)])), false);
  assert.equal(isStable(service([deployment('b', 'PRIMARY', 4), deployment('a', 'ACTIVE', 0)])), false);
});

test('a rolling deployment is watched to the end, with the fewest running and the most running + pending over every poll', async () => {
  const states = [
    service([deployment('b', 'PRIMARY', 0, 4), deployment('a', 'ACTIVE', 4)]),
    service([deployment('b', 'PRIMARY', 2, 2), deployment('a', 'ACTIVE', 4)]),
    service([deployment('b', 'PRIMARY', 4), deployment('a', 'ACTIVE', 2)]),
    service([deployment('b', 'PRIMARY', 4)]),
  ];
  const w = await watchService(scripted(states), 'c', 'web', (s) => isStable(s) && s.deployments[0]!.id === 'b', 10_000);
  assert.equal(w.polls, 4);
  assert.equal(w.minRunning, 4);
  assert.equal(w.maxTotal, 8);
});

test('a wait that never gets there fails with the last state', async () => {
  await assert.rejects(watchService(scripted([service([deployment('a', 'PRIMARY', 1, 3)])]), 'c', 'web', isStable, 200), /did not get there.*running 1, pending 3/);
});

test('a build without services is named in one line; another refusal is an error', async () => {
  await assert.rejects(createService(scripted([], { status: 400, body: { __type: 'UnknownOperationException', message: 'no' } }), {}), (e: unknown) => e instanceof ServicesMissing && /not available in this build/.test(e.message));
  await assert.rejects(createService(scripted([], { status: 400, body: { __type: 'InvalidParameterException', message: 'bad' } }), {}), (e: unknown) => !(e instanceof ServicesMissing) && /InvalidParameterException: bad/.test((e as Error).message));
});
