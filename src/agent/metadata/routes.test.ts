import { test } from 'node:test';
import assert from 'node:assert/strict';
import { route } from './routes.ts';

const ID = '0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0';

test('the v4 and v3 paths, the protection endpoint; nothing else', () => {
  assert.deepEqual(route('GET', `/v4/${ID}`), { kind: 'container', version: 'v4', id: ID });
  assert.deepEqual(route('GET', `/v4/${ID}/task`), { kind: 'task', version: 'v4', id: ID });
  assert.deepEqual(route('GET', `/v4/${ID}/stats`), { kind: 'stats', version: 'v4', id: ID });
  assert.deepEqual(route('GET', `/v3/${ID}/task/stats`), { kind: 'taskStats', version: 'v3', id: ID });
  assert.deepEqual(route('GET', `/v4/${ID}/task?x=1`), { kind: 'task', version: 'v4', id: ID });
  assert.deepEqual(route('PUT', `/api/${ID}/task-protection/v1/state`), { kind: 'protection', method: 'PUT', id: ID });
  assert.deepEqual(route('GET', `/api/${ID}/task-protection/v1/state`), { kind: 'protection', method: 'GET', id: ID });
  assert.deepEqual(route('GET', `/v2/credentials/${ID}`), { kind: 'credentials', id: ID });
  for (const [m, p] of [['POST', `/v4/${ID}`], ['DELETE', `/api/${ID}/task-protection/v1/state`], ['GET', '/v4/158d1c8083dd49d6b527399fd6414f5c/task'],
    ['GET', `/v2/${ID}`], ['PUT', `/v2/credentials/${ID}`], ['GET', '/v2/credentials/not-an-id'], ['GET', `/v4/${ID}/../x`], ['GET', '/'], ['GET', `/v4/${ID}/stats/task`]] as const) {
    assert.equal(route(m, p), undefined, `${m} ${p}`);
  }
});

test('taskWithTags is a v4 path only', () => {
  const id = '0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0';
  assert.deepEqual(route('GET', `/v4/${id}/taskWithTags`), { kind: 'taskWithTags', version: 'v4', id });
  assert.equal(route('GET', `/v3/${id}/taskWithTags`), undefined);
  assert.equal(route('PUT', `/v4/${id}/taskWithTags`), undefined);
});
