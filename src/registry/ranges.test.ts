import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseContentRange, parseRangeHeader, uploadRange } from './ranges.ts';

test('blob ranges: first-last, open-ended and suffix', () => {
  assert.deepEqual(parseRangeHeader('bytes=0-9', 100), { kind: 'range', range: { start: 0, end: 9 } });
  assert.deepEqual(parseRangeHeader('bytes=90-', 100), { kind: 'range', range: { start: 90, end: 99 } });
  assert.deepEqual(parseRangeHeader('bytes=50-500', 100), { kind: 'range', range: { start: 50, end: 99 } });
  assert.deepEqual(parseRangeHeader('bytes=-10', 100), { kind: 'range', range: { start: 90, end: 99 } });
  assert.deepEqual(parseRangeHeader('bytes=-1000', 100), { kind: 'range', range: { start: 0, end: 99 } });
});

test('a range past the end or ending before it starts is unsatisfiable; malformed or multiple ranges are ignored', () => {
  assert.deepEqual(parseRangeHeader('bytes=100-', 100), { kind: 'unsatisfiable' });
  assert.deepEqual(parseRangeHeader('bytes=-0', 100), { kind: 'unsatisfiable' });
  assert.deepEqual(parseRangeHeader('bytes=9-1', 100), { kind: 'unsatisfiable' });
  assert.deepEqual(parseRangeHeader('bytes=500-0', 1000), { kind: 'unsatisfiable' });
  assert.deepEqual(parseRangeHeader(undefined, 100), { kind: 'all' });
  assert.deepEqual(parseRangeHeader('bytes=0-1,5-6', 100), { kind: 'all' });
  assert.deepEqual(parseRangeHeader('items=0-1', 100), { kind: 'all' });
  assert.deepEqual(parseRangeHeader('bytes=a-1', 100), { kind: 'all' });
});

test('upload Content-Range in spec and RFC forms', () => {
  assert.deepEqual(parseContentRange('0-99'), { start: 0, end: 99 });
  assert.deepEqual(parseContentRange('bytes 100-199/*'), { start: 100, end: 199 });
  assert.deepEqual(parseContentRange('bytes=5-5'), { start: 5, end: 5 });
  for (const bad of ['', '5', '-5', '9-1', 'a-b', '0-99/x', '1-2-3']) assert.equal(parseContentRange(bad), undefined, bad);
});

test('upload Range header', () => {
  assert.equal(uploadRange(0), '0-0');
  assert.equal(uploadRange(10), '0-9');
});
