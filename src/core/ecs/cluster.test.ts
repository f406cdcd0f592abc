import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clusterView, newCluster, NO_COUNTS } from './cluster.ts';

const SCOPE = { account: '000000000000', region: 'us-east-1' };

test('STATISTICS split tasks and services by launch type, in the order and names AWS answers', () => {
  const c = newCluster(SCOPE, { clusterName: 'demo', tags: [], settings: [] }, 1_700_000_000);
  const counts = { ...NO_COUNTS, runningTasksCount: 5, runningFargateTasksCount: 2, pendingTasksCount: 3, pendingFargateTasksCount: 1, activeServicesCount: 4, activeFargateServicesCount: 3, drainingServicesCount: 1, drainingFargateServicesCount: 0 };
  const view = clusterView(c, counts, ['STATISTICS']);
  assert.deepEqual(Object.fromEntries(view.statistics.map((s) => [s.name, s.value])), {
    runningEC2TasksCount: '3', runningFargateTasksCount: '2', pendingEC2TasksCount: '2', pendingFargateTasksCount: '1',
    runningExternalTasksCount: '0', pendingExternalTasksCount: '0',
    activeEC2ServiceCount: '1', activeFargateServiceCount: '3', drainingEC2ServiceCount: '1', drainingFargateServiceCount: '0',
    activeExternalServiceCount: '0', drainingExternalServiceCount: '0',
  });
  // The split is only in STATISTICS: the Cluster's own members are AWS's four totals.
  assert.deepEqual([view.runningTasksCount, view.pendingTasksCount, view.activeServicesCount], [5, 3, 4]);
  assert.equal('runningFargateTasksCount' in view, false);
  assert.deepEqual(clusterView(c, counts, []).statistics, []);
});
