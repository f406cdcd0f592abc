import { test } from 'node:test';
import assert from 'node:assert/strict';
import { issueSessionCredentials, openSessionToken } from '../identity/session-credentials.ts';
import { executionPrincipal, type CredentialsOpener } from './execution-principal.ts';

const KEY = Buffer.alloc(32, 7);
const TASK = 'arn:aws:ecs:us-east-1:000000000000:task/demo/0123456789abcdef0123456789abcdef';
const EXEC = 'arn:aws:iam::000000000000:role/exec';
const open: CredentialsOpener = (id, token, now) => openSessionToken(KEY, id, token, now);
const issue = (roleArn: string, taskArn: string) => issueSessionCredentials(KEY, { roleArn, sessionName: '0123456789abcdef0123456789abcdef', taskArn }, 1_000, Buffer.alloc(10, 1), { lifetimeMs: 60_000 });

test("the execution role's session issued for the task is its principal", () => {
  const c = issue(EXEC, TASK);
  assert.deepEqual(executionPrincipal(open, { accessKeyId: c.accessKeyId, sessionToken: c.sessionToken }, TASK, EXEC, 2_000),
    { ok: true, principal: 'arn:aws:sts::000000000000:assumed-role/exec/0123456789abcdef0123456789abcdef' });
});

test("no proof, another role's or another task's session, an expired or forged one: refused, saying why", () => {
  const refused = (r: ReturnType<typeof executionPrincipal>) => (r.ok ? assert.fail('accepted') : r.message);
  assert.match(refused(executionPrincipal(open, undefined, TASK, EXEC, 2_000)), /has the execution role .*exec/);
  const app = issue('arn:aws:iam::000000000000:role/app', TASK);
  assert.match(refused(executionPrincipal(open, { accessKeyId: app.accessKeyId, sessionToken: app.sessionToken }, TASK, EXEC, 2_000)), /is not the execution role/);
  const other = issue(EXEC, TASK.replace(/0123/, '9999'));
  assert.match(refused(executionPrincipal(open, { accessKeyId: other.accessKeyId, sessionToken: other.sessionToken }, TASK, EXEC, 2_000)), /is not the execution role/);
  const c = issue(EXEC, TASK);
  assert.match(refused(executionPrincipal(open, { accessKeyId: c.accessKeyId, sessionToken: c.sessionToken }, TASK, EXEC, 61_000)), /expired/);
  assert.match(refused(executionPrincipal(open, { accessKeyId: c.accessKeyId, sessionToken: `${c.sessionToken}x` }, TASK, EXEC, 2_000)), /invalid/);
  assert.match(refused(executionPrincipal(undefined, { accessKeyId: c.accessKeyId, sessionToken: c.sessionToken }, TASK, EXEC, 2_000)), /cannot check/);
});
