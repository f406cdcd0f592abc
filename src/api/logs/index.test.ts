import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ApiError } from '../../core/errors.ts';
import { openSqliteStore } from '../../store/sqlite/sqlite-store.ts';
import type { Store } from '../../store/store.ts';
import type { RequestContext } from '../aws/service.ts';
import { validateInput } from '../aws/validate.ts';
import { createLogsService, type LogsService } from './index.ts';
import { rootPrincipal } from '../../identity/principal.ts';

let dir: string, store: Store, logs: LogsService;
const NOW = Date.now();
before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'berth-logs-api-'));
  store = await openSqliteStore(join(dir, 'state.db'));
  logs = createLogsService({ store, dataDir: dir });
});
after(async () => {
  await logs.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const ctx = (now = NOW): RequestContext => ({ region: 'us-east-1', accountId: '123456789012', requestId: 'r-1', now, accessKeyId: undefined, principal: rootPrincipal('123456789012'), host: 'localhost' });
// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function call(op: string, input: object, now = NOW): Promise<any> {
  const valid = validateInput(logs.model, logs.model.operations[op]!.input!, input);
  return logs.operations[op]!(valid, ctx(now));
}
async function fails(op: string, input: object, code: string, message: string | RegExp): Promise<void> {
  await assert.rejects(call(op, input), (e: unknown) => {
    assert.ok(e instanceof ApiError, String(e));
    assert.equal(e.code, code);
    if (typeof message === 'string') assert.equal(e.message, message);
    else assert.match(e.message, message);
    return true;
  });
}

test('groups: create, refuse twice, describe by prefix and pattern with pages, delete', async () => {
  for (const name of ['/aws/ecs/web', '/aws/ecs/api', '/other/x', 'z']) await call('CreateLogGroup', { logGroupName: name, tags: { team: 'a' } });
  await fails('CreateLogGroup', { logGroupName: '/aws/ecs/web' }, 'ResourceAlreadyExistsException', 'The specified log group already exists');
  await fails('CreateLogGroup', { logGroupName: 'bad name' }, 'InvalidParameterException', /Member must satisfy regular expression pattern/);
  await fails('CreateLogGroup', { logGroupName: 'k', kmsKeyId: 'alias/x' }, 'AccessDeniedException', "The specified KMS key does not exist or is not allowed to be used with Arn 'arn:aws:logs:us-east-1:123456789012:log-group:k'");
  const byPrefix = await call('DescribeLogGroups', { logGroupNamePrefix: '/aws/ecs/' });
  assert.deepEqual(byPrefix.logGroups.map((g: { logGroupName: string }) => g.logGroupName), ['/aws/ecs/api', '/aws/ecs/web']);
  assert.equal(byPrefix.logGroups[0].arn, 'arn:aws:logs:us-east-1:123456789012:log-group:/aws/ecs/api:*');
  assert.equal(byPrefix.logGroups[0].logGroupClass, 'STANDARD');
  const byPattern = await call('DescribeLogGroups', { logGroupNamePattern: 'ECS' });
  assert.equal(byPattern.logGroups.length, 2, 'patterns match case-insensitively');
  await fails('DescribeLogGroups', { logGroupNamePrefix: '/a', logGroupNamePattern: 'b' }, 'InvalidParameterException', /mutually exclusive/);
  await fails('DescribeLogGroups', { limit: 51 }, 'InvalidParameterException', /Member must have value less than or equal to 50/);
  const names: string[] = [];
  let token: string | undefined;
  do {
    const page = await call('DescribeLogGroups', { limit: 1, ...(token ? { nextToken: token } : {}) });
    names.push(...page.logGroups.map((g: { logGroupName: string }) => g.logGroupName));
    token = page.nextToken;
  } while (token);
  assert.deepEqual(names, ['/aws/ecs/api', '/aws/ecs/web', '/other/x', 'z']);
  await call('DeleteLogGroup', { logGroupName: 'z' });
  await fails('DeleteLogGroup', { logGroupName: 'z' }, 'ResourceNotFoundException', 'The specified log group does not exist.');
  await call('CreateLogGroup', { logGroupName: 'protected', deletionProtectionEnabled: true });
  assert.equal((await call('DescribeLogGroups', { logGroupNamePrefix: 'protected' })).logGroups[0].deletionProtectionEnabled, true);
  await fails('DeleteLogGroup', { logGroupName: 'protected' }, 'ValidationException', /deletion protection enabled/);
  await call('PutLogGroupDeletionProtection', { logGroupIdentifier: 'protected', deletionProtectionEnabled: false });
  await call('DeleteLogGroup', { logGroupName: 'protected' });
});

test('streams and events: put, get with tokens, describe by last event time; errors store nothing', async () => {
  const g = { logGroupName: 'events-1' };
  await call('CreateLogGroup', g);
  await call('CreateLogStream', { ...g, logStreamName: 'a' });
  await call('CreateLogStream', { ...g, logStreamName: 'b' });
  await fails('CreateLogStream', { ...g, logStreamName: 'a' }, 'ResourceAlreadyExistsException', 'The specified log stream already exists');
  await fails('CreateLogStream', { logGroupName: 'nope', logStreamName: 'a' }, 'ResourceNotFoundException', 'The specified log group does not exist.');
  await fails('PutLogEvents', { ...g, logStreamName: 'zz', logEvents: [{ timestamp: NOW, message: 'x' }] }, 'ResourceNotFoundException', 'The specified log stream does not exist.');
  await fails('PutLogEvents', { ...g, logStreamName: 'a', logEvents: [{ timestamp: NOW, message: 'x' }, { timestamp: NOW - 1, message: 'y' }] }, 'InvalidParameterException', /chronological/);
  const events = Array.from({ length: 25 }, (_, i) => ({ timestamp: NOW - 100_000 + i * 1000, message: `line ${i}` }));
  const put = await call('PutLogEvents', { ...g, logStreamName: 'a', logEvents: events, sequenceToken: 'ignored' });
  assert.equal(put.rejectedLogEventsInfo, undefined);
  await call('PutLogEvents', { ...g, logStreamName: 'b', logEvents: [{ timestamp: NOW - 500, message: 'b line' }] });

  const tail = await call('GetLogEvents', { ...g, logStreamName: 'a', limit: 10 });
  assert.deepEqual(tail.events.map((e: { message: string }) => e.message), events.slice(15).map((e) => e.message), 'the newest 10, oldest first');
  const back = await call('GetLogEvents', { ...g, logStreamName: 'a', limit: 10, nextToken: tail.nextBackwardToken });
  assert.deepEqual(back.events.map((e: { message: string }) => e.message), events.slice(5, 15).map((e) => e.message));
  const end = await call('GetLogEvents', { ...g, logStreamName: 'a', nextToken: tail.nextForwardToken });
  assert.deepEqual(end.events, []);
  assert.equal(end.nextForwardToken, tail.nextForwardToken, 'the same token at the end');
  const head = await call('GetLogEvents', { ...g, logStreamName: 'a', startFromHead: true, limit: 3, startTime: events[2]!.timestamp, endTime: events[5]!.timestamp });
  assert.deepEqual(head.events.map((e: { message: string }) => e.message), ['line 2', 'line 3', 'line 4'], 'startTime inclusive, endTime exclusive');
  assert.equal(head.events[0].ingestionTime, NOW);
  await fails('GetLogEvents', { ...g, logStreamName: 'a', nextToken: 'f/bogus' }, 'InvalidParameterException', 'The specified nextToken is invalid.');

  const byTime = await call('DescribeLogStreams', { ...g, orderBy: 'LastEventTime', descending: true });
  assert.deepEqual(byTime.logStreams.map((s: { logStreamName: string }) => s.logStreamName), ['b', 'a']);
  assert.equal(byTime.logStreams[1].lastEventTimestamp, events[24]!.timestamp);
  assert.equal(byTime.logStreams[1].firstEventTimestamp, events[0]!.timestamp);
  await fails('DescribeLogStreams', { ...g, orderBy: 'LastEventTime', logStreamNamePrefix: 'a' }, 'InvalidParameterException', 'Cannot order by LastEventTime with a logStreamNamePrefix.');
  const byArn = await call('DescribeLogStreams', { logGroupIdentifier: 'arn:aws:logs:us-east-1:123456789012:log-group:events-1:*', descending: true, limit: 1 });
  assert.deepEqual(byArn.logStreams.map((s: { logStreamName: string }) => s.logStreamName), ['b']);
  assert.ok(byArn.nextToken);
  const groups = await call('DescribeLogGroups', { logGroupNamePrefix: 'events-1' });
  assert.equal(groups.logGroups[0].storedBytes, events.reduce((n, e) => n + e.message.length, 0) + 'b line'.length);
});

test('FilterLogEvents: patterns, streams, pages; a stream deleted and made again starts empty', async () => {
  const g = { logGroupName: 'filter-1' };
  await call('CreateLogGroup', g);
  for (const s of ['web-1', 'web-2', 'db']) await call('CreateLogStream', { ...g, logStreamName: s });
  for (const [i, s] of ['web-1', 'web-2', 'db'].entries()) {
    await call('PutLogEvents', { ...g, logStreamName: s, logEvents: Array.from({ length: 10 }, (_, k) => ({ timestamp: NOW - 1000 + k, message: k % 2 ? `ERROR ${s} ${k}` : JSON.stringify({ level: 'info', n: k + i }) })) });
  }
  const errors = await call('FilterLogEvents', { ...g, filterPattern: 'ERROR' });
  assert.equal(errors.events.length, 15);
  assert.match(errors.events[0].eventId, /^\d{56}$/);
  const web = await call('FilterLogEvents', { ...g, filterPattern: 'ERROR -web-2', logStreamNamePrefix: 'web' });
  assert.deepEqual([...new Set(web.events.map((e: { logStreamName: string }) => e.logStreamName))], ['web-1']);
  const json = await call('FilterLogEvents', { ...g, filterPattern: '{ $.level = "info" && $.n >= 10 }', logStreamNames: ['db'] });
  assert.deepEqual(json.events.map((e: { message: string }) => JSON.parse(e.message).n), [10]);
  await fails('FilterLogEvents', { ...g, filterPattern: '{ $.level = ' }, 'InvalidParameterException', 'Invalid filter pattern');
  await fails('FilterLogEvents', { ...g, logStreamNames: ['db'], logStreamNamePrefix: 'd' }, 'InvalidParameterException', /Only one of/);
  const seen: string[] = [];
  let token: string | undefined;
  do {
    const page = await call('FilterLogEvents', { ...g, limit: 4, ...(token ? { nextToken: token } : {}) });
    seen.push(...page.events.map((e: { eventId: string }) => e.eventId));
    token = page.nextToken;
  } while (token);
  assert.equal(seen.length, 30);
  assert.equal(new Set(seen).size, 30);
  const page = await call('FilterLogEvents', { ...g, limit: 4 });
  await call('CreateLogGroup', { logGroupName: 'filter-other' });
  await fails('FilterLogEvents', { logGroupName: 'filter-other', nextToken: page.nextToken }, 'InvalidParameterException', 'The specified nextToken is invalid.');
  await fails('FilterLogEvents', { ...g, nextToken: 'bm90IGEgdG9rZW4' }, 'InvalidParameterException', 'The specified nextToken is invalid.');

  await call('DeleteLogStream', { ...g, logStreamName: 'db' });
  await call('CreateLogStream', { ...g, logStreamName: 'db' });
  assert.equal((await call('FilterLogEvents', { ...g, logStreamNames: ['db'] })).events.length, 0);
  assert.equal((await call('GetLogEvents', { ...g, logStreamName: 'db' })).events.length, 0);
  assert.equal((await call('FilterLogEvents', g)).events.length, 20);
});

test('retention: only valid day counts; events older than it are neither taken nor returned', async () => {
  const g = { logGroupName: 'retention-1' };
  await call('CreateLogGroup', g);
  await call('CreateLogStream', { ...g, logStreamName: 's' });
  await call('PutLogEvents', { ...g, logStreamName: 's', logEvents: [{ timestamp: NOW - 2 * 86_400_000, message: 'two days old' }] });
  await call('PutLogEvents', { ...g, logStreamName: 's', logEvents: [{ timestamp: NOW - 1000, message: 'new' }] });
  await fails('PutRetentionPolicy', { ...g, retentionInDays: 2 }, 'InvalidParameterException', /Member must satisfy enum value set: \[1, 3, 5/);
  await fails('PutRetentionPolicy', { logGroupName: 'nope', retentionInDays: 1 }, 'ResourceNotFoundException', 'The specified log group does not exist.');
  await call('PutRetentionPolicy', { ...g, retentionInDays: 1 });
  assert.equal((await call('DescribeLogGroups', { logGroupNamePrefix: 'retention-1' })).logGroups[0].retentionInDays, 1);
  assert.deepEqual((await call('GetLogEvents', { ...g, logStreamName: 's', startFromHead: true })).events.map((e: { message: string }) => e.message), ['new']);
  assert.deepEqual((await call('FilterLogEvents', g)).events.map((e: { message: string }) => e.message), ['new']);
  const put = await call('PutLogEvents', { ...g, logStreamName: 's', logEvents: [{ timestamp: NOW - 25 * 3600_000, message: 'expired' }, { timestamp: NOW, message: 'kept' }] }).catch((e: unknown) => e);
  assert.ok(put instanceof ApiError && /24 hours/.test(put.message), 'a batch spanning over 24 h is refused whole');
  const put2 = await call('PutLogEvents', { ...g, logStreamName: 's', logEvents: [{ timestamp: NOW - 86_400_000 - 5000, message: 'expired' }, { timestamp: NOW - 86_400_000 + 60_000, message: 'kept' }] });
  assert.deepEqual(put2.rejectedLogEventsInfo, { expiredLogEventEndIndex: 0 });
  await call('DeleteRetentionPolicy', g);
  assert.equal((await call('DescribeLogGroups', { logGroupNamePrefix: 'retention-1' })).logGroups[0].retentionInDays, undefined);
});

test('tags by ARN and by name', async () => {
  const g = { logGroupName: 'tags-1' };
  const arn = 'arn:aws:logs:us-east-1:123456789012:log-group:tags-1';
  await call('CreateLogGroup', { ...g, tags: { a: '1' } });
  await call('TagResource', { resourceArn: arn, tags: { b: '2' } });
  await call('TagLogGroup', { ...g, tags: { c: '3' } });
  assert.deepEqual((await call('ListTagsForResource', { resourceArn: arn })).tags, { a: '1', b: '2', c: '3' });
  await call('UntagResource', { resourceArn: arn, tagKeys: ['a'] });
  await call('UntagLogGroup', { ...g, tags: ['b'] });
  assert.deepEqual((await call('ListTagsLogGroup', g)).tags, { c: '3' });
  await fails('ListTagsForResource', { resourceArn: 'arn:aws:logs:us-east-1:123456789012:log-group:none' }, 'ResourceNotFoundException', 'The specified log group does not exist.');
  await fails('TagResource', { resourceArn: arn, tags: Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, 'v'])) }, 'TooManyTagsException', /at most 50 tags/);
  await assert.rejects(call('TagLogGroup', { ...g, tags: Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, 'v'])) }), (e: unknown) => e instanceof ApiError && e.members.resourceName === arn);
  assert.deepEqual((await call('ListTagsLogGroup', g)).tags, { c: '3' }, 'a refused request changes nothing');
});

