import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cbor } from '@smithy/core/cbor';
import { cborTextMap } from './cbor.ts';

test('a map of text strings of every length form reads back with the JS SDK\'s CBOR decoder', () => {
  const map = { a: '', short: 'x'.repeat(23), byte: 'é'.repeat(100), two: 'y'.repeat(300), four: 'z'.repeat(70_000) };
  assert.deepEqual(cbor.deserialize(cborTextMap(map)), map);
});

test('the shortest head: a one-entry map of one-letter strings is five bytes', () => {
  assert.deepEqual([...cborTextMap({ a: 'b' })], [0xa1, 0x61, 0x61, 0x61, 0x62]);
});
