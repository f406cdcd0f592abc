import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { acknowledgeOf, decodeMessage, encodeMessage, parseOpenDataChannel, PAYLOAD_OFFSET, type AgentMessage } from './agent-message.ts';

/**
 * The fixture is written out field by field from the plugin's layout (not by the encoder):
 * an input_stream_data frame carrying "ls\n" as Output, sequence 7, message id
 * 00112233-4455-6677-8899-aabbccddeeff (stored low half first).
 */
const PAYLOAD = Buffer.from('ls\n');
const FIXTURE = Buffer.concat([
  Buffer.from('00000074', 'hex'), // header length 116
  Buffer.from('input_stream_data'.padEnd(32, ' '), 'ascii'),
  Buffer.from('00000001', 'hex'), // schema version
  Buffer.from('0000018c1f2a3b4c', 'hex'), // created date
  Buffer.from('0000000000000007', 'hex'), // sequence number
  Buffer.from('0000000000000000', 'hex'), // flags
  Buffer.from('8899aabbccddeeff', 'hex'), // message id, low 8 bytes
  Buffer.from('0011223344556677', 'hex'), // message id, high 8 bytes
  createHash('sha256').update(PAYLOAD).digest(),
  Buffer.from('00000001', 'hex'), // payload type Output
  Buffer.from('00000003', 'hex'), // payload length
  PAYLOAD,
]);
const MESSAGE: AgentMessage = {
  messageType: 'input_stream_data', schemaVersion: 1, createdDate: 0x18c1f2a3b4c, sequenceNumber: 7, flags: 0,
  messageId: '00112233-4455-6677-8899-aabbccddeeff', payloadType: 1, payload: PAYLOAD,
};

test('encodes a frame byte for byte as the plugin lays it out', () => {
  assert.equal(FIXTURE.length, PAYLOAD_OFFSET + 3);
  assert.deepEqual(encodeMessage(MESSAGE), FIXTURE);
});

test('decodes the fixture back to every field', () => {
  assert.deepEqual(decodeMessage(FIXTURE), MESSAGE);
});

test('an empty payload round-trips, and the digest is of nothing', () => {
  const m = { ...MESSAGE, messageType: 'channel_closed', payload: Buffer.alloc(0), payloadType: 0 };
  const b = encodeMessage(m);
  assert.equal(b.length, PAYLOAD_OFFSET);
  assert.deepEqual(b.subarray(80, 112), createHash('sha256').digest());
  assert.deepEqual(decodeMessage(b), m);
});

test('refuses short, mis-sized and tampered frames', () => {
  assert.throws(() => decodeMessage(FIXTURE.subarray(0, 100)), /shorter than the 120-byte header/);
  assert.throws(() => decodeMessage(Buffer.concat([FIXTURE, Buffer.from('x')])), /payload length 3 does not match/);
  const tampered = Buffer.from(FIXTURE);
  tampered[PAYLOAD_OFFSET] = 0x4c;
  assert.throws(() => decodeMessage(tampered), /digest does not match/);
  const badHeader = Buffer.from(FIXTURE);
  badHeader.writeUInt32BE(100, 0);
  assert.throws(() => decodeMessage(badHeader), /header length 100/);
});

test('refuses a message type that does not fit and an id that is not a UUID', () => {
  assert.throws(() => encodeMessage({ ...MESSAGE, messageType: 'x'.repeat(33) }), /at most 32/);
  assert.throws(() => encodeMessage({ ...MESSAGE, messageId: 'nope' }), /not a UUID/);
});

test('an acknowledge names the message it acknowledges in its JSON payload', () => {
  const ack = decodeMessage(encodeMessage(acknowledgeOf(MESSAGE, 5, 'ffffffff-0000-0000-0000-000000000001')));
  assert.equal(ack.messageType, 'acknowledge');
  assert.equal(ack.flags, 3);
  assert.deepEqual(JSON.parse(ack.payload.toString()), {
    AcknowledgedMessageType: 'input_stream_data', AcknowledgedMessageId: MESSAGE.messageId,
    AcknowledgedMessageSequenceNumber: 7, IsSequentialMessage: true,
  });
});

test('the opening text frame needs all five fields', () => {
  const open = { MessageSchemaVersion: '1.0', RequestId: 'r'.repeat(16), TokenValue: 't', ClientId: 'c', ClientVersion: '1.2.0' };
  assert.deepEqual(parseOpenDataChannel(JSON.stringify(open)), open);
  assert.equal(parseOpenDataChannel(JSON.stringify({ ...open, TokenValue: '' })), undefined);
  assert.equal(parseOpenDataChannel('not json'), undefined);
  assert.equal(parseOpenDataChannel('[]'), undefined);
});
