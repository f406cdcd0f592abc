import { test } from 'node:test';
import assert from 'node:assert/strict';
import { credentialScope } from './sigv4-scope.ts';

const SIG = '0'.repeat(64);

test('the scope comes from the Authorization header: key, date, region, service', () => {
  const auth = `AWS4-HMAC-SHA256 Credential=AKID/20261125/eu-west-1/elasticloadbalancing/aws4_request, SignedHeaders=host;x-amz-date, Signature=${SIG}`;
  assert.deepEqual(credentialScope({ authorization: auth }, '/'), { accessKeyId: 'AKID', date: '20261125', region: 'eu-west-1', service: 'elasticloadbalancing' });
});

test('a presigned URL carries it in X-Amz-Credential, URL-encoded', () => {
  const url = `/?Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20261125%2Fus-east-1%2Fsts%2Faws4_request&X-Amz-Signature=${SIG}`;
  assert.deepEqual(credentialScope({}, url), { accessKeyId: 'AKID', date: '20261125', region: 'us-east-1', service: 'sts' });
});

test('no SigV4 scope: unsigned, Signature Version 2, a bearer token, a malformed credential', () => {
  assert.equal(credentialScope({}, '/b/k?list-type=2'), undefined);
  assert.equal(credentialScope({ authorization: 'AWS AKID:c2ln' }, '/b/k'), undefined);
  assert.equal(credentialScope({ authorization: 'Bearer abc' }, '/v2/'), undefined);
  assert.equal(credentialScope({ authorization: 'AWS4-HMAC-SHA256 Credential=AKID/2026/us-east-1/s3/aws4_request, Signature=x' }, '/'), undefined);
  assert.equal(credentialScope({}, '/?X-Amz-Credential=AKID%2F20261125%2Fus-east-1%2Fsts'), undefined);
  // The header wins over the query: it is what the request was signed with.
  assert.equal(credentialScope({ authorization: 'Bearer abc' }, '/?X-Amz-Credential=AKID%2F20261125%2Fus-east-1%2Fsts%2Faws4_request'), undefined);
});
