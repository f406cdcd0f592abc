import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { TaskSummary } from '../../cluster/types.ts';
import { view } from './counts.ts';
import { instance, instanceArn } from './testing/builders.ts';

const NOW = 1_700_000_000_000;
const POOL_HOST = 'arn:aws:ecs:us-east-1:berth-fargate:container-instance/fargate/0123456789abcdef0123456789abcdef';

function running(o: Partial<TaskSummary>): TaskSummary {
  return {
    key: '/t', modRevision: 1, id: 't', taskArn: 'arn:t', taskDefinitionArn: 'arn:td', family: 'web', lastStatus: 'RUNNING', desiredStatus: 'RUNNING',
    group: 'service:web', startedBy: 'ecs-svc/1', launchType: 'EC2', cpu: 256, memory: 512, ports: [], eni: true, healthStatus: 'UNKNOWN',
    healthChecked: false, createdAt: NOW / 1000 - 600, startedAt: NOW / 1000 - 600, ...o,
  };
}

test('a Fargate task on a pool host (in no cluster of its own) is not lost: healthy, in the zone it recorded', () => {
  const v = view(running({ launchType: 'FARGATE', containerInstanceArn: POOL_HOST, availabilityZone: 'us-east-1b' }), new Map(), NOW, 0);
  assert.deepEqual([v.doom, v.healthy, v.zone], [undefined, true, 'us-east-1b']);
});

test('an EC2 task whose instance is not in the cluster is lost; one on a known instance takes its zone', () => {
  assert.equal(view(running({ containerInstanceArn: instanceArn('gone') }), new Map(), NOW, 0).doom, 'lost');
  const i = instance({ id: 'i1', zone: 'us-east-1c' });
  const v = view(running({ containerInstanceArn: i.record.containerInstanceArn }), new Map([[i.record.containerInstanceArn, i]]), NOW, 0);
  assert.deepEqual([v.doom, v.zone], [undefined, 'us-east-1c']);
});
