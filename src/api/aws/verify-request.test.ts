import { test } from 'node:test';
import assert from 'node:assert/strict';
import { issueSessionCredentials } from '../../identity/session-credentials.ts';
import { signRequest } from './sigv4.ts';
import { createRequestVerifier, failureError, VerifyFailure, type VerifiableRequest } from './verify-request.ts';

const KEY = Buffer.alloc(32, 3);
const NOW = Date.UTC(2026, 11, 7, 9, 30, 0);
const verifier = createRequestVerifier({ key: KEY, accountId: '000000000000' });
const creds = issueSessionCredentials(KEY, { roleArn: 'arn:aws:iam::123456789012:role/app', sessionName: 'task1' }, NOW - 60_000, Buffer.alloc(10, 1));

function signed(o: { secret?: string; token?: string; body?: string; at?: number; unsigned?: Record<string, string> } = {}): VerifiableRequest {
  const body = o.body ?? '{}';
  const headers: Record<string, string> = { host: 'localhost:8700', 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AmazonEC2ContainerServiceV20141113.ListClusters', 'x-amz-security-token': o.token ?? creds.sessionToken };
  const added = signRequest({ method: 'POST', path: '/', headers, body: '{}' }, { accessKeyId: creds.accessKeyId, secretAccessKey: o.secret ?? creds.secretAccessKey }, 'us-east-1', 'ecs', new Date(o.at ?? NOW));
  return { method: 'POST', url: '/', headers: { ...headers, ...added, ...o.unsigned }, body };
}

const failure = (f: () => unknown): VerifyFailure => {
  try {
    f();
  } catch (e) {
    if (e instanceof VerifyFailure) return e;
    throw e;
  }
  assert.fail('expected a VerifyFailure');
};

test('session credentials sign as their role; long-term keys and unsigned requests are the account root, unchecked', () => {
  const p = verifier.verify(signed(), NOW);
  assert.equal(p.arn, 'arn:aws:sts::123456789012:assumed-role/app/task1');
  assert.equal(verifier.verify({ method: 'POST', url: '/', headers: {}, body: '' }, NOW).arn, 'arn:aws:iam::000000000000:root');
  const longTerm = { ...signed(), headers: { ...signed().headers, authorization: String(signed().headers.authorization).replace(creds.accessKeyId, 'AKIAEXAMPLE') } };
  assert.equal(verifier.verify(longTerm, NOW).kind, 'root');
});

test('a wrong secret, a changed body, an unsigned x-amz header, a bad or missing token, an old date: refused with AWS words', () => {
  assert.equal(failure(() => verifier.verify(signed({ secret: 'x'.repeat(40) }), NOW)).kind, 'signature');
  assert.equal(failure(() => verifier.verify(signed({ body: '{"a":1}' }), NOW)).kind, 'signature');
  assert.equal(failure(() => verifier.verify(signed({ unsigned: { 'x-amz-user-agent': 'sneaky' } }), NOW)).kind, 'incomplete');
  assert.equal(failure(() => verifier.verify(signed({ token: 'forged.token' }), NOW)).kind, 'invalid-token');
  const noToken = signed();
  const { ['x-amz-security-token']: _dropped, ...rest } = noToken.headers;
  assert.equal(failure(() => verifier.verify({ ...noToken, headers: rest }, NOW)).kind, 'invalid-token');
  const skew = failure(() => verifier.verify(signed({ at: NOW - 16 * 60_000 }), NOW));
  assert.equal(skew.kind, 'skew');
  assert.match(skew.message, /^Signature expired: 20261207T091400Z is now earlier than 20261207T091500Z \(20261207T093000Z - 15 min\.\)$/);
  const expired = failure(() => verifier.verify(signed({ at: NOW + 7 * 3600_000 }), NOW + 7 * 3600_000));
  assert.equal(expired.kind, 'expired-token');
  assert.equal(failureError(expired, 'json').code, 'ExpiredTokenException');
  assert.equal(failureError(expired, 'query').code, 'ExpiredToken');
  assert.equal(failureError(new VerifyFailure('invalid-token', 'x'), 'query').code, 'InvalidClientTokenId');
  assert.equal(failureError(new VerifyFailure('signature', 'x'), 'json').code, 'InvalidSignatureException');
});
