/** PutLogEvents, GetLogEvents and FilterLogEvents over the log store. */
import { fail } from '../core/errors.ts';
import { getGroup, type LogsDeps } from './groups.ts';
import { compilePattern } from './pattern/match.ts';
import { checkBatch, type RejectedInfo } from './put-check.ts';
import { retentionCutoff, type Scope } from './records.ts';
import type { InputEvent } from './store/format.ts';
import type { StoredEvent } from './store/log-store.ts';
import { backwardToken, FIRST_KEY, forwardToken, parseScanToken, parseStreamToken, scanToken } from './store/position.ts';
import { getStream, streamIds } from './streams.ts';
import { checkRange } from './validation.ts';

/** GetLogEvents and FilterLogEvents answer at most 10,000 events … */
export const MAX_EVENTS_PER_ANSWER = 10_000;
/** … and at most 1 MB of messages. */
export const MAX_ANSWER_BYTES = 1_048_576;
/**
 * FilterLogEvents reads at most this much of the log per call, then answers with what it
 * found and a nextToken, as AWS does when a search runs long (possibly with no events). The
 * scan runs on the event loop: 64 MiB is some tens of milliseconds from the page cache, the
 * longest any other request waits behind one call.
 */
export const FILTER_SCAN_BYTES = 64 * 1024 * 1024;

/**
 * PutLogEvents. `producerOffset` is the awslogs driver's (agent-put.ts): stored in the same
 * record as the events, so what is durable says how far the container's output got.
 */
export async function putEvents(deps: LogsDeps, s: Scope, now: number, group: string, stream: string, events: readonly InputEvent[], producerOffset?: number): Promise<{ rejected: RejectedInfo | undefined }> {
  const { record: g } = await getGroup(deps, s, group);
  const st = await getStream(deps, s, group, stream);
  const cutoff = retentionCutoff(g.retentionInDays, now);
  const { accepted, rejected } = checkBatch(events, now, cutoff);
  if (accepted.length > 0) await deps.logs.append(g.id, st.id, st.name, now, accepted, producerOffset);
  // Retention's cheap moment: only the oldest segment is looked at.
  if (g.retentionInDays !== undefined) deps.logs.dropBefore(g.id, cutoff);
  return { rejected };
}

export interface GetEventsInput {
  readonly startTime?: number;
  readonly endTime?: number;
  readonly nextToken?: string;
  readonly limit?: number;
  readonly startFromHead?: boolean;
}

/**
 * GetLogEvents: a window of one stream's events in time order. Without a token, the newest
 * `limit` (or the oldest with startFromHead); `f/` tokens go on forward, `b/` backward; at
 * the end the same token comes back, which is how clients know to stop.
 */
export async function getEvents(deps: LogsDeps, s: Scope, now: number, group: string, stream: string, input: GetEventsInput): Promise<{ events: StoredEvent[]; nextForwardToken: string; nextBackwardToken: string }> {
  checkRange(input.limit, 'limit', 1, MAX_EVENTS_PER_ANSWER);
  const token = input.nextToken === undefined ? undefined : parseStreamToken(input.nextToken);
  const { record: g } = await getGroup(deps, s, group);
  const st = await getStream(deps, s, group, stream);
  const from = Math.max(input.startTime ?? 0, retentionCutoff(g.retentionInDays, now));
  const to = input.endTime === undefined ? Number.MAX_SAFE_INTEGER : input.endTime - 1;
  const fromEnd = token ? !token.forward : input.startFromHead !== true;
  let events = deps.logs.readStream(g.id, st.id, {
    from, to, limit: input.limit ?? MAX_EVENTS_PER_ANSWER, fromEnd,
    ...(token?.forward ? { after: token.key } : token ? { before: token.key } : {}),
  });
  events = trimToBytes(events, fromEnd);
  if (events.length === 0) {
    const key = token?.key ?? FIRST_KEY;
    return { events, nextForwardToken: forwardToken(key), nextBackwardToken: backwardToken(key) };
  }
  return { events, nextForwardToken: forwardToken(events[events.length - 1]!.key), nextBackwardToken: backwardToken(events[0]!.key) };
}

/** Keeps at most MAX_ANSWER_BYTES of messages, dropping from the far end of the reading direction. */
function trimToBytes(events: StoredEvent[], fromEnd: boolean): StoredEvent[] {
  let bytes = 0;
  const order = fromEnd ? [...events.keys()].reverse() : [...events.keys()];
  for (const [n, i] of order.entries()) {
    bytes += Buffer.byteLength(events[i]!.message, 'utf8');
    if (bytes > MAX_ANSWER_BYTES && n > 0) return fromEnd ? events.slice(i + 1) : events.slice(0, i);
  }
  return events;
}

export interface FilterInput {
  readonly logStreamNames?: string[];
  readonly logStreamNamePrefix?: string;
  readonly startTime?: number;
  readonly endTime?: number;
  readonly filterPattern?: string;
  readonly nextToken?: string;
  readonly limit?: number;
}

/**
 * FilterLogEvents: the group's matching events, interleaved across its streams in the order
 * they were stored (each stream's batches in their own order), a page at a time.
 */
export async function filterEvents(deps: LogsDeps, s: Scope, now: number, group: string, input: FilterInput): Promise<{ events: StoredEvent[]; nextToken: string | undefined }> {
  checkRange(input.limit, 'limit', 1, MAX_EVENTS_PER_ANSWER);
  if (input.logStreamNames !== undefined && input.logStreamNamePrefix !== undefined) {
    fail('InvalidParameterException', 'Only one of logStreamNames or logStreamNamePrefix can be specified.');
  }
  if (input.logStreamNames !== undefined && (input.logStreamNames.length < 1 || input.logStreamNames.length > 100)) {
    fail('InvalidParameterException', `1 validation error detected: Value at 'logStreamNames' failed to satisfy constraint: Member must have length between 1 and 100`);
  }
  const pattern = compilePattern(input.filterPattern ?? '');
  const { record: g } = await getGroup(deps, s, group);
  const from = input.nextToken === undefined ? undefined : parseScanToken(input.nextToken, g.id);
  // Only live streams' events show: a stream deleted (or deleted and made again) leaves its old batches behind until retention.
  const live = await streamIds(deps, s, g, input.logStreamNames, input.logStreamNamePrefix);
  if (input.logStreamNames !== undefined && live.size === 0) fail('ResourceNotFoundException', 'The specified log stream does not exist.');
  const ids = new Set(live.values());
  const page = deps.logs.scan(g.id, {
    from,
    minTs: Math.max(input.startTime ?? 0, retentionCutoff(g.retentionInDays, now)),
    maxTs: input.endTime === undefined ? Number.MAX_SAFE_INTEGER : input.endTime - 1,
    streams: (id) => ids.has(id),
    test: pattern.all ? () => () => true : (payload) => pattern.forBatch(payload),
    limit: input.limit ?? MAX_EVENTS_PER_ANSWER,
    maxBytes: FILTER_SCAN_BYTES,
    maxResultBytes: MAX_ANSWER_BYTES,
  });
  return { events: page.events, nextToken: page.next ? scanToken(g.id, page.next) : undefined };
}
