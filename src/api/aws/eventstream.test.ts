import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeMessages, exceptionEvent, jsonEvent } from './eventstream.ts';

test('event stream messages carry their headers and payload, CRCs checked on decode', () => {
  const bytes = Buffer.concat([jsonEvent('initial-response', {}), jsonEvent('sessionUpdate', { sessionResults: [{ message: 'é' }] }), exceptionEvent('SessionTimeoutException', 'over')]);
  const msgs = decodeMessages(bytes);
  assert.deepEqual(msgs.map((m) => [m.headers[':message-type'], m.headers[':event-type'] ?? m.headers[':exception-type'], JSON.parse(m.payload.toString())]), [
    ['event', 'initial-response', {}],
    ['event', 'sessionUpdate', { sessionResults: [{ message: 'é' }] }],
    ['exception', 'SessionTimeoutException', { message: 'over' }],
  ]);
  // The first message of the fixed wire layout: total length, headers length, then a CRC32 of those 8 bytes.
  const first = jsonEvent('x', {});
  assert.equal(first.readUInt32BE(0), first.length);
  const broken = Buffer.from(first);
  broken[broken.length - 6] = broken[broken.length - 6]! ^ 1;
  assert.throws(() => decodeMessages(broken), /CRC/);
});
