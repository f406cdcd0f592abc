/**
 * Log groups and log streams as the Berth store keeps them. Their events live in the log
 * store (store/), found by the group's `id` and the stream's `id`: a group or stream deleted
 * and created again under the same name gets a new id, so its old events never show.
 *
 * Why the Berth store for these, and the log store for events: groups and streams are few
 * and change rarely, and want what the Berth store gives (compare-and-set creation that
 * cannot race, one transaction deleting a group with its streams, etcd later); events are
 * many and want append-only files. The numbers that change with every batch
 * (lastEventTimestamp, lastIngestionTime, storedBytes, firstEventTimestamp) come from the log
 * store's index, so a PutLogEvents costs one fdatasync and no store write.
 */

/** Store keys. Stream keys put `!` between group and stream: it cannot be in a group name and sorts below every character that can. */
const base = (account: string, region: string) => `/logs/${account}/${region}/`;
export const logKeys = {
  group: (account: string, region: string, name: string) => `${base(account, region)}groups/${name}`,
  groups: (account: string, region: string) => `${base(account, region)}groups/`,
  stream: (account: string, region: string, group: string, name: string) => `${base(account, region)}streams/${group}!${name}`,
  streams: (account: string, region: string, group: string) => `${base(account, region)}streams/${group}!`,
} as const;

export type LogGroupClass = 'STANDARD' | 'INFREQUENT_ACCESS' | 'DELIVERY';

export interface GroupRecord {
  readonly name: string;
  /** The log store's id for this group's events (32 hex). */
  readonly id: string;
  readonly creationTime: number;
  readonly retentionInDays?: number;
  readonly logGroupClass: LogGroupClass;
  readonly tags: Readonly<Record<string, string>>;
  readonly deletionProtectionEnabled?: boolean;
}

export interface StreamRecord {
  readonly name: string;
  /** The id this stream's batches carry in the log store (16 hex). */
  readonly id: string;
  readonly creationTime: number;
}

export interface Scope {
  readonly account: string;
  readonly region: string;
}

/** `arn:aws:logs:<region>:<account>:log-group:<name>` (logGroupArn; `arn` adds `:*`). */
export function groupArn(s: Scope, name: string): string {
  return `arn:aws:logs:${s.region}:${s.account}:log-group:${name}`;
}

export function streamArn(s: Scope, group: string, stream: string): string {
  return `${groupArn(s, group)}:log-stream:${stream}`;
}

/**
 * The group a `logGroupIdentifier` names: a name, or an ARN of this account and region
 * (with or without the trailing `:*`). Undefined when it is an ARN of somewhere else.
 */
export function groupFromIdentifier(s: Scope, identifier: string): string | undefined {
  if (!identifier.startsWith('arn:')) return identifier;
  const m = /^arn:aws:logs:([^:]+):(\d{12}):log-group:([^:]+)(:\*)?$/.exec(identifier);
  if (!m || m[1] !== s.region || m[2] !== s.account) return undefined;
  return m[3];
}

/** Retention periods AWS accepts, in days. */
export const RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653] as const;

export const DAY_MS = 24 * 60 * 60 * 1000;

/** The oldest timestamp a group with this retention still shows (events before it are expired). */
export function retentionCutoff(retentionInDays: number | undefined, now: number): number {
  return retentionInDays === undefined ? 0 : now - retentionInDays * DAY_MS;
}
