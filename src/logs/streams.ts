/** Log streams: create, delete, describe (by name or by last event time). */
import { fail } from '../core/errors.ts';
import { getJson } from '../store/json.ts';
import { decodeToken, DESCRIBE_LIMIT, encodeToken, getGroup, type LogsDeps } from './groups.ts';
import { logKeys, type GroupRecord, type Scope, type StreamRecord } from './records.ts';
import type { StreamStats } from './store/log-store.ts';
import { checkRange, checkStreamName } from './validation.ts';

/**
 * Streams DescribeLogStreams orders by LastEventTime at most (all of a group's stream
 * records are read and sorted for it: ~600 bytes each). A group past it is answered from
 * its first streams by name; AWS has no such bound, and Berth's agent makes one stream per
 * container, so this is far above what one group reaches.
 */
export const MAX_STREAMS_SORTED = 100_000;

export function streamNotFound(): never {
  fail('ResourceNotFoundException', 'The specified log stream does not exist.');
}

export async function getStream(deps: LogsDeps, s: Scope, group: string, name: string): Promise<StreamRecord> {
  const held = await getJson<StreamRecord>(deps.store, logKeys.stream(s.account, s.region, group, name));
  if (!held) streamNotFound();
  return held.value;
}

export async function createStream(deps: LogsDeps, s: Scope, now: number, group: string, name: string): Promise<void> {
  checkStreamName(name);
  const { modRevision } = await getGroup(deps, s, group);
  const key = logKeys.stream(s.account, s.region, group, name);
  const record: StreamRecord = { name, id: deps.ids.stream(), creationTime: now };
  const groupKey = logKeys.group(s.account, s.region, group);
  // The group's revision is a condition too: a group deleted meanwhile takes no stream.
  const result = await deps.store.txn({ if: [{ key: groupKey, modRevision }, { key, modRevision: 0 }], ops: [{ type: 'put', key, value: JSON.stringify(record) }] });
  if (!result.ok) {
    if (result.failed.includes(key)) fail('ResourceAlreadyExistsException', 'The specified log stream already exists');
    await getGroup(deps, s, group); // gone: ResourceNotFoundException; changed (retention, tags): try again
    return createStream(deps, s, now, group, name);
  }
}

export async function deleteStream(deps: LogsDeps, s: Scope, group: string, name: string): Promise<void> {
  checkStreamName(name);
  await getGroup(deps, s, group);
  const key = logKeys.stream(s.account, s.region, group, name);
  const held = await deps.store.get(key);
  if (!held) streamNotFound();
  await deps.store.txn({ if: [{ key, modRevision: held.modRevision }], ops: [{ type: 'delete', key }] });
}

export interface StreamView {
  readonly record: StreamRecord;
  readonly stats: StreamStats | undefined;
}

export async function describeStreams(deps: LogsDeps, s: Scope, group: string, input: { logStreamNamePrefix?: string; orderBy?: 'LogStreamName' | 'LastEventTime'; descending?: boolean; nextToken?: string; limit?: number }): Promise<{ streams: StreamView[]; nextToken: string | undefined }> {
  checkRange(input.limit, 'limit', 1, DESCRIBE_LIMIT);
  if (input.logStreamNamePrefix !== undefined) checkStreamName(input.logStreamNamePrefix, 'logStreamNamePrefix');
  const byTime = input.orderBy === 'LastEventTime';
  if (byTime && input.logStreamNamePrefix !== undefined) fail('InvalidParameterException', 'Cannot order by LastEventTime with a logStreamNamePrefix.');
  const { record: g } = await getGroup(deps, s, group);
  const limit = input.limit ?? DESCRIBE_LIMIT;
  const stats = deps.logs.streamStats(g.id);
  const prefix = logKeys.streams(s.account, s.region, group);
  if (!byTime) {
    const token = input.nextToken === undefined ? undefined : prefix + decodeToken(input.nextToken);
    const page = await deps.store.list(prefix + (input.logStreamNamePrefix ?? ''), { after: token, limit, reverse: input.descending === true });
    const streams = page.items.map((kv) => view(JSON.parse(kv.value) as StreamRecord, stats));
    return { streams, nextToken: page.more ? encodeToken(streams[streams.length - 1]!.record.name) : undefined };
  }
  const all = await allStreams(deps, prefix, stats);
  // Streams without events sort as the oldest (AWS leaves lastEventTimestamp out for them), names break ties.
  const t = (v: StreamView) => v.stats?.lastEventTimestamp ?? -1;
  all.sort((a, b) => t(a) - t(b) || (a.record.name < b.record.name ? -1 : a.record.name > b.record.name ? 1 : 0));
  if (input.descending) all.reverse();
  const start = input.nextToken === undefined ? 0 : timeTokenIndex(all, decodeToken(input.nextToken));
  const streams = all.slice(start, start + limit);
  return { streams, nextToken: start + limit < all.length ? encodeToken(`${t(streams[streams.length - 1]!)}:${streams[streams.length - 1]!.record.name}`) : undefined };
}

/** Where a LastEventTime page goes on: after the stream the token names (its time and name). */
function timeTokenIndex(all: StreamView[], token: string): number {
  const colon = token.indexOf(':');
  const name = token.slice(colon + 1);
  const at = all.findIndex((v) => v.record.name === name);
  return at < 0 ? all.length : at + 1;
}

async function allStreams(deps: LogsDeps, prefix: string, stats: Map<string, StreamStats>): Promise<StreamView[]> {
  const out: StreamView[] = [];
  let after: string | undefined;
  while (out.length < MAX_STREAMS_SORTED) {
    const page = await deps.store.list(prefix, { after, limit: Math.min(1000, MAX_STREAMS_SORTED - out.length) });
    for (const kv of page.items) out.push(view(JSON.parse(kv.value) as StreamRecord, stats));
    if (!page.more || page.items.length === 0) break;
    after = page.items[page.items.length - 1]!.key;
  }
  return out;
}

function view(record: StreamRecord, stats: Map<string, StreamStats>): StreamView {
  return { record, stats: stats.get(record.id) };
}

/** The live streams of a group a filter asks about: name → id. */
export async function streamIds(deps: LogsDeps, s: Scope, g: GroupRecord, names: readonly string[] | undefined, prefix: string | undefined): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  if (names) {
    for (const name of names) {
      checkStreamName(name, 'logStreamNames');
      const held = await getJson<StreamRecord>(deps.store, logKeys.stream(s.account, s.region, g.name, name));
      if (held) out.set(name, held.value.id);
    }
    return out;
  }
  const base = logKeys.streams(s.account, s.region, g.name);
  let after: string | undefined;
  while (out.size < MAX_STREAMS_SORTED) {
    const page = await deps.store.list(base + (prefix ?? ''), { after, limit: 1000 });
    for (const kv of page.items) {
      const r = JSON.parse(kv.value) as StreamRecord;
      out.set(r.name, r.id);
    }
    if (!page.more || page.items.length === 0) break;
    after = page.items[page.items.length - 1]!.key;
  }
  return out;
}
