/**
 * A Spot interruption and the service scheduler (issue 15 item 4): AWS starts the
 * replacement on the warning, not when the interrupted task has stopped. The service
 * reconciler counts a task desired STOPPED as no longer live, so it replaces it at once as
 * far as maximumPercent allows (the interrupted task still holds a place until STOPPED).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Harness } from '../service/testing/harness.ts';
import { behaviours, instance, service, taskDefinitionArn } from '../service/testing/builders.ts';
import { interruptionAction } from './spot-job.ts';

const V1 = taskDefinitionArn('web', 1);

function steadyService(spec: Parameters<typeof service>[0]): Harness {
  const h = new Harness(() => 0.5);
  for (let i = 0; i < 3; i++) h.addInstance(instance({ id: `i${i}`, zone: ['us-east-1a', 'us-east-1b', 'us-east-1c'][i] }));
  h.behaviours.set(V1, behaviours.good());
  h.putService(service(spec));
  assert.ok(h.run({ until: () => h.service().steady === true }));
  return h;
}
const live = (h: Harness) => h.taskList().filter((t) => t.desiredStatus === 'RUNNING' && t.lastStatus !== 'STOPPED');

test('an interrupted task of a service is replaced in the next pass, while it is still RUNNING', () => {
  const h = steadyService({ desiredCount: 2 });
  const victim = live(h)[0]!;
  h.apply(interruptionAction(victim.key, 'test'));
  const interrupted = h.tasks.get(victim.id)!.summary;
  assert.deepEqual([interrupted.lastStatus, interrupted.desiredStatus, interrupted.stopCode], ['RUNNING', 'STOPPED', 'TerminationNotice']);
  h.pass();
  assert.equal(h.tasks.get(victim.id)!.summary.lastStatus, 'RUNNING', 'the interrupted task has not stopped yet');
  assert.equal(live(h).length, 2, 'the replacement was started on the warning');
  assert.ok(h.run({ until: () => h.service().steady === true }));
  assert.deepEqual(h.violations, []);
});

test('with maximumPercent 100 the replacement waits for the interrupted task to stop, as the deployment limits say', () => {
  const h = steadyService({ desiredCount: 2, maximumPercent: 100, minimumHealthyPercent: 50 });
  const victim = live(h)[0]!;
  h.apply(interruptionAction(victim.key, 'test'));
  h.pass();
  assert.equal(live(h).length, 1, 'two tasks hold the two places the ceiling allows');
  assert.ok(h.run({ until: () => live(h).length === 2 && h.service().steady === true }));
  assert.equal(h.tasks.get(victim.id)!.summary.lastStatus, 'STOPPED');
  assert.deepEqual(h.violations, []);
});
