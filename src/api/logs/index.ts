/**
 * Amazon CloudWatch Logs (Logs_20140328) over AWS JSON 1.1: thin handlers over src/logs/,
 * which holds the rules, the records and the log store.
 */
import { randomBytes } from 'node:crypto';
import type { ServiceModel } from '../aws/model.ts';
import type { JsonService, OperationHandler, RequestContext } from '../aws/service.ts';
import logsModel from '../aws/models/logs.json' with { type: 'json' };
import type { Store } from '../../store/store.ts';
import type { Scope } from '../../logs/records.ts';
import { filterEvents, getEvents, putEvents } from '../../logs/events.ts';
import { createGroup, deleteGroup, deleteRetention, describeGroups, getGroup, groupNameOf, groupOfArn, liveGroupIds, putDeletionProtection, putRetention, sweepRetention, tagGroup, untagGroup, type LogsDeps } from '../../logs/groups.ts';
import { LogStore } from '../../logs/store/log-store.ts';
import { createStream, deleteStream, describeStreams } from '../../logs/streams.ts';
import { ensureStream, putFromAgent, type AgentBatch } from '../../logs/agent-put.ts';
import { checkGroupName, checkStreamName } from '../../logs/validation.ts';
import { liveTail } from './live-tail.ts';
import { logGroup, logStream, scopeOf } from './shapes.ts';

/** How often groups with a retention policy drop what it has passed (writes and PutRetentionPolicy also do). */
export const RETENTION_SWEEP_MS = 60 * 60 * 1000;

export interface LogsService extends JsonService {
  /** The log store, for the parts of Berth that write logs themselves (the awslogs driver's receiver). */
  readonly logStore: LogStore;
  /** The awslogs driver's receiving end (the agent gateway calls it; src/logs/agent-put.ts). */
  readonly agentReceiver: {
    setup(s: Scope, now: number, group: string, stream: string, createGroup: boolean): Promise<void>;
    put(s: Scope, now: number, batch: AgentBatch): Promise<unknown>;
  };
  /** A stream's events from its head, a page at a time, as GetLogEvents reads them (`berth logs` of an awslogs container). */
  readonly streamReader: {
    read(s: Scope, now: number, group: string, stream: string, token: string | undefined): Promise<{ events: { timestamp: number; message: string }[]; next: string }>;
  };
  /** Removes the files of groups deleted by a DeleteLogGroup that crashed half way; call before serving. */
  removeOrphans(): Promise<void>;
  close(): Promise<void>;
}