test('StartLiveTail: sessionStart, then updates with the durable events that match; AWS errors; the session quota', async () => {
  const { EventStreamAnswer } = await import('../aws/service.ts');
  const g = { logGroupName: 'live-1' };
  const arn = 'arn:aws:logs:us-east-1:123456789012:log-group:live-1';
  await call('CreateLogGroup', g);
  await call('CreateLogStream', { ...g, logStreamName: 'app' });
  await call('CreateLogStream', { ...g, logStreamName: 'other' });
  await fails('StartLiveTail', { logGroupIdentifiers: [`${arn}:*`] }, 'InvalidParameterException', /without a trailing ':\*'/);
  await fails('StartLiveTail', { logGroupIdentifiers: ['arn:aws:logs:us-east-1:123456789012:log-group:none'] }, 'ResourceNotFoundException', 'The specified log group does not exist.');
  await fails('StartLiveTail', { logGroupIdentifiers: [arn, arn], logStreamNames: ['app'] }, 'InvalidParameterException', /single log group/);
  await fails('StartLiveTail', { logGroupIdentifiers: [arn], logEventFilterPattern: '{' }, 'InvalidParameterException', 'Invalid filter pattern');
  const answer = await call('StartLiveTail', { logGroupIdentifiers: [arn], logStreamNamePrefixes: ['ap'], logEventFilterPattern: 'ERROR' });
  assert.ok(answer instanceof EventStreamAnswer);
  const events: [string, unknown][] = [];
  const closers: (() => void)[] = [];
  answer.start({ event: (t, p) => events.push([t, p]), exception: (t) => events.push([t, undefined]), end: () => undefined, onClose: (l) => closers.push(l) });
  assert.equal(events[0]![0], 'sessionStart');
  const t = Date.now();
  await call('PutLogEvents', { ...g, logStreamName: 'app', logEvents: [{ timestamp: t, message: 'ERROR a' }, { timestamp: t, message: 'INFO b' }] }, t);
  await call('PutLogEvents', { ...g, logStreamName: 'other', logEvents: [{ timestamp: t, message: 'ERROR other' }] }, t);
  await new Promise((r) => setTimeout(r, 1300));
  const results = events.filter(([type]) => type === 'sessionUpdate').flatMap(([, p]) => (p as { sessionResults: { message: string; logGroupIdentifier: string }[] }).sessionResults);
  assert.deepEqual(results.map((r) => [r.message, r.logGroupIdentifier]), [['ERROR a', arn]]);
  for (const c of closers) c();
  // The quota: 15 open sessions per account and region.
  const opened: (() => void)[] = [];
  for (let i = 0; i < 15; i++) {
    const a = await call('StartLiveTail', { logGroupIdentifiers: [arn] });
    a.start({ event: () => undefined, exception: () => undefined, end: () => undefined, onClose: (l: () => void) => opened.push(l) });
  }
  await fails('StartLiveTail', { logGroupIdentifiers: [arn] }, 'LimitExceededException', /15 Live Tail sessions/);
  for (const c of opened) c();
  const again = await call('StartLiveTail', { logGroupIdentifiers: [arn] });
  again.start({ event: () => undefined, exception: () => undefined, end: () => undefined, onClose: (l: () => void) => l() });
});

