import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decideStarts, stopOrder, type ContainerFacts } from './container-order.ts';

const containers = [
  { name: 'init', dependsOn: [] },
  { name: 'db' },
  { name: 'migrate', dependsOn: [{ containerName: 'db', condition: 'HEALTHY' }] },
  { name: 'app', dependsOn: [{ containerName: 'migrate', condition: 'SUCCESS' }, { containerName: 'init', condition: 'COMPLETE' }] },
  { name: 'sidecar', dependsOn: [{ containerName: 'app', condition: 'START' }] },
];
const facts = (f: Record<string, ContainerFacts>) => new Map(Object.entries(f));

test('containers without dependencies start first', () => {
  const d = decideStarts(containers, facts({ init: { state: 'waiting' }, db: { state: 'waiting' }, migrate: { state: 'waiting' }, app: { state: 'waiting' }, sidecar: { state: 'waiting' } }));
  assert.deepEqual(d, { start: ['init', 'db'], blocked: [] });
});

test('HEALTHY waits for the health check, SUCCESS for exit 0, COMPLETE for any exit, START for running', () => {
  const base = { init: { state: 'exited' as const, exitCode: 3 }, db: { state: 'running' as const }, migrate: { state: 'waiting' as const }, app: { state: 'waiting' as const }, sidecar: { state: 'waiting' as const } };
  assert.deepEqual(decideStarts(containers, facts(base)).start, []);
  assert.deepEqual(decideStarts(containers, facts({ ...base, db: { state: 'running', healthy: true } })).start, ['migrate']);
  assert.deepEqual(decideStarts(containers, facts({ ...base, migrate: { state: 'exited', exitCode: 0 } })).start, ['app']);
  assert.deepEqual(decideStarts(containers, facts({ ...base, migrate: { state: 'exited', exitCode: 0 }, app: { state: 'running' } })).start, ['sidecar']);
});

test('a dependency that failed blocks its dependents for good', () => {
  const d = decideStarts(containers, facts({ init: { state: 'exited', exitCode: 0 }, db: { state: 'running', unhealthy: true }, migrate: { state: 'waiting' }, app: { state: 'waiting' }, sidecar: { state: 'waiting' } }));
  assert.deepEqual(d.blocked.map((b) => b.name), ['migrate']);
  const e = decideStarts(containers, facts({ init: { state: 'exited', exitCode: 0 }, db: { state: 'running' }, migrate: { state: 'exited', exitCode: 1 }, app: { state: 'waiting' }, sidecar: { state: 'waiting' } }));
  assert.match(e.blocked[0]!.reason, /migrate will never reach SUCCESS \(it exited with 1\)/);
});

test('dependents stop before what they depend on', () => {
  assert.deepEqual(stopOrder(containers), [['sidecar'], ['app'], ['init', 'migrate'], ['db']]);
});
