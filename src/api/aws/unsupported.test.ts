import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AwsQueryProtocol, loadRestJsonErrorCode, loadRestXmlErrorCode, parseJsonErrorBody, parseXmlErrorBody } from '@aws-sdk/core/protocols';
import { cbor, loadSmithyRpcV2CborErrorCode } from '@smithy/core/cbor';
import { awsServices } from './catalog.ts';
import type { Identified } from './identify.ts';
import { unsupportedAnswer, unsupportedMessage, type WireAnswer } from './unsupported.ts';

// The JS SDK's own readers of error answers (the Python side is tried end to end, test/aws-unsupported.test.ts).
const query = Object.create(AwsQueryProtocol.prototype) as { loadQueryErrorCode(o: unknown, d: unknown): string; loadQueryErrorMessage(d: unknown): string };
const ctx = {} as Parameters<typeof parseXmlErrorBody>[1];

const facts = (name: string) => awsServices.services.find((s) => s.name === name)!;
const ident = (name: string, protocol: Identified['protocol'], operation: string, jsonVersion = '1.1'): Identified => ({ protocol, service: facts(name), serviceName: name, operation, jsonVersion });
const text = (a: WireAnswer) => (typeof a.body === 'string' ? a.body : Buffer.from(a.body).toString('utf8'));
const output = (a: WireAnswer) => ({ statusCode: a.status, headers: Object.fromEntries(Object.entries(a.headers).map(([k, v]) => [k.toLowerCase(), String(v)])) });
const bytes = (a: WireAnswer) => (typeof a.body === 'string' ? Buffer.from(a.body) : a.body);

test('the message names the service and the operation, and what Berth serves instead', () => {
  assert.equal(unsupportedMessage(ident('ec2', 'ec2', 'DescribeInstances')), 'Berth does not implement ec2 DescribeInstances yet; it serves ECS, ECR, EKS, S3, CloudWatch Logs and STS (GetCallerIdentity, AssumeRole) today.');
});

test('Query: 400 InvalidAction in an ErrorResponse in the service\'s namespace', async () => {
  const a = unsupportedAnswer(ident('iam', 'query', 'ListRoles'), 'REQ-1');
  assert.equal(a.status, 400);
  assert.equal(text(a), '<?xml version="1.0" encoding="UTF-8"?>\n<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Sender</Type><Code>InvalidAction</Code>'
    + '<Message>Berth does not implement iam ListRoles yet; it serves ECS, ECR, EKS, S3, CloudWatch Logs and STS (GetCallerIdentity, AssumeRole) today.</Message></Error><RequestId>REQ-1</RequestId></ErrorResponse>');
  const data = await parseXmlErrorBody(bytes(a), ctx);
  assert.equal(query.loadQueryErrorCode(output(a), data), 'InvalidAction');
  assert.match(query.loadQueryErrorMessage(data), /iam ListRoles/);
});

test('EC2: 400 InvalidAction in <Response><Errors>, with RequestID', async () => {
  const a = unsupportedAnswer(ident('ec2', 'ec2', 'DescribeInstances'), 'REQ-2');
  assert.equal(a.status, 400);
  assert.equal(text(a), '<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>InvalidAction</Code>'
    + '<Message>Berth does not implement ec2 DescribeInstances yet; it serves ECS, ECR, EKS, S3, CloudWatch Logs and STS (GetCallerIdentity, AssumeRole) today.</Message></Error></Errors><RequestID>REQ-2</RequestID></Response>');
  const data = await parseXmlErrorBody(bytes(a), ctx);
  assert.equal(query.loadQueryErrorCode(output(a), data), 'InvalidAction');
  assert.match(query.loadQueryErrorMessage(data), /ec2 DescribeInstances/);
});

test('JSON 1.0 and 1.1: 400 UnknownOperationException in __type and X-Amzn-ErrorType, the Content-Type of the version', async () => {
  for (const version of ['1.0', '1.1']) {
    const a = unsupportedAnswer(ident('dynamodb', 'json', 'ListTables', version), 'REQ-3');
    assert.equal(a.status, 400);
    assert.equal(a.headers['Content-Type'], `application/x-amz-json-${version}`);
    assert.equal(a.headers['X-Amzn-ErrorType'], 'UnknownOperationException');
    assert.equal(a.headers['x-amzn-RequestId'], 'REQ-3');
    assert.deepEqual(JSON.parse(text(a)), { __type: 'UnknownOperationException', message: 'Berth does not implement dynamodb ListTables yet; it serves ECS, ECR, EKS, S3, CloudWatch Logs and STS (GetCallerIdentity, AssumeRole) today.' });
    const data = await parseJsonErrorBody(bytes(a), ctx) as { message: string };
    assert.equal(loadRestJsonErrorCode(output(a), data), 'UnknownOperationException');
    assert.match(data.message, /dynamodb ListTables/);
  }
});

test('REST-JSON: 404 UnknownOperationException in X-Amzn-ErrorType, the message in the body', async () => {
  const a = unsupportedAnswer(ident('eks', 'rest-json', 'DescribeAddonVersions'), 'REQ-4');
  assert.equal(a.status, 404);
  assert.equal(a.headers['X-Amzn-ErrorType'], 'UnknownOperationException');
  assert.deepEqual(JSON.parse(text(a)), { message: 'Berth does not implement eks DescribeAddonVersions yet; it serves ECS, ECR, EKS, S3, CloudWatch Logs and STS (GetCallerIdentity, AssumeRole) today.' });
  const data = await parseJsonErrorBody(bytes(a), ctx);
  assert.equal(loadRestJsonErrorCode(output(a), data), 'UnknownOperationException');
});

test('REST-XML: 404 UnknownOperationException in an ErrorResponse in the service\'s namespace', async () => {
  const a = unsupportedAnswer(ident('route53', 'rest-xml', 'ListHostedZones'), 'REQ-5');
  assert.equal(a.status, 404);
  assert.equal(text(a), '<?xml version="1.0" encoding="UTF-8"?>\n<ErrorResponse xmlns="https://route53.amazonaws.com/doc/2013-04-01/"><Error><Type>Sender</Type><Code>UnknownOperationException</Code>'
    + '<Message>Berth does not implement route53 ListHostedZones yet; it serves ECS, ECR, EKS, S3, CloudWatch Logs and STS (GetCallerIdentity, AssumeRole) today.</Message></Error><RequestId>REQ-5</RequestId></ErrorResponse>');
  const data = await parseXmlErrorBody(bytes(a), ctx) as { Error: { message: string } };
  assert.equal(loadRestXmlErrorCode(output(a), data), 'UnknownOperationException');
  assert.match(data.Error.message, /route53 ListHostedZones/);
});

test('rpc-v2-cbor: 400, a CBOR map with __type and message, the smithy-protocol header', () => {
  const a = unsupportedAnswer(ident('cloudwatch', 'smithy-rpc-v2-cbor', 'ListMetrics'), 'REQ-6');
  assert.equal(a.status, 400);
  assert.equal(a.headers['smithy-protocol'], 'rpc-v2-cbor');
  assert.equal(a.headers['Content-Type'], 'application/cbor');
  const data = cbor.deserialize(bytes(a)) as Record<string, string>;
  assert.deepEqual(data, { __type: 'UnknownOperationException', message: 'Berth does not implement cloudwatch ListMetrics yet; it serves ECS, ECR, EKS, S3, CloudWatch Logs and STS (GetCallerIdentity, AssumeRole) today.' });
  assert.equal(loadSmithyRpcV2CborErrorCode(output(a), data), 'UnknownOperationException');
  assert.equal(a.headers['Content-Length'], bytes(a).length);
});
