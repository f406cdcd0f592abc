// CloudWatch Logs against a real `berth up`, the way users drive it: the aws CLI v2
// (create, put, get, filter with patterns, streams by last event time, `aws logs tail`
// with and without --follow), boto3 for errors and paginators, and a kill -9 of Berth
// after PutLogEvents answered.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { aws, AWS_CLIS, awsEnv, awsFails, PYTHON3 } from './support/aws-cli.ts';
import { startBerth, type BerthProcess } from './support/berth.ts';
import { run } from './support/run.ts';
import { until } from './support/until.ts';

const V2 = AWS_CLIS[1];
let berth: BerthProcess;
const files = mkdtempSync(join(tmpdir(), 'berth-logs-e2e-'));
before(async () => (berth = await startBerth()));
after(async () => {
  await berth?.stop();
  rmSync(files, { recursive: true, force: true });
});

const cli = <T = Record<string, unknown>>(args: string[]) => aws<T>(V2, berth.endpoint, args);
/** Writes events as a JSON file for --log-events file://… (messages with quotes do not survive the shorthand). */
function eventsFile(name: string, events: { timestamp: number; message: string }[]): string {
  const path = join(files, name);
  writeFileSync(path, JSON.stringify(events));
  return `file://${path}`;
}

test('aws CLI v2: groups, streams, put, get, filter with patterns, streams by last event time, tail', async () => {
  const g = '/berth/e2e/web';
  await cli(['logs', 'create-log-group', '--log-group-name', g, '--tags', 'team=web']);
  for (const s of ['web/app/1', 'web/app/2']) await cli(['logs', 'create-log-stream', '--log-group-name', g, '--log-stream-name', s]);
  const now = Date.now();
  const lines = [
    'GET / 200 12', 'ERROR database timeout', JSON.stringify({ level: 'error', latency: 250 }), JSON.stringify({ level: 'error', latency: 20 }),
    '10.0.0.1 alice 404 512', 'WARN slow request',
  ];
  const put = await cli(['logs', 'put-log-events', '--log-group-name', g, '--log-stream-name', 'web/app/1', '--log-events', eventsFile('a.json', lines.map((message, i) => ({ timestamp: now - 60_000 + i, message })))]);
  assert.equal(put.rejectedLogEventsInfo, undefined);
  await cli(['logs', 'put-log-events', '--log-group-name', g, '--log-stream-name', 'web/app/2', '--log-events', eventsFile('b.json', [{ timestamp: now - 1000, message: 'ERROR in app 2' }])]);

  const got = await cli<{ events: { message: string }[]; nextForwardToken: string }>(['logs', 'get-log-events', '--log-group-name', g, '--log-stream-name', 'web/app/1', '--start-from-head']);
  assert.deepEqual(got.events.map((e) => e.message), lines);
  assert.match(got.nextForwardToken, /^f\/\d{56}\/s$/);

  const filter = async (pattern: string) => (await cli<{ events: { message: string }[] }>(['logs', 'filter-log-events', '--log-group-name', g, '--filter-pattern', pattern])).events.map((e) => e.message);
  assert.deepEqual(await filter('ERROR'), ['ERROR database timeout', 'ERROR in app 2']);
  assert.deepEqual(await filter('?WARN ?timeout'), ['ERROR database timeout', 'WARN slow request']);
  assert.deepEqual(await filter('ERROR -database'), ['ERROR in app 2']);
  assert.deepEqual(await filter('{ $.level = "error" && $.latency > 100 }'), [lines[2]]);
  assert.deepEqual(await filter('[ip, user, status = 4*, bytes > 500]'), ['10.0.0.1 alice 404 512']);
  const bad = await awsFails(V2, berth.endpoint, ['logs', 'filter-log-events', '--log-group-name', g, '--filter-pattern', '{ $.level = ']);
  assert.deepEqual([bad.code, bad.message], ['InvalidParameterException', 'Invalid filter pattern']);

  const streams = await cli<{ logStreams: { logStreamName: string; lastEventTimestamp: number }[] }>(['logs', 'describe-log-streams', '--log-group-name', g, '--order-by', 'LastEventTime', '--descending']);
  assert.deepEqual(streams.logStreams.map((s) => s.logStreamName), ['web/app/2', 'web/app/1']);
  assert.equal(streams.logStreams[0]!.lastEventTimestamp, now - 1000);

  // `aws logs tail` (CLI v2 2.9 calls FilterLogEvents, interleaved) prints "<time> <stream> <message>".
  const tail = await run(V2.bin, ['--endpoint-url', berth.endpoint, 'logs', 'tail', g, '--since', '1h'], { env: awsEnv() });
  assert.equal(tail.code, 0, tail.stderr);
  const tailed = tail.stdout.trim().split('\n');
  assert.equal(tailed.length, lines.length + 1);
  assert.match(tailed[0]!, /^\S+ web\/app\/1 GET \/ 200 12$/);
});

