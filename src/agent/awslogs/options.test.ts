import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AwslogsOptionError, awslogsOf, DEFAULT_MAX_BUFFER_BYTES, parseAwslogsOptions, parseSize, streamName } from './options.ts';

test('stream names: prefix/container-name/task-id with a prefix, the container id without', () => {
  assert.equal(streamName('web', 'app', '0123456789abcdef0123456789abcdef', 'cid'), 'web/app/0123456789abcdef0123456789abcdef');
  assert.equal(streamName(undefined, 'app', 'tid', '0123-app'), '0123-app');
  assert.equal(parseAwslogsOptions({ 'awslogs-group': 'g', 'awslogs-stream-prefix': '' }, 'us-east-1').prefix, undefined, 'an empty prefix is none');
});

test('options: defaults, the region falls back to the task\'s, Docker\'s errors for bad ones', () => {
  const c = parseAwslogsOptions({ 'awslogs-group': '/ecs/web' }, 'eu-west-1');
  assert.deepEqual({ ...c }, { group: '/ecs/web', region: 'eu-west-1', prefix: undefined, createGroup: false, mode: 'non-blocking', maxBufferBytes: DEFAULT_MAX_BUFFER_BYTES, startPattern: undefined });
  assert.equal(parseAwslogsOptions({ 'awslogs-group': 'g' }, 'r', 'blocking').mode, 'blocking', 'the account\'s defaultLogDriverMode');
  assert.equal(parseAwslogsOptions({ 'awslogs-group': 'g', mode: 'blocking' }, 'r', 'non-blocking').mode, 'blocking', 'the container\'s own mode first');
  const n = parseAwslogsOptions({ 'awslogs-group': 'g', 'awslogs-region': 'us-west-2', 'awslogs-create-group': 'true', mode: 'non-blocking', 'max-buffer-size': '4m' }, 'x');
  assert.deepEqual([n.region, n.createGroup, n.mode, n.maxBufferBytes], ['us-west-2', true, 'non-blocking', 4 * 1024 * 1024]);
  assert.throws(() => parseAwslogsOptions({}, 'r'), new AwslogsOptionError("must specify a value for log opt 'awslogs-group'"));
  assert.throws(() => parseAwslogsOptions({ 'awslogs-group': 'g', mode: 'fast' }, 'r'), /logging mode not supported: fast/);
  assert.throws(() => parseAwslogsOptions({ 'awslogs-group': 'g', mode: 'blocking', 'max-buffer-size': '1m' }, 'r'), /only supported with 'mode=non-blocking'/);
  assert.throws(() => parseAwslogsOptions({ 'awslogs-group': 'g', 'awslogs-datetime-format': '%Y', 'awslogs-multiline-pattern': 'x' }, 'r'), /at the same time/);
  assert.throws(() => parseAwslogsOptions({ 'awslogs-group': 'g', colour: 'blue' }, 'r'), /unknown log opt 'colour'/);
  assert.throws(() => parseAwslogsOptions({ 'awslogs-group': 'g', 'awslogs-multiline-pattern': '(' }, 'r'), /could not parse multiline pattern/);
});

test('sizes and which configurations are awslogs', () => {
  assert.deepEqual(['512', '2k', '1m', '1MiB', '1g'].map(parseSize), [512, 2048, 1 << 20, 1 << 20, 1 << 30]);
  assert.throws(() => parseSize('lots'), /max-buffer-size/);
  assert.equal(awslogsOf(undefined), undefined);
  assert.equal(awslogsOf({ logDriver: 'json-file' }), undefined);
  assert.deepEqual(awslogsOf({ logDriver: 'awslogs', options: { 'awslogs-group': 'g' } }), { 'awslogs-group': 'g' });
});
