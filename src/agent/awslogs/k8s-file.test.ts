import assert from 'node:assert/strict';
import { test } from 'node:test';
import { K8sFileReader, parseRecordTime, recordTimeOf } from './k8s-file.ts';
import type { Line } from './multiline.ts';

test('record times: nanoseconds and numeric zones to epoch milliseconds', () => {
  assert.equal(parseRecordTime('2026-12-07T08:51:49.123456789Z'), Date.UTC(2026, 11, 7, 8, 51, 49, 123));
  assert.equal(parseRecordTime('2026-12-07T09:51:49.5+01:00'), Date.UTC(2026, 11, 7, 8, 51, 49, 500));
  assert.equal(parseRecordTime('2026-12-07T08:51:49+00:00'), Date.UTC(2026, 11, 7, 8, 51, 49, 0));
  assert.ok(Number.isNaN(parseRecordTime('garbage')));
  assert.equal(parseRecordTime('2026-12-07T08:51:49.570000000Z') % 1000, 570, 'exact milliseconds (not 0.57 × 1000 in floating point)');
});

test('record times read from the bytes are the times parsed from the text', () => {
  const times = ['2026-12-07T08:51:49.123456789Z', '2026-12-07T09:51:49.5+01:00', '2026-12-07T08:51:49+00:00', '2026-12-31T23:59:59.999999999-05:30', '2027-01-01T00:00:00.000000001Z', '2026-12-07T08:51:49.12Z', '2026-12-07T08:51:49.57Z', 'garbage at all'];
  for (const t of times) {
    const buf = Buffer.from(`xx${t}yy`);
    assert.deepEqual(recordTimeOf(buf, 2, 2 + t.length), parseRecordTime(t), t);
  }
});

test('lines from chunks cut anywhere: F lines, P pieces joined, empty lines, offsets where each ends', () => {
  const text = [
    '2026-12-07T08:51:49.000000001Z stdout F hello',
    '2026-12-07T08:51:49.002000000Z stderr P part one, ',
    '2026-12-07T08:51:49.003000000Z stderr F part two',
    '2026-12-07T08:51:50.000000000Z stdout F ',
    '2026-12-07T08:51:50.100000000Z stdout F héllo wörld',
  ].map((l) => `${l}\n`).join('');
  const bytes = Buffer.from(text);
  const whole: Line[] = [];
  new K8sFileReader(1000).push(bytes, whole);
  const ends = [...text.matchAll(/\n/g)].map((m) => 1000 + Buffer.byteLength(text.slice(0, m.index + 1)));
  assert.deepEqual(whole, [
    { timestamp: Date.UTC(2026, 11, 7, 8, 51, 49, 0), message: 'hello', end: ends[0] },
    { timestamp: Date.UTC(2026, 11, 7, 8, 51, 49, 2), message: 'part one, part two', end: ends[2] },
    { timestamp: Date.UTC(2026, 11, 7, 8, 51, 50, 0), message: '', end: ends[3] },
    { timestamp: Date.UTC(2026, 11, 7, 8, 51, 50, 100), message: 'héllo wörld', end: ends[4] },
  ]);
  // Byte by byte: the same lines (a multi-byte character split across chunks included).
  const r = new K8sFileReader(1000);
  const split: Line[] = [];
  for (let i = 0; i < bytes.length; i++) r.push(bytes.subarray(i, i + 1), split);
  assert.deepEqual(split, whole);
  assert.equal(r.offset, 1000 + bytes.length);
  assert.equal(r.buffered, 0);
  r.push(Buffer.from('2026-12-07T08:51:50Z stdout F no end yet'), split);
  assert.equal(r.buffered, 40);
});

test('raw output (a gVisor sandbox\'s): each line as it is, timed when read', () => {
  const out: Line[] = [];
  const r = new K8sFileReader(0, () => 42);
  r.push(Buffer.from('hello\nwor'), out);
  r.push(Buffer.from('ld\n'), out);
  assert.deepEqual(out, [{ timestamp: 42, message: 'hello', end: 6 }, { timestamp: 42, message: 'world', end: 12 }]);
});

test('a line cut by a rotation (P pieces in the old file, F in the new) is one line', () => {
  const out: Line[] = [];
  const r = new K8sFileReader(0);
  const old = Buffer.from('2026-12-07T08:51:49Z stdout P first half, \n');
  r.push(old, out);
  r.rebase(old.length);
  r.push(Buffer.from('2026-12-07T08:51:49Z stdout F second half\n'), out);
  assert.deepEqual(out.map((l) => l.message), ['first half, second half']);
});
