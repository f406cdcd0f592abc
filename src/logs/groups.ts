/**
 * Log groups: create, delete, describe, retention, tags. Records in the Berth store
 * (records.ts), events in the log store; every write is a compare-and-set, so a request
 * that fails changes nothing and two racing creates give one group.
 */
import { ApiError, fail } from '../core/errors.ts';
import { getJson } from '../store/json.ts';
import type { Store } from '../store/store.ts';
import type { LogStore } from './store/log-store.ts';
import { groupArn, groupFromIdentifier, logKeys, retentionCutoff, type GroupRecord, type LogGroupClass, type Scope } from './records.ts';
import { checkGroupName, checkRange, checkRetention, checkTags } from './validation.ts';

export interface LogsDeps {
  readonly store: Store;
  readonly logs: LogStore;
  readonly ids: { group(): string; stream(): string };
}

/** DescribeLogGroups' default and largest page. */
export const DESCRIBE_LIMIT = 50;

export function groupNotFound(): never {
  fail('ResourceNotFoundException', 'The specified log group does not exist.');
}

export async function getGroup(deps: LogsDeps, s: Scope, name: string): Promise<{ record: GroupRecord; modRevision: number }> {
  const held = await getJson<GroupRecord>(deps.store, logKeys.group(s.account, s.region, name));
  if (!held) groupNotFound();
  return { record: held.value, modRevision: held.modRevision };
}

/** The group named by `logGroupName` or `logGroupIdentifier` (exactly one of them). */
export function groupNameOf(s: Scope, input: { logGroupName?: string; logGroupIdentifier?: string }): string {
  if (input.logGroupName !== undefined && input.logGroupIdentifier !== undefined) {
    fail('InvalidParameterException', 'LogGroup name and LogGroup ARN are mutually exclusive parameters.');
  }
  if (input.logGroupName !== undefined) {
    checkGroupName(input.logGroupName);
    return input.logGroupName;
  }
  if (input.logGroupIdentifier === undefined) fail('InvalidParameterException', 'Should provide either name or ARN of the log group: set logGroupName or logGroupIdentifier.');
  const name = groupFromIdentifier(s, input.logGroupIdentifier);
  if (name === undefined) return groupNotFound();
  checkGroupName(name, 'logGroupIdentifier');
  return name;
}

export async function createGroup(deps: LogsDeps, s: Scope, now: number, input: { logGroupName: string; kmsKeyId?: string; tags?: Record<string, string>; logGroupClass?: LogGroupClass; deletionProtectionEnabled?: boolean }): Promise<void> {
  checkGroupName(input.logGroupName);
  if (input.tags !== undefined) checkTags(input.tags);
  if (input.kmsKeyId !== undefined) {
    // Berth has no KMS: a key id names no key here, and AWS answers so for a key it cannot use.
    fail('AccessDeniedException', `The specified KMS key does not exist or is not allowed to be used with Arn '${groupArn(s, input.logGroupName)}'`);
  }
  if (input.logGroupClass === 'DELIVERY') {
    fail('InvalidParameterException', 'Log groups of class DELIVERY are created by CloudWatch Logs for vended logs; create a STANDARD or INFREQUENT_ACCESS group instead.');
  }
  const record: GroupRecord = {
    name: input.logGroupName, id: deps.ids.group(), creationTime: now, logGroupClass: input.logGroupClass ?? 'STANDARD', tags: input.tags ?? {},
    ...(input.deletionProtectionEnabled ? { deletionProtectionEnabled: true } : {}),
  };
  const key = logKeys.group(s.account, s.region, input.logGroupName);
  const result = await deps.store.txn({ if: [{ key, modRevision: 0 }], ops: [{ type: 'put', key, value: JSON.stringify(record) }] });
  if (!result.ok) fail('ResourceAlreadyExistsException', 'The specified log group already exists');
}

export async function deleteGroup(deps: LogsDeps, s: Scope, name: string): Promise<void> {
  checkGroupName(name);
  const { record, modRevision } = await getGroup(deps, s, name);
  if (record.deletionProtectionEnabled) fail('ValidationException', `Log group ${name} has deletion protection enabled; turn it off with PutLogGroupDeletionProtection before deleting it.`);
  const key = logKeys.group(s.account, s.region, name);
  const result = await deps.store.txn({
    if: [{ key, modRevision }],
    ops: [{ type: 'delete', key }, { type: 'deletePrefix', prefix: logKeys.streams(s.account, s.region, name) }],
  });
  if (!result.ok) fail('OperationAbortedException', 'Multiple concurrent requests to update the same resource were in conflict. Try again.');
  await deps.logs.destroy(record.id);
}

export interface GroupPage {
  readonly groups: { record: GroupRecord; storedBytes: number }[];
  readonly nextToken: string | undefined;
}

