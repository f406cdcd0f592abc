import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareQuantities, cpuUnits, mebibytes, milliValue, parseQuantity, byteValue } from './quantity.ts';

const q = (s: string | number) => {
  const r = parseQuantity(s);
  assert.ok(r, `${s} parses`);
  return r;
};

test('CPU quantities become units: 1000m = 1024, fractions of a millicore round up first', () => {
  assert.equal(cpuUnits(q('1')), 1024);
  assert.equal(cpuUnits(q('500m')), 512);
  assert.equal(cpuUnits(q('250m')), 256);
  assert.equal(cpuUnits(q('100m')), 102);
  assert.equal(cpuUnits(q(0.5)), 512);
  assert.equal(cpuUnits(q('1.5')), 1536);
  assert.equal(milliValue(q('0.0001')), 1);
  assert.equal(milliValue(q('2e-3')), 2);
});

test('memory quantities become MiB rounded up, binary and decimal suffixes alike', () => {
  assert.equal(mebibytes(q('128Mi')), 128);
  assert.equal(mebibytes(q('1Gi')), 1024);
  assert.equal(mebibytes(q('128M')), 123);
  assert.equal(mebibytes(q('1')), 1);
  assert.equal(mebibytes(q('1.5Gi')), 1536);
  assert.equal(byteValue(q('1k')), 1000);
  assert.equal(byteValue(q('1Ki')), 1024);
  assert.equal(byteValue(q('1e3')), 1000);
});

test('what is not a quantity is refused; quantities compare exactly', () => {
  for (const bad of ['', 'abc', '1Mb', '1.2.3', ' 1', '1 ', '.', 'Mi', '1e']) assert.equal(parseQuantity(bad), undefined, bad);
  assert.equal(compareQuantities(q('1'), q('1000m')), 0);
  assert.equal(compareQuantities(q('1Gi'), q('1G')), 1);
  assert.equal(compareQuantities(q('100m'), q('0.2')), -1);
});
