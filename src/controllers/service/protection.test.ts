// Task scale-in protection in the service scheduler: a protected task is never the one a
// scale-in or a deployment stops; once its protection expires it is an ordinary task again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Harness } from './testing/harness.ts';
import { behaviours, instance, service, taskDefinitionArn, updateService } from './testing/builders.ts';

const V1 = taskDefinitionArn('web', 1);
const V2 = taskDefinitionArn('web', 2);

function cluster(): Harness {
  const h = new Harness(() => 0.5);
  for (let i = 0; i < 3; i++) h.addInstance(instance({ id: `i${i}`, zone: `us-east-1${'abc'[i]}`, cpu: 256 * 6, memory: 512 * 6 }));
  h.behaviours.set(V1, behaviours.good());
  h.behaviours.set(V2, behaviours.good());
  h.putService(service({ desiredCount: 4 }));
  assert.ok(h.run({ until: () => h.service().steady === true, maxMs: 600_000 }));
  return h;
}
const live = (h: Harness, td?: string) => h.taskList().filter((t) => t.desiredStatus === 'RUNNING' && t.lastStatus !== 'STOPPED' && (!td || t.taskDefinitionArn === td));

test('scale-in stops unprotected tasks only, waits while the rest are protected, and goes on when protection expires', () => {
  const h = cluster();
  const [a, b, c] = live(h).map((t) => t.id);
  const until = h.now / 1000 + 600;
  for (const id of [a!, b!, c!]) h.protect(id, until);
  h.putService({ ...h.service(), desiredCount: 1 });
  h.run({ until: () => false, maxMs: 120_000 });
  assert.deepEqual(live(h).map((t) => t.id).sort(), [a, b, c].sort(), 'only the unprotected task was stopped');
  h.run({ until: () => live(h).length === 1, maxMs: 900_000 });
  assert.equal(live(h).length, 1, 'after the protection expired, scale-in went on to the desired count');
  assert.ok(h.now / 1000 >= until, 'and not before it expired');
});

test('a deployment replaces unprotected tasks and leaves a protected old one running until its protection ends', () => {
  const h = cluster();
  const old = live(h)[0]!.id;
  const until = h.now / 1000 + 300;
  h.protect(old, until);
  h.putService(updateService(h.service(), { taskDefinition: V2, deploymentId: 'ecs-svc/0000000000000000777', nowSeconds: h.now / 1000 }));
  h.run({ until: () => false, maxMs: 200_000 });
  assert.deepEqual(live(h, V1).map((t) => t.id), [old], 'the protected task of the old deployment still runs');
  assert.ok(live(h, V2).length >= 3);
  h.run({ until: () => live(h, V1).length === 0 && h.service().steady === true, maxMs: 900_000 });
  assert.equal(live(h, V1).length, 0);
  assert.ok(h.now / 1000 >= until);
});
