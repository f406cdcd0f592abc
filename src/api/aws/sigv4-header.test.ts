import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSigV4Header } from './sigv4-header.ts';
import { ApiError } from '../../core/errors.ts';

const SIG = 'a'.repeat(64);

test('reads access key, region and service from the credential scope', () => {
  const h = parseSigV4Header(`AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261125/eu-west-1/ecs/aws4_request, SignedHeaders=host;x-amz-date;x-amz-target, Signature=${SIG}`);
  assert.equal(h.accessKeyId, 'AKIDEXAMPLE');
  assert.equal(h.region, 'eu-west-1');
  assert.equal(h.service, 'ecs');
  assert.deepEqual(h.signedHeaders, ['host', 'x-amz-date', 'x-amz-target']);
});

test('accepts the parts without spaces after the commas, as some SDKs send them', () => {
  const h = parseSigV4Header(`AWS4-HMAC-SHA256 Credential=AK/20261125/us-east-1/ecr/aws4_request,SignedHeaders=host,Signature=${SIG}`);
  assert.equal(h.service, 'ecr');
});

for (const [name, header] of [
  ['another algorithm', `AWS4-HMAC-SHA1 Credential=AK/20261125/us-east-1/ecs/aws4_request, SignedHeaders=host, Signature=${SIG}`],
  ['a missing Signature', 'AWS4-HMAC-SHA256 Credential=AK/20261125/us-east-1/ecs/aws4_request, SignedHeaders=host'],
  ['a short credential scope', `AWS4-HMAC-SHA256 Credential=AK/20261125/us-east-1/aws4_request, SignedHeaders=host, Signature=${SIG}`],
  ['a bad date', `AWS4-HMAC-SHA256 Credential=AK/2026-11-25/us-east-1/ecs/aws4_request, SignedHeaders=host, Signature=${SIG}`],
  ['a wrong terminator', `AWS4-HMAC-SHA256 Credential=AK/20261125/us-east-1/ecs/aws5_request, SignedHeaders=host, Signature=${SIG}`],
  ['a non-hex signature', 'AWS4-HMAC-SHA256 Credential=AK/20261125/us-east-1/ecs/aws4_request, SignedHeaders=host, Signature=xyz'],
  ['a repeated part', `AWS4-HMAC-SHA256 Credential=AK/20261125/us-east-1/ecs/aws4_request, Credential=AK/20261125/us-east-1/ecs/aws4_request, SignedHeaders=host, Signature=${SIG}`],
] as const) {
  test(`refuses ${name} with IncompleteSignatureException`, () => {
    assert.throws(() => parseSigV4Header(header), (e: unknown) => e instanceof ApiError && e.code === 'IncompleteSignatureException' && e.status === 400);
  });
}
