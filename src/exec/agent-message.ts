/**
 * The Session Manager plugin's binary frame ("AgentMessage"), as `aws ecs execute-command`
 * hands a session to `session-manager-plugin`. Layout (big-endian, offsets in bytes), taken
 * from the plugin's message package:
 *
 *   0   u32  header length: 116 (every field below up to, not including, payload length)
 *   4   32   message type, ASCII, padded with spaces ("input_stream_data", "acknowledge", …)
 *   36  u32  schema version (1)
 *   40  u64  created date, epoch milliseconds
 *   48  i64  sequence number
 *   56  u64  flags
 *   64  16   message id: a UUID stored as its low 8 bytes, then its high 8 bytes
 *   80  32   SHA-256 of the payload
 *   112 u32  payload type (Output 1, Size 3, handshake 5/6/7, ExitCode 12, …)
 *   116 u32  payload length
 *   120 …    payload
 *
 * Pure: encode and decode only; the clock and the id come in.
 */
import { createHash } from 'node:crypto';

export const HEADER_LENGTH = 116;
/** The payload starts here: the header and the payload length field. */
export const PAYLOAD_OFFSET = HEADER_LENGTH + 4;
const MESSAGE_TYPE_LENGTH = 32;

export const MessageType = {
  input: 'input_stream_data',
  output: 'output_stream_data',
  acknowledge: 'acknowledge',
  channelClosed: 'channel_closed',
  startPublication: 'start_publication',
  pausePublication: 'pause_publication',
} as const;

export const PayloadType = {
  output: 1,
  error: 2,
  size: 3,
  parameter: 4,
  handshakeRequest: 5,
  handshakeResponse: 6,
  handshakeComplete: 7,
  flag: 10,
  stdErr: 11,
  exitCode: 12,
} as const;

export interface AgentMessage {
  messageType: string;
  schemaVersion: number;
  /** Epoch milliseconds. */
  createdDate: number;
  sequenceNumber: number;
  flags: number;
  /** Canonical UUID text, lower case with hyphens. */
  messageId: string;
  payloadType: number;
  payload: Buffer;
}

export function encodeMessage(m: AgentMessage): Buffer {
  if (m.messageType.length > MESSAGE_TYPE_LENGTH || !/^[\x20-\x7e]*$/.test(m.messageType)) throw new Error(`message type ${JSON.stringify(m.messageType)} is not at most ${MESSAGE_TYPE_LENGTH} ASCII characters`);
  const out = Buffer.alloc(PAYLOAD_OFFSET + m.payload.length);
  out.writeUInt32BE(HEADER_LENGTH, 0);
  out.fill(0x20, 4, 4 + MESSAGE_TYPE_LENGTH);
  out.write(m.messageType, 4, 'ascii');
  out.writeUInt32BE(m.schemaVersion, 36);
  out.writeBigUInt64BE(BigInt(m.createdDate), 40);
  out.writeBigInt64BE(BigInt(m.sequenceNumber), 48);
  out.writeBigUInt64BE(BigInt(m.flags), 56);
  const id = uuidBytes(m.messageId);
  id.copy(out, 64, 8, 16);
  id.copy(out, 72, 0, 8);
  createHash('sha256').update(m.payload).digest().copy(out, 80);
  out.writeUInt32BE(m.payloadType, 112);
  out.writeUInt32BE(m.payload.length, 116);
  m.payload.copy(out, PAYLOAD_OFFSET);
  return out;
}

/** Decodes one frame; throws on a short, inconsistent or tampered one (the digest is checked, as the plugin does). */
export function decodeMessage(b: Buffer): AgentMessage {
  if (b.length < PAYLOAD_OFFSET) throw new Error(`frame of ${b.length} bytes is shorter than the ${PAYLOAD_OFFSET}-byte header`);
  const headerLength = b.readUInt32BE(0);
  if (headerLength !== HEADER_LENGTH) throw new Error(`header length ${headerLength}, expected ${HEADER_LENGTH}`);
  const payloadLength = b.readUInt32BE(116);
  if (b.length !== PAYLOAD_OFFSET + payloadLength) throw new Error(`payload length ${payloadLength} does not match the frame's ${b.length - PAYLOAD_OFFSET} bytes`);
  const payload = Buffer.from(b.subarray(PAYLOAD_OFFSET));
  if (!createHash('sha256').update(payload).digest().equals(b.subarray(80, 112))) throw new Error('payload digest does not match');
  const id = Buffer.concat([b.subarray(72, 80), b.subarray(64, 72)]).toString('hex');
  return {
    messageType: b.toString('ascii', 4, 4 + MESSAGE_TYPE_LENGTH).replace(/\0/g, '').trim(),
    schemaVersion: b.readUInt32BE(36),
    createdDate: Number(b.readBigUInt64BE(40)),
    sequenceNumber: Number(b.readBigInt64BE(48)),
    flags: Number(b.readBigUInt64BE(56)),
    messageId: `${id.slice(0, 8)}-${id.slice(8, 12)}-${id.slice(12, 16)}-${id.slice(16, 20)}-${id.slice(20)}`,
    payloadType: b.readUInt32BE(112),
    payload,
  };
}

function uuidBytes(uuid: string): Buffer {
  const hex = uuid.replace(/-/g, '');
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new Error(`message id ${JSON.stringify(uuid)} is not a UUID`);
  return Buffer.from(hex, 'hex');
}

/** The acknowledge of a stream message (its payload is JSON, as the plugin sends and expects). */
export function acknowledgeOf(m: Pick<AgentMessage, 'messageType' | 'messageId' | 'sequenceNumber'>, now: number, messageId: string): AgentMessage {
  return {
    messageType: MessageType.acknowledge, schemaVersion: 1, createdDate: now, sequenceNumber: 0, flags: 3, messageId, payloadType: 0,
    payload: Buffer.from(JSON.stringify({
      AcknowledgedMessageType: m.messageType, AcknowledgedMessageId: m.messageId,
      AcknowledgedMessageSequenceNumber: m.sequenceNumber, IsSequentialMessage: true,
    })),
  };
}

/** The JSON text frame a client opens the data channel with (its first message, before any binary one). */
export interface OpenDataChannel {
  MessageSchemaVersion: string;
  RequestId: string;
  TokenValue: string;
  ClientId: string;
  ClientVersion: string;
}

export function parseOpenDataChannel(text: string): OpenDataChannel | undefined {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  const o = v as Record<string, unknown>;
  const fields = ['MessageSchemaVersion', 'RequestId', 'TokenValue', 'ClientId', 'ClientVersion'] as const;
  if (typeof v !== 'object' || v === null || fields.some((f) => typeof o[f] !== 'string' || o[f] === '')) return undefined;
  return o as unknown as OpenDataChannel;
}
