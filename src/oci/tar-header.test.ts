import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BLOCK_SIZE, checksumOf, paddingOf, paxRecord, readNumber, writeChecksum, writeOctal } from './tar-header.ts';

test('reads octal fields padded with spaces or NULs, and empty ones as 0', () => {
  const block = Buffer.alloc(BLOCK_SIZE);
  block.write(' 0000755 ', 100, 'latin1');
  assert.equal(readNumber(block, 'mode'), 0o755);
  block.write('00000000017\0', 124, 'latin1');
  assert.equal(readNumber(block, 'size'), 15);
  assert.equal(readNumber(block, 'uid'), 0);
});

test('reads GNU base-256 numbers, for sizes past 8 GiB', () => {
  const block = Buffer.alloc(BLOCK_SIZE);
  const size = 3 * 2 ** 33 + 5;
  const field = Buffer.alloc(12);
  field[0] = 0x80;
  field.writeUIntBE(size, 6, 6);
  field.copy(block, 124);
  assert.equal(readNumber(block, 'size'), size);
  block[124] = 0xff; // negative
  assert.equal(readNumber(block, 'size'), undefined);
});

test('rejects numeric fields holding anything but octal digits', () => {
  const block = Buffer.alloc(BLOCK_SIZE);
  block.write('00009\0', 100, 'latin1');
  assert.equal(readNumber(block, 'mode'), undefined);
});

test('writes zero-padded octal and refuses values that do not fit', () => {
  const block = Buffer.alloc(BLOCK_SIZE);
  writeOctal(block, 'mode', 0o644);
  assert.equal(block.toString('latin1', 100, 108), '0000644\0');
  assert.throws(() => writeOctal(block, 'mode', 0o100000000), RangeError);
});

test('the checksum counts its own field as spaces', () => {
  const block = Buffer.alloc(BLOCK_SIZE);
  block.write('name', 0, 'latin1');
  writeChecksum(block);
  assert.equal(readNumber(block, 'checksum'), checksumOf(block));
  assert.equal(checksumOf(Buffer.alloc(BLOCK_SIZE)), 8 * 0x20);
});

test('pax records count their own length, digits included', () => {
  assert.equal(paxRecord('path', 'a').toString(), '9 path=a\n');
  const long = paxRecord('path', 'x'.repeat(95)); // 9 + 95 = 104: the count gains a digit
  assert.equal(long.length, Number(long.toString().split(' ')[0]));
  assert.equal(paxRecord('path', 'é').length, 11);
});

test('pads bodies to whole blocks', () => {
  assert.deepEqual([paddingOf(0), paddingOf(1), paddingOf(512), paddingOf(513)], [0, 511, 0, 511]);
});
