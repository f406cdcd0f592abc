import { test } from 'node:test';
import assert from 'node:assert/strict';
import { awsServices, serviceCatalog } from './catalog.ts';

test('the generated catalog knows each protocol\'s services with the facts their errors need', () => {
  const one = (name: string) => awsServices.services.find((s) => s.name === name)!;
  assert.deepEqual(one('ec2'), { name: 'ec2', signingName: 'ec2', protocols: ['ec2'], apiVersion: '2016-11-15', xmlNamespace: 'http://ec2.amazonaws.com/doc/2016-11-15' });
  assert.equal(one('iam').xmlNamespace, 'https://iam.amazonaws.com/doc/2010-05-08/');
  assert.deepEqual([one('dynamodb').targetPrefix, one('dynamodb').jsonVersion], ['DynamoDB_20120810', '1.0']);
  assert.deepEqual([one('ecs').targetPrefix, one('ecs').jsonVersion], ['AmazonEC2ContainerServiceV20141113', '1.1']);
  assert.equal(one('route53').xmlNamespace, 'https://route53.amazonaws.com/doc/2013-04-01/', 'REST-XML: the namespace of its operations');
  assert.deepEqual(one('cloudwatch').protocols, ['smithy-rpc-v2-cbor', 'json', 'query']);
  assert.ok(awsServices.services.length > 400);
});

test('services are found by signing name, target prefix and API version; some share a signing name', () => {
  assert.deepEqual(awsServices.bySigningName('elasticloadbalancing').map((s) => s.name), ['elb', 'elbv2']);
  assert.deepEqual(awsServices.bySigningName('monitoring').map((s) => s.name), ['cloudwatch']);
  assert.deepEqual(awsServices.byTargetPrefix('AmazonSQS').map((s) => s.name), ['sqs']);
  assert.deepEqual(awsServices.byApiVersion('2015-12-01').map((s) => s.name), ['elbv2']);
  assert.deepEqual(awsServices.bySigningName('nope'), []);
});

test('a REST request is matched to the operation whose route fits it best', () => {
  const eks = awsServices.services.find((s) => s.name === 'eks')!;
  const lambda = awsServices.services.find((s) => s.name === 'lambda')!;
  const route53 = awsServices.services.find((s) => s.name === 'route53')!;
  assert.equal(awsServices.routeOf(eks, 'GET', '/clusters'), 'ListClusters');
  assert.equal(awsServices.routeOf(eks, 'GET', '/clusters?maxResults=5&include=all'), 'ListClusters');
  assert.equal(awsServices.routeOf(eks, 'GET', '/clusters/demo'), 'DescribeCluster');
  assert.equal(awsServices.routeOf(eks, 'DELETE', '/clusters/demo'), 'DeleteCluster');
  assert.equal(awsServices.routeOf(eks, 'GET', '/clusters/demo/node-groups'), 'ListNodegroups');
  assert.equal(awsServices.routeOf(lambda, 'GET', '/2015-03-31/functions/'), 'ListFunctions');
  assert.equal(awsServices.routeOf(lambda, 'GET', '/2015-03-31/functions'), 'ListFunctions', 'the trailing slash is optional');
  assert.equal(awsServices.routeOf(lambda, 'POST', '/2015-03-31/functions/f/invocations'), 'Invoke');
  assert.equal(awsServices.routeOf(route53, 'GET', '/2013-04-01/hostedzone'), 'ListHostedZones');
  assert.equal(awsServices.routeOf(eks, 'PATCH', '/clusters'), undefined);
  assert.equal(awsServices.routeOf(awsServices.services.find((s) => s.name === 'ec2')!, 'GET', '/'), undefined, 'no routes kept for it');
});

test('services signed alike without routes are told apart by path prefixes only they have', () => {
  const sesv2 = awsServices.services.find((s) => s.name === 'sesv2')!;
  assert.deepEqual(sesv2.pathPrefixes, ['/v2/email']);
  assert.equal(awsServices.ownsPath(sesv2, '/v2/email/account'), true);
  assert.equal(awsServices.ownsPath(sesv2, '/v2/emailx'), false);
  assert.equal(awsServices.ownsPath(awsServices.services.find((s) => s.name === 'ec2')!, '/v2/email'), false);
});

test('literal query parameters and greedy labels of a request URI', () => {
  const c = serviceCatalog({
    demo: { signingName: 'demo', protocols: ['rest-xml'], apiVersion: '2020-01-01', routes: [
      'POST /d CreateD', 'POST /d?WithTags CreateDWithTags', 'POST /tagging?Operation=Tag Tag', 'GET /{Bucket}/{Key+} GetObject', 'GET /{Bucket}/x/y GetXY',
    ] },
  });
  const demo = c.services[0]!;
  assert.equal(c.routeOf(demo, 'POST', '/d'), 'CreateD');
  assert.equal(c.routeOf(demo, 'POST', '/d?WithTags'), 'CreateDWithTags');
  assert.equal(c.routeOf(demo, 'POST', '/tagging?Operation=Tag'), 'Tag');
  assert.equal(c.routeOf(demo, 'POST', '/tagging?Operation=Untag'), undefined);
  assert.equal(c.routeOf(demo, 'GET', '/b/a/b/c.txt'), 'GetObject');
  assert.equal(c.routeOf(demo, 'GET', '/b/x/y'), 'GetXY');
});
