import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { signRequest, verifySignature } from './sigv4.ts';
import { parseSigV4Header } from './sigv4-header.ts';

const creds = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
const body = '{"clusterName":"a"}';
const req = {
  method: 'POST',
  path: '/',
  headers: { Host: '127.0.0.1:8700', 'Content-Type': 'application/x-amz-json-1.1', 'X-Amz-Target': 'AmazonEC2ContainerServiceV20141113.CreateCluster' },
  body,
};
const when = new Date('2026-11-25T13:45:01Z');

test('signs exactly as botocore, the signer the aws CLI uses, does', () => {
  const ours = signRequest(req, creds, 'eu-west-1', 'ecs', when);
  const script = `
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
r = AWSRequest(method='POST', url='http://127.0.0.1:8700/', data=${JSON.stringify(body)}, headers=${JSON.stringify(req.headers)})
a = SigV4Auth(Credentials('AKIDEXAMPLE', 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY'), 'ecs', 'eu-west-1')
r.context['timestamp'] = '20261125T134501Z'
a._modify_request_before_signing(r)
print(a.signature(a.string_to_sign(r, a.canonical_request(r)), r))
`;
  const botocore = execFileSync('python3', ['-c', script], { encoding: 'utf8' }).trim();
  assert.equal(parseSigV4Header(ours.authorization!).signature, botocore);
});

test('verification accepts the signature it made and refuses a changed body or secret', () => {
  const added = signRequest(req, creds, 'us-east-1', 'ecs', when);
  const h = parseSigV4Header(added.authorization!);
  const signedReq = { ...req, headers: { ...req.headers, 'x-amz-date': added['x-amz-date']! } };
  const scope = `${h.date}/${h.region}/${h.service}/aws4_request`;
  assert.equal(verifySignature(signedReq, h.signedHeaders, creds.secretAccessKey, scope, h.signature), true);
  assert.equal(verifySignature({ ...signedReq, body: '{"clusterName":"b"}' }, h.signedHeaders, creds.secretAccessKey, scope, h.signature), false);
  assert.equal(verifySignature(signedReq, h.signedHeaders, 'another-secret', scope, h.signature), false);
});

test('temporary credentials send their token as x-amz-security-token, and sign it', () => {
  const headers = signRequest(req, { ...creds, sessionToken: 'the-token' }, 'us-east-1', 'ecs', when);
  assert.equal(headers['x-amz-security-token'], 'the-token');
  assert.match(headers.authorization!, /SignedHeaders=[^,]*x-amz-security-token/);
  const h = parseSigV4Header(headers.authorization!);
  const scope = `${h.date}/${h.region}/${h.service}/aws4_request`;
  const signed = { ...req, headers: { ...req.headers, 'x-amz-date': headers['x-amz-date']!, 'x-amz-security-token': 'the-token' } };
  assert.equal(verifySignature(signed, h.signedHeaders, creds.secretAccessKey, scope, h.signature), true);
  assert.equal(verifySignature({ ...signed, headers: { ...signed.headers, 'x-amz-security-token': 'another' } }, h.signedHeaders, creds.secretAccessKey, scope, h.signature), false);
  assert.equal(signRequest(req, creds, 'us-east-1', 'ecs', when)['x-amz-security-token'], undefined);
});
