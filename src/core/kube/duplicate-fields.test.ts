import { it } from 'node:test';
import assert from 'node:assert/strict';
import { duplicateFields } from './duplicate-fields.ts';

it('finds keys named twice in one object, with their paths, and nothing in strings or arrays', () => {
  assert.deepEqual(duplicateFields('{"a":1,"b":{"c":1,"c":2},"a":"x\\"a\\""}'), ['b.c', 'a']);
  assert.deepEqual(duplicateFields('{"items":[{"n":1},{"n":2}],"s":"{\\"k\\":1,\\"k\\":2}"}'), []);
  assert.deepEqual(duplicateFields('{"spec":{"list":[{"x":1,"x":1}]}}'), ['spec.list.x']);
});
