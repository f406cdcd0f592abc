import assert from 'node:assert/strict';
import { test } from 'node:test';
import { taskRecord } from '../cluster/testing.ts';
import { taskStateChangeEvent } from './ecs-event.ts';

test('a task state change event: EventBridge\'s envelope around the Task, timestamps as ISO strings, updatedAt and version', () => {
  const t = { ...taskRecord('c', 'a'.repeat(32), { instance: 'i1', lastStatus: 'RUNNING' }), startedAt: 1_700_000_005.5, version: 3, stopCode: 'TerminationNotice' as const, desiredStatus: 'STOPPED' as const };
  const e = taskStateChangeEvent(t, 'id-1', Date.parse('2026-12-07T06:00:01.250Z'));
  assert.deepEqual({ ...e, detail: undefined }, {
    version: '0', id: 'id-1', 'detail-type': 'ECS Task State Change', source: 'aws.ecs', account: '123456789012',
    time: '2026-12-07T06:00:01.250Z', region: 'us-east-1', resources: [t.taskArn], detail: undefined,
  });
  assert.deepEqual([e.detail.createdAt, e.detail.startedAt, e.detail.updatedAt, e.detail.version, e.detail.lastStatus, e.detail.desiredStatus, e.detail.stopCode],
    ['2023-11-14T22:13:20.000Z', '2023-11-14T22:13:25.500Z', '2026-12-07T06:00:01.250Z', 3, 'RUNNING', 'STOPPED', 'TerminationNotice']);
  for (const own of ['reservedPorts', 'networkMode', 'healthChecked', 'healthStatus', 'tags']) assert.equal(own in e.detail, false, own);
});
