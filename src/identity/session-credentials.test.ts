import { test } from 'node:test';
import assert from 'node:assert/strict';
import { issueSessionCredentials, openSessionToken, roleId, SESSION_LIFETIME_MS } from './session-credentials.ts';

const KEY = Buffer.alloc(32, 7);
const OTHER = Buffer.alloc(32, 8);
const NOW = 1_800_000_000_000;
const ROLE = 'arn:aws:iam::123456789012:role/service/app-role';
const RANDOM = Buffer.from('0123456789');

test('issued credentials open to the role, the session and the task, with the same secret', () => {
  const c = issueSessionCredentials(KEY, { roleArn: ROLE, sessionName: 'abc123', taskArn: 'arn:aws:ecs:us-east-1:123456789012:task/c/abc123' }, NOW, RANDOM);
  assert.match(c.accessKeyId, /^ASIA[A-Z2-7]{16}$/);
  assert.equal(c.secretAccessKey.length, 40);
  assert.equal(c.expiration, NOW + SESSION_LIFETIME_MS);
  const o = openSessionToken(KEY, c.accessKeyId, c.sessionToken, NOW + 1000);
  assert.ok(o.ok);
  assert.equal(o.secretAccessKey, c.secretAccessKey);
  assert.deepEqual(o.facts, { roleArn: ROLE, sessionName: 'abc123', taskArn: 'arn:aws:ecs:us-east-1:123456789012:task/c/abc123' });
  // The role's path is not in the assumed-role ARN, as STS writes it.
  assert.equal(o.principal.arn, 'arn:aws:sts::123456789012:assumed-role/app-role/abc123');
  assert.equal(o.principal.account, '123456789012');
  assert.match(o.principal.userId, /^AROA[A-Z2-7]{17}:abc123$/);
  assert.equal(o.principal.userId.split(':')[0], roleId(KEY, ROLE), 'one role, one id');
});

test('a token from another key, for another access key, tampered with or expired does not open', () => {
  const c = issueSessionCredentials(KEY, { roleArn: ROLE, sessionName: 'abc123' }, NOW, RANDOM);
  assert.deepEqual(openSessionToken(OTHER, c.accessKeyId, c.sessionToken, NOW), { ok: false, reason: 'invalid' });
  assert.deepEqual(openSessionToken(KEY, 'ASIAAAAAAAAAAAAAAAAA', c.sessionToken, NOW), { ok: false, reason: 'invalid' });
  const [body, mac] = c.sessionToken.split('.') as [string, string];
  const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(body, 'base64url').toString()), r: 'arn:aws:iam::123456789012:role/admin' })).toString('base64url');
  assert.deepEqual(openSessionToken(KEY, c.accessKeyId, `${forged}.${mac}`, NOW), { ok: false, reason: 'invalid' });
  for (const junk of ['', '.', 'x', 'a.b', `${body}.`]) assert.deepEqual(openSessionToken(KEY, c.accessKeyId, junk, NOW), { ok: false, reason: 'invalid' }, junk);
  assert.deepEqual(openSessionToken(KEY, c.accessKeyId, c.sessionToken, NOW + SESSION_LIFETIME_MS), { ok: false, reason: 'expired' });
});

test('only role ARNs and STS session names are issued for', () => {
  assert.throws(() => issueSessionCredentials(KEY, { roleArn: 'arn:aws:iam::123456789012:user/bob', sessionName: 'ab' }, NOW, RANDOM));
  assert.throws(() => issueSessionCredentials(KEY, { roleArn: ROLE, sessionName: 'a' }, NOW, RANDOM));
  assert.throws(() => issueSessionCredentials(KEY, { roleArn: ROLE, sessionName: 'has space' }, NOW, RANDOM));
});
