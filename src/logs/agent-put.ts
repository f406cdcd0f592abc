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
import { ApiError } from '../core/errors.ts';
import { putEvents } from './events.ts';
import { createGroup, getGroup, type LogsDeps } from './groups.ts';
import type { RejectedInfo } from './put-check.ts';
import type { Scope } from './records.ts';
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
  /** In producer offset order (the driver's order), chronological. */
  readonly events: readonly OffsetEvent[];
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
  if (batch.events.length === 0) return { stored: 0, duplicates: 0, rejected: undefined };
  let ids: { group: string; stream: string };
  try {
    ids = { group: (await getGroup(deps, s, batch.group)).record.id, stream: (await getStream(deps, s, batch.group, batch.stream)).id };
  } catch (e) {
    if (!isCode(e, 'ResourceNotFoundException')) throw e;
    await ensureStream(deps, s, now, batch.group, batch.stream, batch.createGroup);
    return apply(deps, s, now, batch);
  }
  const done = deps.logs.producerOffset(ids.group, ids.stream) ?? -1;
  const fresh = batch.events.filter((e) => e.end > done);
  if (fresh.length === 0) return { stored: 0, duplicates: batch.events.length, rejected: undefined };
  const { rejected } = await putEvents(deps, s, now, batch.group, batch.stream, fresh.map((e) => ({ timestamp: e.timestamp, message: e.message })), fresh[fresh.length - 1]!.end);
  return { stored: fresh.length, duplicates: batch.events.length - fresh.length, rejected };
}
