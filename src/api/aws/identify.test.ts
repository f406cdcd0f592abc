import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingHttpHeaders } from 'node:http';
import { awsServices } from './catalog.ts';
import { identify, type Identified } from './identify.ts';

const SIG = '0'.repeat(64);
const signed = (service: string) => ({ authorization: `AWS4-HMAC-SHA256 Credential=AKID/20261125/us-east-1/${service}/aws4_request, SignedHeaders=host;x-amz-date, Signature=${SIG}` });
const FORM = { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' };

function id(method: string, url: string, headers: IncomingHttpHeaders, form?: string): Pick<Identified, 'protocol' | 'serviceName' | 'operation'> & { jsonVersion?: string } | undefined {
  const r = identify({ method, url, headers, form: form === undefined ? undefined : new URLSearchParams(form) }, awsServices);
  return r && { protocol: r.protocol, serviceName: r.serviceName, operation: r.operation, ...(r.protocol === 'json' && { jsonVersion: r.jsonVersion }) };
}

test('Query: the Action of the form, the service from the signature (Version tells ELB from ELBv2); EC2 has its own protocol', () => {
  assert.deepEqual(id('POST', '/', { ...signed('ec2'), ...FORM }, 'Action=DescribeInstances&Version=2016-11-15'), { protocol: 'ec2', serviceName: 'ec2', operation: 'DescribeInstances' });
  assert.deepEqual(id('POST', '/', { ...signed('elasticloadbalancing'), ...FORM }, 'Action=DescribeLoadBalancers&Version=2015-12-01'), { protocol: 'query', serviceName: 'elbv2', operation: 'DescribeLoadBalancers' });
  assert.deepEqual(id('POST', '/', { ...signed('elasticloadbalancing'), ...FORM }, 'Action=DescribeLoadBalancers&Version=2012-06-01'), { protocol: 'query', serviceName: 'elb', operation: 'DescribeLoadBalancers' });
  assert.deepEqual(id('POST', '/', { ...signed('iam'), ...FORM }, 'Action=ListRoles&Version=2010-05-08'), { protocol: 'query', serviceName: 'iam', operation: 'ListRoles' });
  assert.deepEqual(id('POST', '/', { ...signed('cloudformation'), ...FORM }, 'Action=ListStacks&Version=2010-05-15'), { protocol: 'query', serviceName: 'cloudformation', operation: 'ListStacks' });
  assert.deepEqual(id('POST', '/', { ...signed('rds'), ...FORM }, 'Action=DescribeDBInstances&Version=2014-10-31'), { protocol: 'query', serviceName: 'rds', operation: 'DescribeDBInstances' }, 'DocumentDB and Neptune sign as rds too');
});

test('Query in the URL: a presigned STS GetCallerIdentity (as EKS tokens are made)', () => {
  const url = `/?Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20261125%2Fus-east-1%2Fsts%2Faws4_request&X-Amz-Signature=${SIG}`;
  assert.deepEqual(id('GET', url, {}), { protocol: 'query', serviceName: 'sts', operation: 'GetCallerIdentity' });
});

test('unsigned Query: the Version date names the service', () => {
  assert.deepEqual(id('POST', '/', FORM, 'Action=ListRoles&Version=2010-05-08'), { protocol: 'query', serviceName: 'iam', operation: 'ListRoles' });
  assert.deepEqual(id('POST', '/', FORM, 'Action=GetCallerIdentity&Version=2011-06-15'), { protocol: 'query', serviceName: 'sts', operation: 'GetCallerIdentity' });
});

test('a client that speaks Query to a service now on JSON gets Query back (Debian\'s aws CLI v2 and SQS)', () => {
  assert.deepEqual(id('POST', '/', { ...signed('sqs'), ...FORM }, 'Action=ListQueues&Version=2012-11-05'), { protocol: 'query', serviceName: 'sqs', operation: 'ListQueues' });
  assert.deepEqual(id('POST', '/', { ...signed('made-up'), ...FORM }, 'Action=ListRoles&Version=2010-05-08'), { protocol: 'query', serviceName: 'made-up', operation: 'ListRoles' }, 'the signature names the service, not the Version date');
});

test('JSON: the target names service and operation; the Content-Type the version', () => {
  const json10 = { 'content-type': 'application/x-amz-json-1.0' };
  assert.deepEqual(id('POST', '/', { ...signed('dynamodb'), ...json10, 'x-amz-target': 'DynamoDB_20120810.ListTables' }), { protocol: 'json', serviceName: 'dynamodb', operation: 'ListTables', jsonVersion: '1.0' });
  assert.deepEqual(id('POST', '/', { ...signed('sqs'), ...json10, 'x-amz-target': 'AmazonSQS.ListQueues' }), { protocol: 'json', serviceName: 'sqs', operation: 'ListQueues', jsonVersion: '1.0' });
  assert.deepEqual(id('POST', '/', { 'x-amz-target': 'Logs_20140328.DescribeLogGroups' }), { protocol: 'json', serviceName: 'logs', operation: 'DescribeLogGroups', jsonVersion: '1.1' }, 'unsigned, no Content-Type: the catalog\'s version');
  assert.deepEqual(id('POST', '/', { ...signed('dynamodb'), 'x-amz-target': 'DynamoDBStreams_20120810.ListStreams' }), { protocol: 'json', serviceName: 'dynamodbstreams', operation: 'ListStreams', jsonVersion: '1.0' }, 'two services signed alike: the target decides');
  assert.deepEqual(id('POST', '/', { 'x-amz-target': 'Nobody_1.Op' }), { protocol: 'json', serviceName: 'Nobody_1', operation: 'Op', jsonVersion: '1.1' });
  assert.deepEqual(id('POST', '/', { ...signed('made-up'), 'x-amz-target': 'DynamoDB_20120810.ListTables' }), { protocol: 'json', serviceName: 'made-up', operation: 'ListTables', jsonVersion: '1.1' }, 'the signature names the service');
});

test('rpc-v2-cbor: service and operation from the path (CloudWatch\'s model offers it)', () => {
  const headers = { ...signed('monitoring'), 'smithy-protocol': 'rpc-v2-cbor', 'content-type': 'application/cbor' };
  assert.deepEqual(id('POST', '/service/GraniteServiceVersion20100801/operation/ListMetrics', headers), { protocol: 'smithy-rpc-v2-cbor', serviceName: 'cloudwatch', operation: 'ListMetrics' });
});

test('REST: the signature names the service, its routes the operation; REST-XML where the model says so', () => {
  assert.deepEqual(id('GET', '/clusters', signed('eks')), { protocol: 'rest-json', serviceName: 'eks', operation: 'ListClusters' });
  assert.deepEqual(id('GET', '/2015-03-31/functions/', signed('lambda')), { protocol: 'rest-json', serviceName: 'lambda', operation: 'ListFunctions' });
  assert.deepEqual(id('GET', '/2013-04-01/hostedzone', signed('route53')), { protocol: 'rest-xml', serviceName: 'route53', operation: 'ListHostedZones' });
  assert.deepEqual(id('GET', '/clusters/x/nope?a=1', signed('eks')), { protocol: 'rest-json', serviceName: 'eks', operation: 'GET /clusters/x/nope' });
  assert.deepEqual(id('GET', '/v1/things', signed('iot')), { protocol: 'rest-json', serviceName: 'iot', operation: 'GET /v1/things' }, 'no routes kept: the request itself');
  assert.deepEqual(id('GET', '/v2/email/account', signed('ses')), { protocol: 'rest-json', serviceName: 'sesv2', operation: 'GET /v2/email/account' }, 'signed as SES (Query), Pinpoint Email and SES v2: the path prefix is SES v2\'s');
  assert.deepEqual(id('GET', '/v1/email/account', signed('ses')), { protocol: 'rest-json', serviceName: 'pinpoint-email', operation: 'GET /v1/email/account' });
  assert.deepEqual(id('GET', '/v2/apis', signed('apigateway')), { protocol: 'rest-json', serviceName: 'apigatewayv2', operation: 'GET /v2/apis' });
  assert.deepEqual(id('GET', '/x', signed('made-up')), { protocol: 'rest-json', serviceName: 'made-up', operation: 'GET /x' });
});

test('unsigned REST: only a route one service alone has names it; nothing AWS about a request is no AWS request', () => {
  assert.deepEqual(id('GET', '/2015-03-31/functions/', {}), { protocol: 'rest-json', serviceName: 'lambda', operation: 'ListFunctions' });
  assert.equal(id('GET', '/', {}), undefined);
  assert.equal(id('GET', '/favicon.ico', {}), undefined);
  assert.equal(id('POST', '/', FORM, 'a=b'), undefined);
});
