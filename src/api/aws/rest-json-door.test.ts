import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { compileRoute, createRestJsonDoor } from './rest-json-door.ts';
import { createRequestVerifier } from './verify-request.ts';
import type { ServiceModel } from './model.ts';
import { ApiError } from '../../core/errors.ts';

const model: ServiceModel = {
  metadata: { apiVersion: '2020-01-01', signingName: 'demo', endpointPrefix: 'demo', protocol: 'rest-json' },
  operations: {
    List: { input: 'ListRequest', http: { method: 'GET', requestUri: '/things' } },
    Make: { input: 'MakeRequest', http: { method: 'POST', requestUri: '/things', responseCode: 201 } },
    Get: { input: 'GetRequest', http: { method: 'GET', requestUri: '/things/{name}' } },
    GetPart: { input: 'GetPartRequest', http: { method: 'GET', requestUri: '/things/{name}/parts/{part}' } },
    Update: { input: 'GetRequest', http: { method: 'POST', requestUri: '/things/{name}/update-config' } },
  },
  shapes: {
    ListRequest: { type: 'structure', members: { maxResults: 'Integer', include: 'Strings', flag: 'Boolean', trace: 'String' }, locations: { maxResults: ['querystring', 'maxResults'], include: ['querystring', 'include'], flag: ['querystring', 'flag'], trace: ['header', 'X-Trace'] } },
    MakeRequest: { type: 'structure', members: { name: 'String', count: 'Integer', kind: 'Kind' }, required: ['name'] },
    GetRequest: { type: 'structure', members: { name: 'String' }, required: ['name'], locations: { name: ['uri', 'name'] } },
    GetPartRequest: { type: 'structure', members: { name: 'String', part: 'String' }, required: ['name', 'part'], locations: { name: ['uri', 'name'], part: ['uri', 'part'] } },
    String: { type: 'string' },
    Strings: { type: 'list', member: 'String' },
    Integer: { type: 'integer' },
    Boolean: { type: 'boolean' },
    Kind: { type: 'string', enum: ['A', 'B'] },
  },
  errors: { ResourceNotFoundException: 404, ResourceInUseException: 409 },
};

const door = createRestJsonDoor({
  verifier: createRequestVerifier({ key: Buffer.alloc(32, 1), accountId: '000000000000' }),
  accountId: '123456789012',
  defaultRegion: 'us-west-2',
  log: () => {},
  services: [{
    model,
    operations: {
      List: (input: unknown, ctx) => ({ input, region: ctx.region }),
      Make: (input: unknown) => ({ made: input }),
      Get: (input: { name: string }) => {
        if (input.name === 'missing') throw new ApiError('ResourceNotFoundException', 'No thing found for name: missing.', { clusterName: 'missing' });
        if (input.name === 'busy') throw new ApiError('ResourceInUseException', 'Thing is busy');
        if (input.name === 'bug') throw new Error('a bug');
        return { got: input };
      },
      GetPart: (input: unknown) => ({ got: input }),
      Update: (input: unknown) => ({ updated: input }),
    },
  }],
});
const server = createServer((req, res) => void (door.accepts(req) ? door.handle(req, res) : (res.writeHead(418), res.end())));
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
after(() => server.close());

const SIGNED = { authorization: 'AWS4-HMAC-SHA256 Credential=AKID/20260101/eu-west-1/demo/aws4_request, SignedHeaders=host;x-amz-date, Signature=' + '0'.repeat(64) };

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(base + path, { method, headers: { ...SIGNED, ...headers }, ...(body !== undefined && { body: JSON.stringify(body) }) });
  return { status: res.status, type: res.headers.get('x-amzn-errortype'), body: (await res.json()) as Record<string, unknown> };
}

test('routes are patterns of their URIs; more literal ones are more specific', () => {
  const r = compileRoute('/clusters/{name}/node-groups/{nodegroupName}');
  assert.deepEqual(r.labels, ['name', 'nodegroupName']);
  assert.deepEqual(r.pattern.exec('/clusters/a/node-groups/b')?.slice(1), ['a', 'b']);
  assert.equal(r.pattern.exec('/clusters/a/b/node-groups/c'), null, 'a label is one segment');
  assert.deepEqual(compileRoute('/o/{Key+}').pattern.exec('/o/a/b/c')?.slice(1), ['a/b/c'], 'a greedy label takes the rest');
  assert.ok(compileRoute('/clusters/{name}/update-config').weight > compileRoute('/clusters/{name}').weight);
});

test('only requests of its services\' implemented operations are the door\'s (the unsupported door names the others)', async () => {
  assert.equal((await fetch(`${base}/things`)).status, 418, 'unsigned');
  assert.equal((await fetch(`${base}/things`, { headers: { authorization: SIGNED.authorization.replace('/demo/', '/other/') } })).status, 418, 'signed for another service');
  assert.equal((await fetch(`${base}/things`, { method: 'DELETE', headers: SIGNED })).status, 418, 'a method no route has');
  assert.equal((await fetch(`${base}/things/a/b`, { headers: SIGNED })).status, 418, 'a path no route has');
});

test('query parameters, headers, labels and the body make the input, in their types', async () => {
  const listed = await call('GET', '/things?maxResults=5&include=a&include=b&flag=true', undefined, { 'X-Trace': 't1' });
  assert.equal(listed.status, 200);
  assert.deepEqual(listed.body, { input: { maxResults: 5, include: ['a', 'b'], flag: true, trace: 't1' }, region: 'eu-west-1' });
  const made = await call('POST', '/things', { name: 'x', count: 2, ignored: true });
  assert.equal(made.status, 201, "the model's responseCode");
  assert.deepEqual(made.body, { made: { name: 'x', count: 2 } });
  assert.deepEqual((await call('GET', '/things/a%2Fb')).body, { got: { name: 'a/b' } }, 'labels are decoded');
  assert.deepEqual((await call('GET', '/things/t/parts/p')).body, { got: { name: 't', part: 'p' } });
  assert.deepEqual((await call('POST', '/things/t/update-config', {})).body, { updated: { name: 't' } });
});

test('errors carry the model\'s status, X-Amzn-ErrorType and the exception\'s members', async () => {
  assert.deepEqual(await call('GET', '/things/missing'), { status: 404, type: 'ResourceNotFoundException', body: { clusterName: 'missing', message: 'No thing found for name: missing.' } });
  assert.deepEqual(await call('GET', '/things/busy'), { status: 409, type: 'ResourceInUseException', body: { message: 'Thing is busy' } });
  const bug = await call('GET', '/things/bug');
  assert.deepEqual([bug.status, bug.type], [500, 'ServerException']);
  const required = await call('POST', '/things', {});
  assert.deepEqual([required.status, required.type, required.body.message], [400, 'InvalidParameterException', 'name is required.']);
  const badEnum = await call('POST', '/things', { name: 'x', kind: 'C' });
  assert.equal(badEnum.type, 'InvalidParameterException');
  const badInt = await call('GET', '/things?maxResults=five');
  assert.deepEqual([badInt.status, badInt.type], [400, 'InvalidParameterException']);
  const badJson = await fetch(`${base}/things`, { method: 'POST', headers: SIGNED, body: '{' });
  assert.equal(badJson.headers.get('x-amzn-errortype'), 'SerializationException');
});
