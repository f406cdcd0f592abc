import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../core/errors.ts';
import { MAX_CONSTRAINTS, MAX_STRATEGIES, validatePlacementConstraints, validatePlacementStrategies, validateTaskDefinitionPlacementConstraints } from './validate.ts';

const refused = (fn: () => unknown, message: RegExp, code = 'InvalidParameterException') =>
  assert.throws(fn, (e: unknown) => e instanceof ApiError && e.code === code && message.test(e.message), String(message));

test('strategies: the valid ones pass through typed', () => {
  const list = [{ type: 'spread', field: 'attribute:ecs.availability-zone' }, { type: 'spread', field: 'instanceId' }, { type: 'binpack', field: 'memory' }, { type: 'spread', field: 'host' }, { type: 'random' }];
  assert.deepEqual(validatePlacementStrategies(list), list);
  assert.deepEqual(validatePlacementStrategies(undefined), []);
  assert.deepEqual(validatePlacementStrategies([{ type: 'binpack', field: 'CPU' }]), [{ type: 'binpack', field: 'CPU' }]);
});

test('strategies: at most 5', () => {
  refused(() => validatePlacementStrategies(Array.from({ length: MAX_STRATEGIES + 1 }, () => ({ type: 'random' }))), /has 6 strategies; at most 5/);
});

test('strategies: unknown type, binpack field, spread field required and valid, field length', () => {
  refused(() => validatePlacementStrategies([{ type: 'pack' }]), /placementStrategy\[0\]\.type 'pack' is not valid: use random, spread or binpack/);
  refused(() => validatePlacementStrategies([{ field: 'cpu' }]), /type is missing/);
  refused(() => validatePlacementStrategies([{ type: 'binpack' }]), /binpack needs field cpu or memory/);
  refused(() => validatePlacementStrategies([{ type: 'binpack', field: 'disk' }]), /binpack needs field cpu or memory, not 'disk'/);
  refused(() => validatePlacementStrategies([{ type: 'spread' }]), /spread needs a field/);
  refused(() => validatePlacementStrategies([{ type: 'spread', field: 'zone' }]), /spread field 'zone' is not valid/);
  refused(() => validatePlacementStrategies([{ type: 'spread', field: `attribute:${'x'.repeat(300)}` }]), /at most 255/);
  refused(() => validatePlacementStrategies('spread'), /must be a list/);
});

test('constraints: valid ones pass; at most 10 counting the task definition\'s', () => {
  const ok = [{ type: 'distinctInstance' }, { type: 'memberOf', expression: 'attribute:ecs.instance-type =~ t2.*' }];
  assert.deepEqual(validatePlacementConstraints(ok), ok);
  refused(() => validatePlacementConstraints(Array.from({ length: MAX_CONSTRAINTS + 1 }, () => ({ type: 'distinctInstance' }))), /11 placement constraints; at most 10/);
  refused(() => validatePlacementConstraints([{ type: 'distinctInstance' }, { type: 'distinctInstance' }], 9), /11 placement constraints \(9 from its task definition\)/);
});

test('constraints: ECS\'s own message for a distinctInstance with an expression', () => {
  refused(() => validatePlacementConstraints([{ type: 'distinctInstance', expression: '' }]), /^distinctInstance expression should not be specified\.$/);
});

test('constraints: unknown type, memberOf without expression, invalid expression', () => {
  refused(() => validatePlacementConstraints([{ type: 'sameZone' }]), /'sameZone' is not valid: use distinctInstance or memberOf/);
  refused(() => validatePlacementConstraints([{ type: 'memberOf' }]), /memberOf needs an expression/);
  refused(() => validatePlacementConstraints([{ type: 'memberOf', expression: 'attribute:stack ==' }]), /cluster query language expression 'attribute:stack ==' is invalid/);
  refused(() => validatePlacementConstraints([{ type: 'memberOf', expression: 'a'.repeat(2001) }]), /at most 2000/);
});

test('task definition constraints: memberOf only', () => {
  assert.deepEqual(validateTaskDefinitionPlacementConstraints([{ type: 'memberOf', expression: 'attribute:x exists' }]), [{ type: 'memberOf', expression: 'attribute:x exists' }]);
  refused(() => validateTaskDefinitionPlacementConstraints([{ type: 'distinctInstance' }]), /constraint.type 'distinctInstance' is not supported/, 'ClientException');
});