test('the retention sweep deletes whole segments past retention; storedBytes goes down; other groups keep theirs', async () => {
  const { LogStore } = await import('../../logs/store/log-store.ts');
  const { sweepRetention } = await import('../../logs/groups.ts');
  const d = mkdtempSync(join(tmpdir(), 'berth-logs-sweep-'));
  const s2 = await openSqliteStore(join(d, 'state.db'));
  const logStore = new LogStore(d, 16, { segmentMaxBatches: 2 });
  const svc = createLogsService({ store: s2, dataDir: d, logStore });
  const op = (name: string, input: object, now = NOW) => svc.operations[name]!(validateInput(svc.model, svc.model.operations[name]!.input!, input), ctx(now));
  try {
    for (const name of ['keep', 'trim']) {
      await op('CreateLogGroup', { logGroupName: name });
      await op('CreateLogStream', { logGroupName: name, logStreamName: 's' });
      // Ten days of one batch a day, written as they happened.
      for (let day = 10; day >= 1; day--) await op('PutLogEvents', { logGroupName: name, logStreamName: 's', logEvents: [{ timestamp: NOW - day * 86_400_000, message: `day ${day}` }] }, NOW - day * 86_400_000 + 1000);
    }
    const bytes = async (name: string) => (await op('DescribeLogGroups', { logGroupNamePrefix: name }) as { logGroups: { storedBytes: number }[] }).logGroups[0]!.storedBytes;
    const before = await bytes('trim');
    // Set the policy directly in the record, so only the sweep can drop anything.
    const key = '/logs/123456789012/us-east-1/groups/trim';
    const held = (await s2.get(key))!;
    await s2.txn({ ops: [{ type: 'put', key, value: JSON.stringify({ ...JSON.parse(held.value), retentionInDays: 3 }) }] });
    const groupDir = join(d, 'logs', JSON.parse(held.value).id);
    const segments = () => readdirSync(groupDir).filter((f) => f.endsWith('.seg')).length;
    const segsBefore = segments();
    await sweepRetention({ store: s2, logs: logStore, ids: { group: () => '', stream: () => '' } }, NOW);
    assert.ok(segments() < segsBefore, `${segsBefore} segments, then ${segments()}`);
    assert.ok((await bytes('trim')) < before);
    assert.equal(await bytes('keep'), before, 'a group without retention keeps everything');
    const left = (await op('GetLogEvents', { logGroupName: 'trim', logStreamName: 's', startFromHead: true }) as { events: { message: string }[] }).events.map((e) => e.message);
    assert.deepEqual(left, ['day 3', 'day 2', 'day 1'], 'nothing older than 3 days is returned (day 3 is exactly 3 days old), whatever is still on disk');
  } finally {
    await svc.close();
    await s2.close();
    rmSync(d, { recursive: true, force: true });
  }
});
