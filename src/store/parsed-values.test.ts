import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_REMEMBERED_VALUES, ParsedValues } from './parsed-values.ts';

test('parsed values: a remembered value is taken once, as the object it came from', () => {
  const memo = new ParsedValues();
  const obj = { a: 1, b: ['x'] };
  const value = JSON.stringify(obj);
  memo.remember(value, obj);
  assert.equal(memo.take(JSON.stringify({ a: 1, b: ['x'] })), obj, 'an equal string finds it');
  assert.equal(memo.take(value), undefined, 'taken once');
  assert.equal(memo.take('{"other":1}'), undefined);
});

test('parsed values: at most MAX_REMEMBERED_VALUES, the oldest forgotten first', () => {
  const memo = new ParsedValues();
  for (let i = 0; i <= MAX_REMEMBERED_VALUES; i++) memo.remember(`{"n":${i}}`, { n: i });
  assert.equal(memo.size, MAX_REMEMBERED_VALUES);
  assert.equal(memo.take('{"n":0}'), undefined, 'the oldest is gone');
  assert.deepEqual(memo.take(`{"n":${MAX_REMEMBERED_VALUES}}`), { n: MAX_REMEMBERED_VALUES });
});
