import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DeploymentRecord } from '../../core/ecs/service.ts';
import { MAX_IDLE_DEPLOYMENTS, prune } from './deployments.ts';

const d = (id: string, over: Partial<DeploymentRecord> = {}): DeploymentRecord => ({
  id, status: 'ACTIVE', taskDefinition: 'td', desiredCount: 1, failedTasks: 0, createdAt: Number(id), updatedAt: 0, rolloutState: 'IN_PROGRESS', rolloutStateReason: '', ...over,
});

test('while the PRIMARY is in progress, idle older deployments stay listed, at most MAX_IDLE_DEPLOYMENTS, keeping the rollback target', () => {
  const primary = d('100', { status: 'PRIMARY' });
  const completed = d('1', { rolloutState: 'COMPLETED' });
  const idle = Array.from({ length: 10 }, (_, i) => d(String(10 + i)));
  const busy = d('5');
  const kept = prune([primary, ...idle, busy, completed], new Set(['5']));
  assert.ok(kept.includes(primary) && kept.includes(busy) && kept.includes(completed));
  assert.equal(kept.filter((x) => x !== primary && x !== busy).length, MAX_IDLE_DEPLOYMENTS);
  assert.ok(kept.includes(idle[9]!), 'the most recent idle ones are kept');
});

test('once the PRIMARY is done, an older deployment without tasks is dropped (INACTIVE)', () => {
  const primary = d('100', { status: 'PRIMARY', rolloutState: 'COMPLETED' });
  const kept = prune([primary, d('1', { rolloutState: 'COMPLETED' }), d('2')], new Set(['2']));
  assert.deepEqual(kept.map((x) => x.id), ['100', '2']);
});
