/**
 * PutLogEvents' rules for a batch, pure: AWS's limits refuse the whole batch; events outside
 * the time window are left out and reported (rejectedLogEventsInfo) while the rest is stored.
 */
import { fail } from '../core/errors.ts';
import type { InputEvent } from './store/format.ts';

/** A batch: at most 1,048,576 bytes, counting each event's UTF-8 message plus 26 bytes. */
export const MAX_BATCH_BYTES = 1_048_576;
export const EVENT_OVERHEAD_BYTES = 26;
/** One event: at most 256 KiB, its 26 bytes included. */
export const MAX_EVENT_BYTES = 262_144;
/** At most 10,000 events (also the model's list bound). */
export const MAX_BATCH_EVENTS = 10_000;
/** The events of one batch span at most 24 hours. */
export const MAX_BATCH_SPAN_MS = 24 * 60 * 60 * 1000;
/** Events more than 2 hours ahead of the service's clock are rejected as too new… */
export const MAX_FUTURE_MS = 2 * 60 * 60 * 1000;
/** … and more than 14 days behind it as too old. */
export const MAX_PAST_MS = 14 * 24 * 60 * 60 * 1000;

export interface RejectedInfo {
  tooNewLogEventStartIndex?: number;
  tooOldLogEventEndIndex?: number;
  expiredLogEventEndIndex?: number;
}

export interface BatchCheck {
  /** The events to store, in order. */
  readonly accepted: InputEvent[];
  readonly rejected: RejectedInfo | undefined;
}

/** `retentionCutoff`: the oldest timestamp the group keeps (0 without retention). */
export function checkBatch(events: readonly InputEvent[], now: number, retentionCutoff: number): BatchCheck {
  if (events.length === 0) fail('InvalidParameterException', '1 validation error detected: Value \'[]\' at \'logEvents\' failed to satisfy constraint: Member must have length greater than or equal to 1');
  if (events.length > MAX_BATCH_EVENTS) fail('InvalidParameterException', `1 validation error detected: Value at 'logEvents' failed to satisfy constraint: Member must have length less than or equal to ${MAX_BATCH_EVENTS}`);
  let total = 0;
  for (const [i, e] of events.entries()) {
    if (e.message.length === 0) fail('InvalidParameterException', `1 validation error detected: Value '' at 'logEvents.${i + 1}.member.message' failed to satisfy constraint: Member must have length greater than or equal to 1`);
    if (e.timestamp < 0) fail('InvalidParameterException', `1 validation error detected: Value '${e.timestamp}' at 'logEvents.${i + 1}.member.timestamp' failed to satisfy constraint: Member must have value greater than or equal to 0`);
    const size = Buffer.byteLength(e.message, 'utf8') + EVENT_OVERHEAD_BYTES;
    if (size > MAX_EVENT_BYTES) fail('InvalidParameterException', `Log event too large: ${size} bytes exceeds limit of ${MAX_EVENT_BYTES}`);
    total += size;
  }
  if (total > MAX_BATCH_BYTES) fail('InvalidParameterException', `Upload too large: ${total} bytes exceeds limit of ${MAX_BATCH_BYTES}`);
  for (let i = 1; i < events.length; i++) {
    if (events[i]!.timestamp < events[i - 1]!.timestamp) fail('InvalidParameterException', 'Log events in a single PutLogEvents request must be in chronological order.');
  }
  if (events[events.length - 1]!.timestamp - events[0]!.timestamp > MAX_BATCH_SPAN_MS) {
    fail('InvalidParameterException', 'The batch of log events in a single PutLogEvents request cannot span more than 24 hours.');
  }
  const { first, end, rejected } = checkWindow(events.length, (i) => events[i]!.timestamp, now, retentionCutoff);
  return { accepted: events.slice(first, end), rejected };
}

/**
 * The time window of a chronological batch: the events [first, end) to store, and the
 * rejected ones' indexes as PutLogEvents reports them (too old or expired at the start,
 * too new at the end). `timestampAt(i)` reads event i (an encoded batch's are not objects).
 */
export function checkWindow(count: number, timestampAt: (i: number) => number, now: number, retentionCutoff: number): { first: number; end: number; rejected: RejectedInfo | undefined } {
  const rejected: RejectedInfo = {};
  let first = 0;
  let end = count;
  for (let i = 0; i < count; i++) {
    const ts = timestampAt(i);
    if (ts < now - MAX_PAST_MS) rejected.tooOldLogEventEndIndex = i;
    if (ts < retentionCutoff) rejected.expiredLogEventEndIndex = i;
    if (ts < now - MAX_PAST_MS || ts < retentionCutoff) first = i + 1;
    if (ts > now + MAX_FUTURE_MS && rejected.tooNewLogEventStartIndex === undefined) {
      rejected.tooNewLogEventStartIndex = i;
      end = i;
    }
  }
  return { first, end: Math.max(first, end), rejected: Object.keys(rejected).length > 0 ? rejected : undefined };
}
