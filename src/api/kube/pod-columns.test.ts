import { test } from 'node:test';
import assert from 'node:assert/strict';
import { columnsFor } from './table-columns.ts';

const NOW = Date.parse('2026-12-07T15:10:00Z');
const pod = {
  apiVersion: 'v1', kind: 'Pod',
  metadata: { name: 'web-5d8f7-abcde', namespace: 'default', creationTimestamp: '2026-12-07T15:00:00Z' },
  spec: { nodeName: 'i-0abc', containers: [{ name: 'nginx', image: 'nginx' }, { name: 'log', image: 'busybox' }] },
  status: {
    phase: 'Running', podIPs: [{ ip: '10.0.1.7' }],
    conditions: [{ type: 'Initialized', status: 'True' }, { type: 'Ready', status: 'False' }],
    containerStatuses: [
      { name: 'nginx', ready: true, restartCount: 0, image: 'nginx', imageID: '', state: { running: { startedAt: '2026-12-07T15:00:05Z' } } },
      { name: 'log', ready: false, restartCount: 2, image: 'busybox', imageID: '', state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { exitCode: 1, finishedAt: '2026-12-07T15:09:00Z' } } },
    ],
  },
};

test('pods print as kubectl shows them: NAME READY STATUS RESTARTS AGE, and IP NODE NOMINATED NODE READINESS GATES with -o wide', () => {
  const columns = columnsFor('', 'pods');
  assert.deepEqual(columns.map((c) => [c.name, c.priority]), [
    ['Name', 0], ['Ready', 0], ['Status', 0], ['Restarts', 0], ['Age', 0], ['IP', 1], ['Node', 1], ['Nominated Node', 1], ['Readiness Gates', 1],
  ]);
  assert.deepEqual(columns.map((c) => c.cell(pod, NOW)), ['web-5d8f7-abcde', '1/2', 'CrashLoopBackOff', '2 (60s ago)', '10m', '10.0.1.7', 'i-0abc', '<none>', '<none>']);
});
