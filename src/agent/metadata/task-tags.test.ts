import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_TAGS_KEPT, TAGS_FRESH_MS, TaskTagsCache, withTags } from './task-tags.ts';

const ARN = 'arn:aws:ecs:us-east-1:123456789012:task/default/0123456789abcdef0123456789abcdef';

test('the task answer with TaskTags and ContainerInstanceTags as maps; empty lists leave them out; errors in AWS\'s Errors shape', () => {
  const task = { TaskARN: ARN, KnownStatus: 'RUNNING' };
  assert.deepEqual(withTags(task, { taskTags: [{ key: 'team', value: 'web' }], containerInstanceTags: [{ key: 'rack', value: 'r1' }, { key: 'empty' }] }), {
    TaskARN: ARN, KnownStatus: 'RUNNING', ContainerInstanceTags: { rack: 'r1', empty: '' }, TaskTags: { team: 'web' },
  });
  assert.deepEqual(withTags(task, { taskTags: [], containerInstanceTags: [] }), task);
  const inst = 'arn:aws:ecs:us-east-1:123456789012:container-instance/default/0123456789abcdef0123456789abcdef';
  const requestId = 'cd597ef0-272b-4643-9bd2-1de469870fa6';
  const withError = withTags(task, { taskTags: [{ key: 'a', value: 'b' }], errors: [{ resourceArn: inst, field: 'ContainerInstanceTags', code: 'InvalidParameterException', message: 'gone', requestId }] });
  assert.deepEqual(withError, {
    ...task, TaskTags: { a: 'b' },
    Errors: [{ ErrorField: 'ContainerInstanceTags', ErrorCode: 'InvalidParameterException', ErrorMessage: 'gone', StatusCode: 400, RequestId: requestId, ResourceARN: inst }],
  });
  // The developer guide's example's members, in its order.
  assert.deepEqual(Object.keys((withError.Errors as object[])[0]!), ['ErrorField', 'ErrorCode', 'ErrorMessage', 'StatusCode', 'RequestId', 'ResourceARN']);
  // A failure with no answer from the control plane has no request to name.
  const unanswered = withTags(task, { errors: [{ resourceArn: ARN, field: 'TaskTags', code: 'ServerException', message: 'not connected' }] });
  assert.deepEqual(unanswered.Errors, [{ ErrorField: 'TaskTags', ErrorCode: 'ServerException', ErrorMessage: 'not connected', StatusCode: 500, ResourceARN: ARN }]);
});

test('tags are fetched once per freshness window, shared by concurrent askers; errors are not kept; the kept tasks are bounded', async () => {
  let now = 0;
  let fetched = 0;
  let fail = false;
  const cache = new TaskTagsCache(async () => { fetched++; return fail ? { errors: [{ resourceArn: ARN, field: 'TaskTags' as const, code: 'ServerException', message: 'x' }] } : { taskTags: [{ key: 'n', value: String(fetched) }] }; }, () => now);
  const [a, b] = await Promise.all([cache.get(ARN), cache.get(ARN)]);
  assert.equal(fetched, 1);
  assert.deepEqual(a, b);
  now += TAGS_FRESH_MS - 1;
  await cache.get(ARN);
  assert.equal(fetched, 1);
  now += 1;
  assert.deepEqual((await cache.get(ARN)).taskTags, [{ key: 'n', value: '2' }]);
  cache.delete(ARN);
  fail = true;
  await cache.get(ARN);
  await new Promise((r) => setImmediate(r));
  await cache.get(ARN);
  assert.equal(fetched, 4, 'an answer with errors is asked again');
  fail = false;
  for (let i = 0; i <= MAX_TAGS_KEPT; i++) await cache.get(`${ARN}-${i}`);
  const before = fetched;
  await cache.get(`${ARN}-0`);
  assert.equal(fetched, before + 1, 'the oldest task was dropped past the bound');
});