export function createLogsService(options: { store: Store; dataDir: string; log?: (line: string) => void; logStore?: LogStore }): LogsService {
  const logStore = options.logStore ?? new LogStore(options.dataDir);
  const deps: LogsDeps = {
    store: options.store,
    logs: logStore,
    ids: { group: () => randomBytes(16).toString('hex'), stream: () => randomBytes(8).toString('hex') },
  };
  const sweep = setInterval(() => {
    sweepRetention(deps, Date.now()).catch((err: unknown) => options.log?.(`log retention sweep failed: ${err instanceof Error ? err.stack : String(err)}`));
  }, RETENTION_SWEEP_MS);
  sweep.unref();
  const operations: Record<string, OperationHandler> = {
    async CreateLogGroup(input, ctx: RequestContext) {
      await createGroup(deps, scopeOf(ctx), ctx.now, input);
      return {};
    },
    async DeleteLogGroup(input: { logGroupName: string }, ctx: RequestContext) {
      await deleteGroup(deps, scopeOf(ctx), input.logGroupName);
      return {};
    },
    async DescribeLogGroups(input, ctx: RequestContext) {
      const s = scopeOf(ctx);
      const page = await describeGroups(deps, s, input);
      return { logGroups: page.groups.map((g) => logGroup(s, g.record, g.storedBytes)), ...(page.nextToken ? { nextToken: page.nextToken } : {}) };
    },
    async CreateLogStream(input: { logGroupName: string; logStreamName: string }, ctx: RequestContext) {
      checkGroupName(input.logGroupName);
      await createStream(deps, scopeOf(ctx), ctx.now, input.logGroupName, input.logStreamName);
      return {};
    },
    async DeleteLogStream(input: { logGroupName: string; logStreamName: string }, ctx: RequestContext) {
      checkGroupName(input.logGroupName);
      await deleteStream(deps, scopeOf(ctx), input.logGroupName, input.logStreamName);
      return {};
    },
    async DescribeLogStreams(input, ctx: RequestContext) {
      const s = scopeOf(ctx);
      const group = groupNameOf(s, input);
      const page = await describeStreams(deps, s, group, input);
      return { logStreams: page.streams.map((v) => logStream(s, group, v)), ...(page.nextToken ? { nextToken: page.nextToken } : {}) };
    },
    async PutLogEvents(input: { logGroupName: string; logStreamName: string; logEvents: { timestamp: number; message: string }[] }, ctx: RequestContext) {
      checkGroupName(input.logGroupName);
      checkStreamName(input.logStreamName);
      const { rejected } = await putEvents(deps, scopeOf(ctx), ctx.now, input.logGroupName, input.logStreamName, input.logEvents);
      // AWS ignores sequence tokens now and still answers one; it means nothing to Berth either.
      return { nextSequenceToken: ctx.requestId.replace(/-/g, ''), ...(rejected ? { rejectedLogEventsInfo: rejected } : {}) };
    },
    async GetLogEvents(input, ctx: RequestContext) {
      const s = scopeOf(ctx);
      const group = groupNameOf(s, input);
      checkStreamName(input.logStreamName);
      const page = await getEvents(deps, s, ctx.now, group, input.logStreamName, input);
      return {
        events: page.events.map((e) => ({ timestamp: e.timestamp, message: e.message, ingestionTime: e.ingestionTime })),
        nextForwardToken: page.nextForwardToken,
        nextBackwardToken: page.nextBackwardToken,
      };
    },
    async FilterLogEvents(input, ctx: RequestContext) {
      const s = scopeOf(ctx);
      const group = groupNameOf(s, input);
      const page = await filterEvents(deps, s, ctx.now, group, input);
      return {
        events: page.events.map((e) => ({ logStreamName: e.streamName, timestamp: e.timestamp, message: e.message, ingestionTime: e.ingestionTime, eventId: e.key })),
        searchedLogStreams: [],
        ...(page.nextToken ? { nextToken: page.nextToken } : {}),
      };
    },
    async PutRetentionPolicy(input: { logGroupName: string; retentionInDays: number }, ctx: RequestContext) {
      await putRetention(deps, scopeOf(ctx), ctx.now, input.logGroupName, input.retentionInDays);
      return {};
    },
    async DeleteRetentionPolicy(input: { logGroupName: string }, ctx: RequestContext) {
      await deleteRetention(deps, scopeOf(ctx), input.logGroupName);
      return {};
    },
    async PutLogGroupDeletionProtection(input: { logGroupIdentifier: string; deletionProtectionEnabled: boolean }, ctx: RequestContext) {
      const s = scopeOf(ctx);
      await putDeletionProtection(deps, s, groupNameOf(s, { logGroupIdentifier: input.logGroupIdentifier }), input.deletionProtectionEnabled);
      return {};
    },
    async TagResource(input: { resourceArn: string; tags: Record<string, string> }, ctx: RequestContext) {
      const s = scopeOf(ctx);
      await tagGroup(deps, s, groupOfArn(s, input.resourceArn), input.tags);
      return {};
    },
    async UntagResource(input: { resourceArn: string; tagKeys: string[] }, ctx: RequestContext) {
      const s = scopeOf(ctx);
      await untagGroup(deps, s, groupOfArn(s, input.resourceArn), input.tagKeys);
      return {};
    },
    async ListTagsForResource(input: { resourceArn: string }, ctx: RequestContext) {
      const s = scopeOf(ctx);
      return { tags: (await getGroup(deps, s, groupOfArn(s, input.resourceArn))).record.tags };
    },
    async TagLogGroup(input: { logGroupName: string; tags: Record<string, string> }, ctx: RequestContext) {
      checkGroupName(input.logGroupName);
      await tagGroup(deps, scopeOf(ctx), input.logGroupName, input.tags);
      return {};
    },
    async UntagLogGroup(input: { logGroupName: string; tags: string[] }, ctx: RequestContext) {
      checkGroupName(input.logGroupName);
      await untagGroup(deps, scopeOf(ctx), input.logGroupName, input.tags);
      return {};
    },
    StartLiveTail: liveTail(deps),
    async ListTagsLogGroup(input: { logGroupName: string }, ctx: RequestContext) {
      checkGroupName(input.logGroupName);
      return { tags: (await getGroup(deps, scopeOf(ctx), input.logGroupName)).record.tags };
    },
  };
  return {
    model: logsModel as ServiceModel,
    operations,
    logStore,
    streamReader: {
      async read(s, now, group, stream, token) {
        const page = await getEvents(deps, s, now, group, stream, token === undefined ? { startFromHead: true } : { nextToken: token });
        return { events: page.events, next: page.nextForwardToken };
      },
    },
    agentReceiver: {
      setup: (s, now, group, stream, createGroup) => ensureStream(deps, s, now, group, stream, createGroup),
      put: (s, now, batch) => putFromAgent(deps, s, now, batch),
    },
    async removeOrphans() {
      const removed = logStore.removeOrphans(await liveGroupIds(deps));
      if (removed.length > 0) options.log?.(`removed the log files of ${removed.length} deleted log groups`);
    },
    async close() {
      clearInterval(sweep);
      await logStore.close();
    },
  };
}
