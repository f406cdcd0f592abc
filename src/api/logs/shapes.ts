/** The answer shapes of CloudWatch Logs (LogGroup, LogStream, events), from Berth's records. */
import { groupArn, streamArn, type GroupRecord, type Scope } from '../../logs/records.ts';
import type { StreamView } from '../../logs/streams.ts';
import type { RequestContext } from '../aws/service.ts';

export function scopeOf(ctx: RequestContext): Scope {
  return { account: ctx.accountId, region: ctx.region };
}

export function logGroup(s: Scope, g: GroupRecord, storedBytes: number): object {
  return {
    logGroupName: g.name,
    creationTime: g.creationTime,
    ...(g.retentionInDays !== undefined ? { retentionInDays: g.retentionInDays } : {}),
    metricFilterCount: 0,
    arn: `${groupArn(s, g.name)}:*`,
    storedBytes,
    logGroupClass: g.logGroupClass,
    logGroupArn: groupArn(s, g.name),
    ...(g.deletionProtectionEnabled ? { deletionProtectionEnabled: true } : {}),
  };
}

export function logStream(s: Scope, group: string, v: StreamView): object {
  return {
    logStreamName: v.record.name,
    creationTime: v.record.creationTime,
    ...(v.stats ? { firstEventTimestamp: v.stats.firstEventTimestamp, lastEventTimestamp: v.stats.lastEventTimestamp, lastIngestionTime: v.stats.lastIngestionTime } : {}),
    arn: streamArn(s, group, v.record.name),
    // Deprecated by AWS, which answers 0 for it; the group's storedBytes is the real figure.
    storedBytes: 0,
  };
}