test('aws logs tail --follow shows events put after it started', async () => {
  const g = '/berth/e2e/follow';
  await cli(['logs', 'create-log-group', '--log-group-name', g]);
  await cli(['logs', 'create-log-stream', '--log-group-name', g, '--log-stream-name', 's']);
  const child = spawn(V2.bin, ['--endpoint-url', berth.endpoint, 'logs', 'tail', g, '--follow', '--format', 'short'], { env: { ...process.env, ...awsEnv() }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  try {
    await new Promise((r) => setTimeout(r, 1500));
    await cli(['logs', 'put-log-events', '--log-group-name', g, '--log-stream-name', 's', '--log-events', eventsFile('f1.json', [{ timestamp: Date.now(), message: 'first while following' }])]);
    // The CLI polls every 5 s.
    await until('the first line in tail --follow', async () => (out.includes('first while following') ? true : undefined), 15_000);
    await cli(['logs', 'put-log-events', '--log-group-name', g, '--log-stream-name', 's', '--log-events', eventsFile('f2.json', [{ timestamp: Date.now(), message: 'second while following' }])]);
    await until('the second line in tail --follow', async () => (out.includes('second while following') ? true : undefined), 15_000);
    assert.equal(out.split('first while following').length, 2, 'each line once');
  } finally {
    child.kill('SIGKILL');
  }
});

test('boto3: AWS errors change nothing; paginators cover every group and event', async () => {
  const script = String.raw`
import boto3, sys, time
from botocore.exceptions import ClientError
logs = boto3.client('logs', endpoint_url=sys.argv[1], region_name='us-east-1')
def fails(code, message, fn, *a, **kw):
    try:
        fn(*a, **kw)
    except ClientError as e:
        got = (e.response['Error']['Code'], e.response['Error']['Message'])
        assert got[0] == code and (message is None or got[1] == message), got
        return
    raise AssertionError('expected ' + code)
now = int(time.time() * 1000)
fails('ResourceNotFoundException', 'The specified log group does not exist.', logs.describe_log_streams, logGroupName='missing')
fails('ResourceNotFoundException', 'The specified log group does not exist.', logs.put_log_events, logGroupName='missing', logStreamName='s', logEvents=[{'timestamp': now, 'message': 'x'}])
logs.create_log_group(logGroupName='b3')
fails('ResourceAlreadyExistsException', 'The specified log group already exists', logs.create_log_group, logGroupName='b3')
logs.create_log_stream(logGroupName='b3', logStreamName='s')
fails('ResourceNotFoundException', 'The specified log stream does not exist.', logs.get_log_events, logGroupName='b3', logStreamName='nope')
fails('InvalidParameterException', 'Log event too large: 262145 bytes exceeds limit of 262144', logs.put_log_events, logGroupName='b3', logStreamName='s', logEvents=[{'timestamp': now, 'message': 'x' * (262144 - 26 + 1)}])
fails('InvalidParameterException', 'Upload too large: 1050130 bytes exceeds limit of 1048576', logs.put_log_events, logGroupName='b3', logStreamName='s', logEvents=[{'timestamp': now, 'message': 'y' * 210000}] * 5)
fails('InvalidParameterException', 'Log events in a single PutLogEvents request must be in chronological order.', logs.put_log_events, logGroupName='b3', logStreamName='s', logEvents=[{'timestamp': now, 'message': 'a'}, {'timestamp': now - 1, 'message': 'b'}])
fails('InvalidParameterException', None, logs.put_retention_policy, logGroupName='b3', retentionInDays=4)
fails('InvalidParameterException', 'Invalid filter pattern', logs.filter_log_events, logGroupName='b3', filterPattern='"unclosed')
assert logs.get_log_events(logGroupName='b3', logStreamName='s')['events'] == [], 'refused batches stored nothing'
r = logs.put_log_events(logGroupName='b3', logStreamName='s', logEvents=[{'timestamp': now - 15 * 86400000, 'message': 'old'}, {'timestamp': now - 15 * 86400000 + 1, 'message': 'old2'}])
assert r['rejectedLogEventsInfo'] == {'tooOldLogEventEndIndex': 1}, r
r = logs.put_log_events(logGroupName='b3', logStreamName='s', logEvents=[{'timestamp': now, 'message': 'now'}, {'timestamp': now + 3 * 3600000, 'message': 'future'}])
assert r['rejectedLogEventsInfo'] == {'tooNewLogEventStartIndex': 1}, r
assert [e['message'] for e in logs.get_log_events(logGroupName='b3', logStreamName='s')['events']] == ['now']

for i in range(60):
    logs.create_log_group(logGroupName='page/%02d' % i)
names = [g['logGroupName'] for p in logs.get_paginator('describe_log_groups').paginate(logGroupNamePrefix='page/', PaginationConfig={'PageSize': 7}) for g in p['logGroups']]
assert names == ['page/%02d' % i for i in range(60)], names
for s in range(3):
    logs.create_log_stream(logGroupName='b3', logStreamName='bulk-%d' % s)
    for b in range(4):
        logs.put_log_events(logGroupName='b3', logStreamName='bulk-%d' % s, logEvents=[{'timestamp': now - 10000 + b * 1000 + i, 'message': 'bulk %d %d %d%s' % (s, b, i, ' hit' if i % 10 == 0 else '')} for i in range(1000)])
ids = [e['eventId'] for p in logs.get_paginator('filter_log_events').paginate(logGroupName='b3', logStreamNamePrefix='bulk-', PaginationConfig={'PageSize': 500}) for e in p['events']]
assert len(ids) == 12000 and len(set(ids)) == 12000, len(ids)
hits = [e for p in logs.get_paginator('filter_log_events').paginate(logGroupName='b3', filterPattern='hit', PaginationConfig={'PageSize': 333}) for e in p['events']]
assert len(hits) == 1200, len(hits)
streams = [s['logStreamName'] for p in logs.get_paginator('describe_log_streams').paginate(logGroupName='b3', PaginationConfig={'PageSize': 2}) for s in p['logStreams']]
assert streams == ['bulk-0', 'bulk-1', 'bulk-2', 's'], streams
`;
  const r = await run(PYTHON3, ['-c', script, berth.endpoint], { env: awsEnv() });
  assert.equal(r.code, 0, r.stderr);
});

test('kill -9 of Berth after PutLogEvents answered: every acknowledged event is there after restart', async () => {
  const g = 'crash-1';
  await cli(['logs', 'create-log-group', '--log-group-name', g]);
  await cli(['logs', 'create-log-stream', '--log-group-name', g, '--log-stream-name', 's']);
  const now = Date.now();
  const endpoint = berth.endpoint;
  const target = 'Logs_20140328.PutLogEvents';
  // Many batches in flight at once, so several share a group commit; each answer is an acknowledgement.
  const acked: number[] = [];
  await Promise.all(Array.from({ length: 20 }, async (_, b) => {
    const res = await fetch(endpoint, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-amz-json-1.1', 'X-Amz-Target': target },
      body: JSON.stringify({ logGroupName: g, logStreamName: 's', logEvents: Array.from({ length: 100 }, (_, i) => ({ timestamp: now - 10_000 + b * 100 + i, message: `b${b} e${i}` })) }),
    });
    assert.equal(res.status, 200, await res.text());
    acked.push(b);
  }));
  await berth.kill9();
  await berth.restart();
  const filtered = await cli<{ events: unknown[] }>(['logs', 'filter-log-events', '--log-group-name', g, '--limit', '10000']);
  assert.equal(filtered.events.length, acked.length * 100);
  const got = await cli<{ events: { timestamp: number }[] }>(['logs', 'get-log-events', '--log-group-name', g, '--log-stream-name', 's', '--start-from-head']);
  assert.deepEqual(got.events.map((e) => e.timestamp), Array.from({ length: 2000 }, (_, i) => now - 10_000 + i));
});

test('StartLiveTail: boto3 reads the event stream; the aws CLI v1 start-live-tail prints new lines', async () => {
  const g = 'live-e2e';
  await cli(['logs', 'create-log-group', '--log-group-name', g]);
  await cli(['logs', 'create-log-stream', '--log-group-name', g, '--log-stream-name', 's']);
  const arn = `arn:aws:logs:us-east-1:000000000000:log-group:${g}`;
  // The model's host prefix (stream-) would send botocore to stream-127.0.0.1: off, as for any local endpoint.
  const env = { ...awsEnv(), AWS_DISABLE_HOST_PREFIX_INJECTION: 'true' };
  const script = String.raw`
import boto3, sys, threading, time
logs = boto3.client('logs', endpoint_url=sys.argv[1], region_name='us-east-1')
r = logs.start_live_tail(logGroupIdentifiers=[sys.argv[2]], logEventFilterPattern='ERROR')
def put():
    time.sleep(1)
    now = int(time.time() * 1000)
    logs.put_log_events(logGroupName='live-e2e', logStreamName='s', logEvents=[{'timestamp': now, 'message': 'ERROR live one'}, {'timestamp': now, 'message': 'INFO not shown'}])
threading.Thread(target=put).start()
kinds, got, t0 = [], [], time.time()
for ev in r['responseStream']:
    kinds.append(next(iter(ev)))
    if 'sessionUpdate' in ev:
        got += [e['message'] for e in ev['sessionUpdate']['sessionResults']]
    if got or time.time() - t0 > 10:
        break
r['responseStream'].close()
assert kinds[0] == 'sessionStart', kinds
assert got == ['ERROR live one'], got
`;
  const r = await run(PYTHON3, ['-c', script, berth.endpoint, arn], { env });
  assert.equal(r.code, 0, r.stderr);

  const child = spawn(AWS_CLIS[0].bin, ['--endpoint-url', berth.endpoint, 'logs', 'start-live-tail', '--log-group-identifiers', arn], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  try {
    await new Promise((res) => setTimeout(res, 2500));
    await cli(['logs', 'put-log-events', '--log-group-name', g, '--log-stream-name', 's', '--log-events', eventsFile('lt.json', [{ timestamp: Date.now(), message: 'seen by start-live-tail' }])]);
    await until('the line in aws logs start-live-tail', async () => (out.includes('seen by start-live-tail') ? true : undefined), 10_000);
  } finally {
    child.kill('SIGKILL');
  }
});
