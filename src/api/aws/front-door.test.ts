import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAwsFrontDoor } from './front-door.ts';
import { createRequestVerifier } from './verify-request.ts';
import type { ServiceModel } from './model.ts';
import { ApiError } from '../../core/errors.ts';

const model: ServiceModel = {
  metadata: { apiVersion: '2020-01-01', targetPrefix: 'Demo_20200101', signingName: 'demo', endpointPrefix: 'demo', protocol: 'json' },
  operations: { Echo: { input: 'EchoRequest' }, Boom: { input: 'EchoRequest' }, Refuse: {}, Conflict: {} },
  shapes: {
    EchoRequest: { type: 'structure', members: { name: 'String', count: 'Integer', kind: 'Kind', items: 'Items' }, required: ['name'] },
    String: { type: 'string' },
    Integer: { type: 'integer' },
    Kind: { type: 'string', enum: ['A', 'B'] },
    Items: { type: 'list', member: 'String' },
  },
};

const door = createAwsFrontDoor({
  verifier: createRequestVerifier({ key: Buffer.alloc(32, 1), accountId: '000000000000' }),
  accountId: '123456789012',
  defaultRegion: 'us-west-2',
  log: () => {},
  services: [{
    model,
    operations: {
      Echo: (input: unknown, ctx) => ({ input, region: ctx.region, account: ctx.accountId }),
      Boom: () => { throw new Error('a bug'); },
      Refuse: () => { throw new ApiError('ClusterNotFoundException', 'Cluster not found.'); },
      Conflict: () => { throw new ApiError('ConflictException', 'Token in use.', { resourceIds: ['arn:t1'], message: 'not this one' }); },
    },
  }],
});
const server = createServer((req, res) => void door.handle(req, res));
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
after(() => server.close());

async function post(target: string, body: string, headers: Record<string, string> = {}) {
  const res = await fetch(url, { method: 'POST', headers: { 'X-Amz-Target': target, 'Content-Type': 'application/x-amz-json-1.1', ...headers }, body });
  return { status: res.status, errorType: res.headers.get('x-amzn-errortype'), requestId: res.headers.get('x-amzn-requestid'), body: await res.json() as Record<string, unknown> };
}

const SIGNED = 'AWS4-HMAC-SHA256 Credential=AK/20261125/eu-west-3/demo/aws4_request, SignedHeaders=host;x-amz-date, Signature=' + '0'.repeat(64);

test('routes by X-Amz-Target and answers with the validated input, null members dropped', async () => {
  const r = await post('Demo_20200101.Echo', '{"name":"x","count":3,"items":["a"],"unknown":1,"kind":null}');
  assert.equal(r.status, 200);
  assert.ok(r.requestId);
  assert.deepEqual(r.body, { input: { name: 'x', count: 3, items: ['a'] }, region: 'us-west-2', account: '123456789012' });
});

test('takes the region from the SigV4 credential scope', async () => {
  const r = await post('Demo_20200101.Echo', '{"name":"x"}', { Authorization: SIGNED });
  assert.equal(r.body.region, 'eu-west-3');
});

const cases: [string, string, string, Record<string, string>, number, string, RegExp][] = [
  ['an unknown operation', 'Demo_20200101.Nope', '{}', {}, 400, 'UnknownOperationException', /Nope/],
  ['an unknown service', 'Other_1.Echo', '{}', {}, 400, 'UnknownOperationException', /Other_1/],
  ['malformed JSON', 'Demo_20200101.Echo', '{"name":', {}, 400, 'SerializationException', /not valid JSON/],
  ['a wrong-typed member', 'Demo_20200101.Echo', '{"name":"x","count":"3"}', {}, 400, 'SerializationException', /count must be an integer/],
  ['a list where a string goes', 'Demo_20200101.Echo', '{"name":["x"]}', {}, 400, 'SerializationException', /name must be a string/],
  ['a body that is not an object', 'Demo_20200101.Echo', '[1]', {}, 400, 'SerializationException', /must be an object/],
  ['a missing required member', 'Demo_20200101.Echo', '{"count":1}', {}, 400, 'InvalidParameterException', /name is required/],
  ['a value outside its enum', 'Demo_20200101.Echo', '{"name":"x","kind":"C"}', {}, 400, 'InvalidParameterException', /A, B/],
  ['a malformed Authorization header', 'Demo_20200101.Echo', '{"name":"x"}', { Authorization: 'AWS4-HMAC-SHA256 Credential=AK' }, 400, 'IncompleteSignatureException', /SigV4/],
  ['an error the handler raises', 'Demo_20200101.Refuse', '', {}, 400, 'ClusterNotFoundException', /Cluster not found/],
  ['a bug in a handler', 'Demo_20200101.Boom', '{"name":"x"}', {}, 500, 'ServerException', /server log/],
];
for (const [what, target, body, headers, status, type, message] of cases) {
  test(`answers ${what} with ${status} ${type}`, async () => {
    const r = await post(target, body, headers);
    assert.equal(r.status, status);
    assert.equal(r.errorType, type);
    assert.equal(r.body.__type, type);
    assert.match(String(r.body.message), message);
  });
}

test("an exception's own members go beside __type and message, which they cannot replace", async () => {
  const r = await post('Demo_20200101.Conflict', '');
  assert.equal(r.status, 400);
  assert.deepEqual(r.body, { __type: 'ConflictException', message: 'Token in use.', resourceIds: ['arn:t1'] });
});

test('accepts only targets of its own services: the rest go to the unsupported door', () => {
  const req = (target: string, method = 'POST') => ({ method, headers: { 'x-amz-target': target } }) as unknown as Parameters<typeof door.accepts>[0];
  assert.equal(door.accepts(req('Demo_20200101.Echo')), true);
  assert.equal(door.accepts(req('Demo_20200101.Nope')), true, 'its own service answers its unknown operations');
  assert.equal(door.accepts(req('DynamoDB_20120810.ListTables')), false);
  assert.equal(door.accepts(req('Echo')), false);
  assert.equal(door.accepts(req('Demo_20200101.Echo', 'GET')), false);
});
