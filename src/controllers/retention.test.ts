import { test } from 'node:test';
import assert from 'node:assert/strict';
import { podGroup } from '../core/kube/pod/hosting.ts';
import { CLIENT_TOKEN_TTL_SECONDS, retentionSweep } from './retention.ts';

const td = (n: number) => `arn:aws:ecs:us-east-1:0:task-definition/f:${n}`;

test('stopped tasks go after an hour; running and recently stopped ones stay', () => {
  const out = retentionSweep({
    tasks: [
      { key: 'old', modRevision: 1, taskDefinitionArn: td(1), group: 'family:f', lastStatus: 'STOPPED', stoppedAt: 1000 },
      { key: 'recent', modRevision: 2, taskDefinitionArn: td(1), group: 'family:f', lastStatus: 'STOPPED', stoppedAt: 4000 },
      { key: 'running', modRevision: 3, taskDefinitionArn: td(1), group: 'family:f', lastStatus: 'RUNNING' },
    ],
    deletingDefinitions: [],
    clientTokens: [],
  }, 4601);
  assert.deepEqual(out, [{ key: 'old', modRevision: 1 }]);
});

test("a pod's stopped task stays past the hour: the pod is there until deleted, and its removal takes the task", () => {
  const out = retentionSweep({
    tasks: [
      { key: 'job-pod', modRevision: 1, taskDefinitionArn: '', group: podGroup('default', 'pi-x7k2p'), lastStatus: 'STOPPED', stoppedAt: 0 },
      { key: 'ecs-task', modRevision: 2, taskDefinitionArn: td(1), group: 'family:f', lastStatus: 'STOPPED', stoppedAt: 0 },
      // RunTask's --group may be any text: a task definition's task grouped `pod:…` is no pod, and goes.
      { key: 'ecs-pod-group', modRevision: 3, taskDefinitionArn: td(1), group: podGroup('default', 'x'), lastStatus: 'STOPPED', stoppedAt: 0 },
    ],
    deletingDefinitions: [],
    clientTokens: [],
  }, 10 * 24 * 3600);
  assert.deepEqual(out, [{ key: 'ecs-task', modRevision: 2 }, { key: 'ecs-pod-group', modRevision: 3 }]);
});

test('a revision being deleted goes once no remaining task uses it', () => {
  const out = retentionSweep({
    tasks: [
      { key: 'old', modRevision: 1, taskDefinitionArn: td(1), group: 'family:f', lastStatus: 'STOPPED', stoppedAt: 0 },
      { key: 'live', modRevision: 2, taskDefinitionArn: td(2), group: 'family:f', lastStatus: 'RUNNING' },
    ],
    deletingDefinitions: [{ key: 'td1', modRevision: 5, taskDefinitionArn: td(1) }, { key: 'td2', modRevision: 6, taskDefinitionArn: td(2) }],
    clientTokens: [],
  }, 10_000);
  assert.deepEqual(out, [{ key: 'old', modRevision: 1 }, { key: 'td1', modRevision: 5 }]);
});

test('a clientToken goes once its 24 hours are over, not before', () => {
  const out = retentionSweep({
    tasks: [],
    deletingDefinitions: [],
    clientTokens: [{ key: 'old', modRevision: 1, createdAt: 0 }, { key: 'day', modRevision: 2, createdAt: 1 }],
  }, CLIENT_TOKEN_TTL_SECONDS + 1);
  assert.deepEqual(out, [{ key: 'old', modRevision: 1 }]);
});
