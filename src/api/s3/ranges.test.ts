import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRange } from './ranges.ts';

test('one byte range, open-ended or a suffix, clipped to the object', () => {
  assert.deepEqual(parseRange('bytes=0-9', 100), { kind: 'partial', start: 0, end: 9 });
  assert.deepEqual(parseRange('bytes=90-', 100), { kind: 'partial', start: 90, end: 99 });
  assert.deepEqual(parseRange('bytes=90-1000', 100), { kind: 'partial', start: 90, end: 99 });
  assert.deepEqual(parseRange('bytes=-10', 100), { kind: 'partial', start: 90, end: 99 });
  assert.deepEqual(parseRange('bytes=-1000', 100), { kind: 'partial', start: 0, end: 99 });
});

test('a range starting past the end cannot be satisfied (InvalidRange)', () => {
  assert.deepEqual(parseRange('bytes=100-', 100), { kind: 'unsatisfiable' });
  assert.deepEqual(parseRange('bytes=0-0', 0), { kind: 'unsatisfiable' });
  assert.deepEqual(parseRange('bytes=-0', 100), { kind: 'unsatisfiable' });
});

test('no header, a malformed one or several ranges: the whole object, as S3 answers', () => {
  for (const h of [undefined, 'bytes=5-2', 'items=0-1', 'bytes=0-1,5-6', 'bytes=-', 'garbage']) assert.deepEqual(parseRange(h, 100), { kind: 'whole' }, String(h));
});
