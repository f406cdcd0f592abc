import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_REMEMBERED_VALUES, ParsedValues } from './parsed-values.ts';

test('parsed values: a remembered value answers the object it came from, to every reader', () => {
  const memo = new ParsedValues();
  const obj = { a: 1, b: ['x'] };
  const value = JSON.stringify(obj);
  memo.remember('/k', value, obj);
  assert.equal(memo.get('/other', value), undefined, 'another key');
  assert.equal(memo.get('/k', '{"other":1}'), undefined, 'another value of the key');
  assert.equal(memo.get('/k', JSON.stringify({ a: 1, b: ['x'] })), obj, 'an equal string finds it');
  assert.equal(memo.get('/k', value), obj, 'a second watcher too');
});

test('parsed values: a key written again answers the newer value only', () => {
  const memo = new ParsedValues();
  memo.remember('/k', '{"v":1}', { v: 1 });
  memo.remember('/k', '{"v":2}', { v: 2 });
  assert.equal(memo.get('/k', '{"v":1}'), undefined, 'the older event parses its value');
  assert.deepEqual(memo.get('/k', '{"v":2}'), { v: 2 });
  assert.equal(memo.size, 1);
});

test('parsed values: at most MAX_REMEMBERED_VALUES, the oldest forgotten first', () => {
  const memo = new ParsedValues();
  for (let i = 0; i <= MAX_REMEMBERED_VALUES; i++) memo.remember(`/k${i}`, `{"n":${i}}`, { n: i });
  assert.equal(memo.size, MAX_REMEMBERED_VALUES);
  assert.equal(memo.get('/k0', '{"n":0}'), undefined, 'the oldest is gone');
  assert.deepEqual(memo.get(`/k${MAX_REMEMBERED_VALUES}`, `{"n":${MAX_REMEMBERED_VALUES}}`), { n: MAX_REMEMBERED_VALUES });
});

test('parsed values: a key remembered again is the newest, and its older slot forgets nothing', () => {
  const memo = new ParsedValues();
  memo.remember('/a', '{"v":1}', { v: 1 });
  memo.remember('/b', '{"b":1}', { b: 1 });
  memo.remember('/a', '{"v":2}', { v: 2 });
  for (let i = 3; i < MAX_REMEMBERED_VALUES; i++) memo.remember(`/k${i}`, `{"n":${i}}`, { n: i });
  assert.equal(memo.size, MAX_REMEMBERED_VALUES - 1);
  // The ring comes round to /a's first slot: /a was remembered since, so nothing goes.
  memo.remember('/c', '{}', {});
  assert.equal(memo.size, MAX_REMEMBERED_VALUES);
  assert.deepEqual(memo.get('/a', '{"v":2}'), { v: 2 });
  // Then /b, the oldest, goes; and /a, once it is the oldest.
  memo.remember('/d', '{}', {});
  assert.equal(memo.get('/b', '{"b":1}'), undefined);
  assert.deepEqual(memo.get('/a', '{"v":2}'), { v: 2 });
  memo.remember('/e', '{}', {});
  assert.equal(memo.get('/a', '{"v":2}'), undefined);
  assert.equal(memo.size, MAX_REMEMBERED_VALUES);
});
