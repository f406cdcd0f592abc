import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { endpointId, endpointKey, metadataEnvironment } from './ids.ts';

test('endpoint ids: UUID-shaped, one per container, the same after a restart, unrelated under another key', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ids-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const key = endpointKey(dir);
  assert.equal(statSync(join(dir, 'metadata-key')).mode & 0o777, 0o600);
  assert.deepEqual(endpointKey(dir), key, 'read back, not made again');
  const a = endpointId(key, 'arn:aws:ecs:us-east-1:1:task/c/t1', 'app');
  assert.match(a, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  assert.equal(endpointId(key, 'arn:aws:ecs:us-east-1:1:task/c/t1', 'app'), a);
  assert.notEqual(endpointId(key, 'arn:aws:ecs:us-east-1:1:task/c/t1', 'side'), a);
  assert.notEqual(endpointId(Buffer.alloc(32, 1), 'arn:aws:ecs:us-east-1:1:task/c/t1', 'app'), a);
  assert.deepEqual(metadataEnvironment(a), [
    { name: 'ECS_CONTAINER_METADATA_URI_V4', value: `http://169.254.170.2/v4/${a}` },
    { name: 'ECS_CONTAINER_METADATA_URI', value: `http://169.254.170.2/v3/${a}` },
    { name: 'ECS_AGENT_URI', value: `http://169.254.170.2/api/${a}` },
  ]);
  // A task with a role: the credentials' relative URI too, on the same id (the SDKs prefix 169.254.170.2).
  assert.deepEqual(metadataEnvironment(a, true).at(-1), { name: 'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI', value: `/v2/credentials/${a}` });
});