export async function describeGroups(deps: LogsDeps, s: Scope, input: { logGroupNamePrefix?: string; logGroupNamePattern?: string; nextToken?: string; limit?: number; logGroupClass?: LogGroupClass; logGroupIdentifiers?: string[] }): Promise<GroupPage> {
  checkRange(input.limit, 'limit', 1, DESCRIBE_LIMIT);
  if (input.logGroupNamePrefix !== undefined && input.logGroupNamePattern !== undefined) {
    fail('InvalidParameterException', 'LogGroupNamePrefix and LogGroupNamePattern are mutually exclusive parameters.');
  }
  if (input.logGroupNamePrefix !== undefined) checkGroupName(input.logGroupNamePrefix, 'logGroupNamePrefix');
  const limit = input.limit ?? DESCRIBE_LIMIT;
  const prefix = logKeys.groups(s.account, s.region);
  let after = input.nextToken === undefined ? undefined : prefix + decodeToken(input.nextToken);
  const pattern = input.logGroupNamePattern?.toLowerCase();
  const wanted = input.logGroupIdentifiers?.map((id) => groupFromIdentifier(s, id));
  const groups: GroupRecord[] = [];
  for (;;) {
    const page = await deps.store.list(prefix + (input.logGroupNamePrefix ?? ''), { after, limit: 200 });
    for (const kv of page.items) {
      const g = JSON.parse(kv.value) as GroupRecord;
      after = kv.key;
      if (pattern && !g.name.toLowerCase().includes(pattern)) continue;
      if (input.logGroupClass && g.logGroupClass !== input.logGroupClass) continue;
      if (wanted && !wanted.includes(g.name)) continue;
      groups.push(g);
      if (groups.length > limit) break;
    }
    if (groups.length > limit || !page.more) break;
  }
  const more = groups.length > limit;
  const shown = groups.slice(0, limit);
  return {
    groups: shown.map((record) => ({ record, storedBytes: deps.logs.storedBytes(record.id) })),
    nextToken: more ? encodeToken(shown[shown.length - 1]!.name) : undefined,
  };
}

/** A page token: the last name of the page, opaque to clients. */
export function encodeToken(name: string): string {
  return Buffer.from(name, 'utf8').toString('base64url');
}

export function decodeToken(token: string): string {
  const name = Buffer.from(token, 'base64url').toString('utf8');
  if (name === '' || encodeToken(name) !== token) fail('InvalidParameterException', 'The specified nextToken is invalid.');
  return name;
}

/** Changes a group record by compare-and-set, retried when another write came first. */
export async function updateGroup(deps: LogsDeps, s: Scope, name: string, change: (g: GroupRecord) => GroupRecord): Promise<GroupRecord> {
  const key = logKeys.group(s.account, s.region, name);
  for (;;) {
    const { record, modRevision } = await getGroup(deps, s, name);
    const next = change(record);
    const result = await deps.store.txn({ if: [{ key, modRevision }], ops: [{ type: 'put', key, value: JSON.stringify(next) }] });
    if (result.ok) return next;
  }
}

export async function putRetention(deps: LogsDeps, s: Scope, now: number, name: string, days: number): Promise<void> {
  checkGroupName(name);
  checkRetention(days);
  const g = await updateGroup(deps, s, name, (r) => ({ ...r, retentionInDays: days }));
  deps.logs.dropBefore(g.id, retentionCutoff(days, now));
}

export async function deleteRetention(deps: LogsDeps, s: Scope, name: string): Promise<void> {
  checkGroupName(name);
  await updateGroup(deps, s, name, (r) => {
    const { retentionInDays: _, ...rest } = r;
    return rest;
  });
}

export async function putDeletionProtection(deps: LogsDeps, s: Scope, name: string, enabled: boolean): Promise<void> {
  await updateGroup(deps, s, name, (r) => {
    const { deletionProtectionEnabled: _, ...rest } = r;
    return enabled ? { ...rest, deletionProtectionEnabled: true } : rest;
  });
}

/** Tags of a group by ARN (TagResource and its kin) or name (TagLogGroup and its kin). */
export async function tagGroup(deps: LogsDeps, s: Scope, name: string, tags: Record<string, string>): Promise<void> {
  checkTags(tags);
  await updateGroup(deps, s, name, (r) => {
    const merged = { ...r.tags, ...tags };
    if (Object.keys(merged).length > 50) {
      throw new ApiError('TooManyTagsException', `A log group can have at most 50 tags; this would give ${name} ${Object.keys(merged).length}.`, { resourceName: groupArn(s, name) });
    }
    return { ...r, tags: merged };
  });
}

export async function untagGroup(deps: LogsDeps, s: Scope, name: string, keys: readonly string[]): Promise<void> {
  await updateGroup(deps, s, name, (r) => ({ ...r, tags: Object.fromEntries(Object.entries(r.tags).filter(([k]) => !keys.includes(k))) }));
}

/** The group a tagging ARN names: `arn:aws:logs:<region>:<account>:log-group:<name>[:*]`. */
export function groupOfArn(s: Scope, arn: string): string {
  const name = arn.startsWith('arn:') ? groupFromIdentifier(s, arn) : undefined;
  if (name === undefined) {
    if (/^arn:aws:logs:[^:]+:\d{12}:log-group:/.test(arn)) groupNotFound();
    fail('InvalidParameterException', `Invalid ARN '${arn}': tag a log group by its ARN, arn:aws:logs:<region>:<account>:log-group:<name>.`);
  }
  return name;
}

/** The ids of every log group of every account and region. */
export async function liveGroupIds(deps: LogsDeps): Promise<Set<string>> {
  const ids = new Set<string>();
  let after: string | undefined;
  for (;;) {
    const page = await deps.store.list('/logs/', { after, limit: 500 });
    for (const kv of page.items) {
      after = kv.key;
      if (/^\/logs\/[^/]+\/[^/]+\/groups\//.test(kv.key)) ids.add((JSON.parse(kv.value) as GroupRecord).id);
    }
    if (!page.more) return ids;
  }
}

/** Drops what retention has passed in every group of every scope: the hourly sweep. */
export async function sweepRetention(deps: LogsDeps, now: number): Promise<void> {
  let after: string | undefined;
  for (;;) {
    const page = await deps.store.list('/logs/', { after, limit: 500 });
    for (const kv of page.items) {
      after = kv.key;
      if (!/^\/logs\/[^/]+\/[^/]+\/groups\//.test(kv.key)) continue;
      const g = JSON.parse(kv.value) as GroupRecord;
      if (g.retentionInDays !== undefined) deps.logs.dropBefore(g.id, retentionCutoff(g.retentionInDays, now));
    }
    if (!page.more) return;
  }
}
