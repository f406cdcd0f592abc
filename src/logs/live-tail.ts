/**
 * StartLiveTail: what a session asks for (checked as AWS checks it) and the buffer that
 * collects matching events between two updates. Timers and the wire are the API's
 * (src/api/logs/live-tail.ts); the choices are here.
 */
import { fail } from '../core/errors.ts';
import { getGroup, type LogsDeps } from './groups.ts';
import { compilePattern, type CompiledPattern } from './pattern/match.ts';
import { groupArn, groupFromIdentifier, type GroupRecord, type Scope } from './records.ts';
import type { InputEvent } from './store/format.ts';
import { checkStreamName } from './validation.ts';

/** Concurrent Live Tail sessions per account and region (AWS's quota is 15). */
export const MAX_LIVE_TAIL_SESSIONS = 15;
/** A session gets an update about once a second … */
export const LIVE_TAIL_UPDATE_MS = 1000;
/** … of at most 500 events; more in one second are sampled (the update says so). */
export const MAX_EVENTS_PER_UPDATE = 500;
/** Sessions end after 3 hours with a SessionTimeoutException. */
export const LIVE_TAIL_MAX_MS = 3 * 60 * 60 * 1000;

export interface LiveTailRequest {
  readonly logGroupIdentifiers: string[];
  readonly logStreamNames?: string[];
  readonly logStreamNamePrefixes?: string[];
  readonly logEventFilterPattern?: string;
}

export interface LiveTailPlan {
  readonly groups: { readonly record: GroupRecord; readonly identifier: string }[];
  readonly pattern: CompiledPattern;
  readonly streams: ((name: string) => boolean) | undefined;
}

export async function planLiveTail(deps: LogsDeps, s: Scope, input: LiveTailRequest): Promise<LiveTailPlan> {
  const ids = input.logGroupIdentifiers;
  if (ids.length < 1 || ids.length > 10) fail('InvalidParameterException', `1 validation error detected: Value at 'logGroupIdentifiers' failed to satisfy constraint: Member must have length between 1 and 10`);
  if (input.logStreamNames && input.logStreamNamePrefixes) fail('InvalidParameterException', 'logStreamNames and logStreamNamePrefixes are mutually exclusive; give one of them.');
  const byStream = input.logStreamNames ?? input.logStreamNamePrefixes;
  if (byStream && ids.length > 1) fail('InvalidParameterException', 'logStreamNames and logStreamNamePrefixes can be given only with a single log group identifier.');
  for (const n of byStream ?? []) checkStreamName(n, input.logStreamNames ? 'logStreamNames' : 'logStreamNamePrefixes');
  const pattern = compilePattern(input.logEventFilterPattern ?? '');
  const groups: LiveTailPlan['groups'][number][] = [];
  for (const id of ids) {
    if (id.endsWith(':*')) fail('InvalidParameterException', `Log group identifier ${id} must be a log group ARN without a trailing ':*'.`);
    const name = groupFromIdentifier(s, id);
    if (name === undefined) fail('ResourceNotFoundException', 'The specified log group does not exist.');
    groups.push({ record: (await getGroup(deps, s, name)).record, identifier: groupArn(s, name) });
  }
  const names = input.logStreamNames ? new Set(input.logStreamNames) : undefined;
  const prefixes = input.logStreamNamePrefixes;
  return {
    groups,
    pattern,
    streams: names ? (n) => names.has(n) : prefixes ? (n) => prefixes.some((p) => n.startsWith(p)) : undefined,
  };
}

export interface LiveTailEvent {
  readonly logStreamName: string;
  readonly logGroupIdentifier: string;
  readonly message: string;
  readonly timestamp: number;
  readonly ingestionTime: number;
}

/** Matching events since the last update, at most MAX_EVENTS_PER_UPDATE of them. */
export class LiveTailBuffer {
  private events: LiveTailEvent[] = [];
  private sampled = false;
  private readonly plan: LiveTailPlan;

  constructor(plan: LiveTailPlan) {
    this.plan = plan;
  }

  add(groupIdentifier: string, streamName: string, ingestionTime: number, batch: readonly InputEvent[]): void {
    if (this.plan.streams && !this.plan.streams(streamName)) return;
    for (const e of batch) {
      if (!this.plan.pattern.all && !this.plan.pattern.matches(e.message)) continue;
      if (this.events.length >= MAX_EVENTS_PER_UPDATE) {
        this.sampled = true;
        return;
      }
      this.events.push({ logStreamName: streamName, logGroupIdentifier: groupIdentifier, message: e.message, timestamp: e.timestamp, ingestionTime });
    }
  }

  /** The next sessionUpdate's content; the buffer starts again empty. */
  take(): { sessionMetadata: { sampled: boolean }; sessionResults: LiveTailEvent[] } {
    const out = { sessionMetadata: { sampled: this.sampled }, sessionResults: this.events };
    this.events = [];
    this.sampled = false;
    return out;
  }
}
