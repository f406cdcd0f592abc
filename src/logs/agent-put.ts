/**
 * The receiving end of the awslogs log driver (src/agent/awslogs/): what an agent's batch
 * becomes in CloudWatch Logs, exactly once.
 *
 * The driver numbers a container's output by byte offset (its position in everything the
 * container wrote) and sends each event with the offset where it ends. A batch is stored by
 * PutLogEvents' own path (events.ts `putEvents`), with the batch's last offset written in
 * the same record (store/format.ts, version 2). Before storing, the events that end at or
 * before the stream's highest stored offset are dropped: they are a batch sent again by an
 * agent that died after the control plane stored it and before the agent wrote down its
 * acknowledgement. Keeping the offset in the record, not beside it, is what makes this
 * exact: no crash can leave events stored without their offset, or the offset without them.
 *
 * Batches of one stream are applied one after the other (the offset is read, then the batch
 * appended): an agent that reconnects after a kill -9 may resend a batch while the one its
 * previous session sent is still being written.
 */
import type { EncodedEvents } from './store/encoded-events.ts';
import { ApiError, fail } from '../core/errors.ts';
import { createGroup, getGroup, type LogsDeps } from './groups.ts';
import { checkWindow, type RejectedInfo } from './put-check.ts';
import { retentionCutoff, type Scope } from './records.ts';
import { EVENT_HEAD_BYTES, encodeEvents, MAX_PAYLOAD_BYTES } from './store/format.ts';
import { createStream, getStream } from './streams.ts';

/** One event from the driver: a PutLogEvents event and the producer offset where it ends. */
export interface OffsetEvent {
  readonly timestamp: number;
  readonly message: string;
  readonly end: number;
}

export interface AgentBatch {
  readonly group: string;
  readonly stream: string;
  /** `awslogs-create-group: true`: the group is made if it is missing. */
  readonly createGroup: boolean;
  /**
   * In producer offset order (the driver's order), chronological: as the driver's binary
   * frame carries them (checked by its decoder), or as objects (a JSON `put`).
   */
  readonly events: readonly OffsetEvent[] | EncodedEvents;
}

/** Bytes a record adds to its events at most: header, version, ids, names (512 B each in UTF-8, 4 bytes a character at most), times, offset. */
const RECORD_HEAD_MAX_BYTES = 8 + 1 + 2 + 64 + 2 + 4 * 512 + 8 + 4 + 8;

function encoded(events: readonly OffsetEvent[] | EncodedEvents): EncodedEvents {
  if (!Array.isArray(events)) return events as EncodedEvents;
  const list = events as readonly OffsetEvent[];
  return { count: list.length, region: encodeEvents(list), ends: Float64Array.from(list, (e) => e.end) };
}

/**
 * Batches being applied, per stream, chained: an entry lives while a batch of its stream is
 * in flight, and each agent has at most one in flight per stream (plus one resent after a
 * reconnect), so this is bounded by the streams being written to.
 */
const inFlight = new Map<string, Promise<unknown>>();

function isCode(e: unknown, code: string): boolean {
  return e instanceof ApiError && e.code === code;
}

/**
 * Makes sure the driver's group and stream exist, as Docker's awslogs driver does when it
 * starts: the group only with `createGroup` (else AWS's ResourceNotFoundException, which
 * fails the container's start), the stream always.
 */
export async function ensureStream(deps: LogsDeps, s: Scope, now: number, group: string, stream: string, create: boolean): Promise<void> {
  if (create) {
    await createGroup(deps, s, now, { logGroupName: group }).catch((e: unknown) => { if (!isCode(e, 'ResourceAlreadyExistsException')) throw e; });
  } else {
    await getGroup(deps, s, group);
  }
  await createStream(deps, s, now, group, stream).catch((e: unknown) => { if (!isCode(e, 'ResourceAlreadyExistsException')) throw e; });
}

/**
 * Stores the part of a batch not stored yet. Answers how many events were stored and how
 * many were already there; a stream (or group with createGroup) deleted meanwhile is made
 * again, as the driver would on its next PutLogEvents.
 */
export function putFromAgent(deps: LogsDeps, s: Scope, now: number, batch: AgentBatch): Promise<{ stored: number; duplicates: number; rejected: RejectedInfo | undefined }> {
  const key = `${s.account}/${s.region}/${batch.group}/${batch.stream}`;
  const prev = inFlight.get(key) ?? Promise.resolve();
  const run = prev.then(() => apply(deps, s, now, batch), () => apply(deps, s, now, batch));
  const tail = run.then(() => undefined, () => undefined);
  inFlight.set(key, tail);
  void tail.then(() => { if (inFlight.get(key) === tail) inFlight.delete(key); });
  return run;
}

async function apply(deps: LogsDeps, s: Scope, now: number, batch: AgentBatch): Promise<{ stored: number; duplicates: number; rejected: RejectedInfo | undefined }> {
  const ev = encoded(batch.events);
  if (ev.count === 0) return { stored: 0, duplicates: 0, rejected: undefined };
  let group, stream;
  try {
    group = (await getGroup(deps, s, batch.group)).record;
    stream = await getStream(deps, s, batch.group, batch.stream);
  } catch (e) {
    if (!isCode(e, 'ResourceNotFoundException')) throw e;
    await ensureStream(deps, s, now, batch.group, batch.stream, batch.createGroup);
    return apply(deps, s, now, batch);
  }
  const done = deps.logs.producerOffset(group.id, stream.id) ?? -1;
  // Where each event starts in the region (and where the last ends).
  const starts = new Float64Array(ev.count + 1);
  for (let i = 0, at = 0; i <= ev.count; i++) {
    starts[i] = at;
    if (i < ev.count) at += EVENT_HEAD_BYTES + ev.region.readUInt32LE(at + 8);
  }
  let fresh = 0;
  while (fresh < ev.count && ev.ends[fresh]! <= done) fresh++;
  if (fresh === ev.count) return { stored: 0, duplicates: ev.count, rejected: undefined };
  const cutoff = retentionCutoff(group.retentionInDays, now);
  const w = checkWindow(ev.count - fresh, (i) => ev.region.readDoubleLE(starts[fresh + i]!), now, cutoff);
  const first = fresh + w.first, end = fresh + w.end;
  if (end > first) {
    const region = ev.region.subarray(starts[first], starts[end]);
    if (region.length + RECORD_HEAD_MAX_BYTES > MAX_PAYLOAD_BYTES) fail('InvalidParameterException', `an awslogs batch of ${region.length} bytes of events is past the log store's record (${MAX_PAYLOAD_BYTES - RECORD_HEAD_MAX_BYTES})`);
    // The offset stored is the batch's last, though events at its end were rejected (too new): they are not sent again either.
    await deps.logs.appendEncoded(group.id, stream.id, stream.name, now, end - first, region, ev.ends[ev.count - 1]!);
  }
  // Retention's cheap moment, as PutLogEvents has it: only the oldest segment is looked at.
  if (group.retentionInDays !== undefined) deps.logs.dropBefore(group.id, cutoff);
  return { stored: end - first, duplicates: fresh, rejected: w.rejected };
}
