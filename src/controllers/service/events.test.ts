import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_SERVICE_EVENTS } from '../../core/ecs/service.ts';
import type { Failure } from '../../scheduler/types.ts';
import { closestFailure, DUPLICATE_EVENT_WINDOW_SECONDS, texts, withEvents } from './events.ts';
import { service } from './testing/builders.ts';

const CI = 'arn:aws:ecs:us-east-1:000000000000:container-instance/default/3f4de1c5ffdd4954af7e75b4be0c8841';
const MORE = 'For more information, see the Troubleshooting section of the Amazon ECS Developer Guide.';

test('ECS\'s texts for starts, stops, steady state and deployments', () => {
  assert.equal(texts.started('web', ['a1', 'b2']), '(service web) has started 2 tasks: (task a1) (task b2).');
  assert.equal(texts.stoppedRunning('web', ['a1']), '(service web) has stopped 1 running tasks: (task a1).');
  assert.equal(texts.steady('web'), '(service web) has reached a steady state.');
  assert.equal(texts.deploymentCompleted('web', 'ecs-svc/1'), '(service web) (deployment ecs-svc/1) deployment completed.');
  assert.equal(texts.deploymentFailed('web', 'ecs-svc/2'), '(service web) (deployment ecs-svc/2) deployment failed: tasks failed to start.');
  assert.equal(texts.rollingBack('web', 'ecs-svc/1'), '(service web) rolling back to deployment ecs-svc/1.');
  assert.equal(texts.throttled('web'), `(service web) is unable to consistently start tasks successfully. ${MORE}`);
});

test('a placement failure names the closest matching instance and why, as ECS words it', () => {
  const head = '(service web) was unable to place a task because no container instance met all of its requirements.';
  // Reasons as strings: the placer names constraint failures by name or by ECS's sentence.
  const say = (reason: string) => texts.unableToPlace('web', [{ arn: CI, reason } as Failure]);
  assert.equal(say('RESOURCE:PORTS'), `${head} The closest matching (container-instance 3f4de1c5ffdd4954af7e75b4be0c8841) is already using a port required by your task. ${MORE}`);
  assert.equal(say('RESOURCE:MEMORY'), `${head} The closest matching (container-instance 3f4de1c5ffdd4954af7e75b4be0c8841) has insufficient memory available. ${MORE}`);
  assert.equal(say('RESOURCE:CPU'), `${head} The closest matching (container-instance 3f4de1c5ffdd4954af7e75b4be0c8841) has insufficient CPU units available. ${MORE}`);
  assert.equal(say('AGENT'), `${head} The closest matching (container-instance 3f4de1c5ffdd4954af7e75b4be0c8841) doesn't have the agent connected. ${MORE}`);
  assert.equal(say('ATTRIBUTE'), `${head} The closest matching (container-instance 3f4de1c5ffdd4954af7e75b4be0c8841) is missing an attribute required by your task. ${MORE}`);
  const memberOf = `${head} The closest matching (container-instance 3f4de1c5ffdd4954af7e75b4be0c8841) encountered error "MemberOf placement constraint unsatisfied.". ${MORE}`;
  assert.equal(say('MemberOf'), memberOf);
  assert.equal(say('MemberOf placement constraint unsatisfied.'), memberOf);
  assert.equal(say('RESOURCE:ENI'), `${head} The closest matching (container-instance 3f4de1c5ffdd4954af7e75b4be0c8841) encountered error "RESOURCE:ENI". ${MORE}`);
  assert.equal(texts.unableToPlace('web', []), `${head} Reason: No Container Instances were found in your cluster. ${MORE}`);
});

test('the closest matching instance is the one that got furthest through placement', () => {
  const f = closestFailure([
    { arn: 'a', reason: 'AGENT' },
    { arn: 'b', reason: 'RESOURCE:MEMORY' },
    { arn: 'c', reason: 'MemberOf placement constraint unsatisfied.' },
    { arn: 'd', reason: 'RESOURCE:CPU' },
  ] as Failure[]);
  assert.equal(f?.arn, 'b');
});

test('events are newest first, stamped, bounded, and a repeated placement failure is held back for six hours or until steady', () => {
  let n = 0;
  const newId = () => `id${++n}`;
  const r = service();
  const place = texts.unableToPlace('web', []);
  let events = withEvents(r, [texts.started('web', ['a']), place], newId, 100);
  assert.deepEqual(events.map((e) => [e.id, e.createdAt, e.message]), [['id2', 100, place], ['id1', 100, texts.started('web', ['a'])]]);
  events = withEvents({ ...r, events }, [place], newId, 200);
  assert.equal(events.length, 2, 'held back');
  events = withEvents({ ...r, events }, [place], newId, 100 + DUPLICATE_EVENT_WINDOW_SECONDS + 1);
  assert.equal(events.length, 3, 'said again after six hours');
  events = withEvents({ ...r, events }, [texts.steady('web'), place], newId, 100 + DUPLICATE_EVENT_WINDOW_SECONDS + 2);
  assert.equal(events[0]!.message, place, 'said again once the service was steady in between');
  const many = withEvents(r, Array.from({ length: MAX_SERVICE_EVENTS + 20 }, (_, i) => texts.started('web', [`t${i}`])), newId, 1);
  assert.equal(many.length, MAX_SERVICE_EVENTS);
  assert.equal(many[0]!.message, texts.started('web', [`t${MAX_SERVICE_EVENTS + 19}`]));
});
