/**
 * Where an event is in a group's log, and the forms it takes on the wire: the 56-digit
 * eventId (which sorts as timestamp, then place in the log), GetLogEvents' `f/…/s` and
 * `b/…/s` tokens, and FilterLogEvents' opaque nextToken.
 */
import { fail } from '../../core/errors.ts';

export interface Position {
  readonly timestamp: number;
  readonly segment: number;
  /** Byte offset of the batch's record in its segment. */
  readonly offset: number;
  /** The event's index in its batch (-1: before the batch's first event). */
  readonly index: number;
}

const TS = 20, SEG = 12, OFF = 14, IDX = 10;

/** The eventId of an event: digits of (timestamp, segment, offset, index), 56 in all. */
export function eventKey(p: Position): string {
  return String(p.timestamp).padStart(TS, '0') + String(p.segment).padStart(SEG, '0') + String(p.offset).padStart(OFF, '0') + String(p.index + 1).padStart(IDX, '0');
}

/** The timestamp a key begins with. */
export function keyTimestamp(key: string): number {
  return Number(key.slice(0, TS));
}

/** The key before every event (GetLogEvents' tokens on an empty stream). */
export const FIRST_KEY = '0'.repeat(TS + SEG + OFF + IDX);
/** The key after every event. */
export const LAST_KEY = '9'.repeat(TS + SEG + OFF + IDX);

export function forwardToken(key: string): string {
  return `f/${key}/s`;
}

export function backwardToken(key: string): string {
  return `b/${key}/s`;
}

/** A GetLogEvents nextToken: its direction and the key it continues from. */
export function parseStreamToken(token: string): { forward: boolean; key: string } {
  const m = /^([fb])\/(\d{56})\/s$/.exec(token);
  if (!m) fail('InvalidParameterException', 'The specified nextToken is invalid.');
  return { forward: m[1] === 'f', key: m[2]! };
}

/** FilterLogEvents' nextToken: where the scan of a group (the first 8 hex of its id) goes on. */
export function scanToken(groupId: string, p: Position): string {
  return Buffer.from(`${groupId.slice(0, 8)}:${p.segment}:${p.offset}:${p.index}`).toString('base64url');
}

export function parseScanToken(token: string, groupId: string): Position {
  const m = /^([0-9a-f]{8}):(\d+):(\d+):(-1|\d+)$/.exec(Buffer.from(token, 'base64url').toString('utf8'));
  if (!m || m[1] !== groupId.slice(0, 8)) fail('InvalidParameterException', 'The specified nextToken is invalid.');
  return { timestamp: 0, segment: Number(m[2]), offset: Number(m[3]), index: Number(m[4]) };
}
