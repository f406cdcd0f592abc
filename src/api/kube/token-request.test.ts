import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeJwt } from 'jose';
import { openSqliteStore, type SqliteStore } from '../../store/sqlite/sqlite-store.ts';
import { schemasDouble } from '../../../test/support/kube-schemas-double.ts';
import { TEST_NODES, TEST_PODS } from '../../../test/support/kube-pods.ts';
import { newSigningKey, PROJECTED_TOKEN_SECONDS, MAX_TOKEN_SECONDS, type SigningKey } from '../../identity/service-account-token.ts';
import { Backends } from './backends.ts';
import { GenericStorage } from './generic-storage.ts';
import { KINDS, KindRegistry, type KindInfo } from './kinds.ts';
import { ServiceAccountTokens } from './service-account-tokens.ts';
import { StatusError } from './status.ts';
import { handleTokenRequest } from './token-request.ts';

const ISSUER = 'https://127.0.0.1:6443';
// Pods and nodes on the generic backend (test rows), so tokens can be bound to them here.
const registry = new KindRegistry([...KINDS.filter((k) => k.group === '' && ['namespaces', 'serviceaccounts', 'secrets', 'configmaps'].includes(k.plural)), TEST_PODS, TEST_NODES]);
const kindOf = (plural: string): KindInfo => registry.byResource('', 'v1', plural)!;
const T0 = Date.UTC(2026, 11, 7, 12, 0, 0);
const now = T0;
let dir: string;
let store: SqliteStore;
let storage: GenericStorage;
let key: SigningKey;
let tokens: ServiceAccountTokens;
let ids = 0;
const write = { dryRun: false, fieldManager: 'test' };

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'berth-token-request-'));
  store = await openSqliteStore(join(dir, 'state.db'));
  let uids = 0;
  storage = new GenericStorage({ store, clusterUid: 'c', schemas: schemasDouble(), namespaces: kindOf('namespaces'), now: () => now, newUid: () => `uid-${++uids}`, rng: () => 0 });
  key = await newSigningKey();
  tokens = new ServiceAccountTokens({ key, issuer: ISSUER, backends: new Backends(registry, storage), registry, now: () => now, newId: () => `jti-${++ids}` });
  await storage.create(kindOf('namespaces'), undefined, { metadata: { name: 'shop' } }, write);
  await storage.create(kindOf('serviceaccounts'), 'shop', { metadata: { name: 'cart' } }, write);
  await storage.create(kindOf('secrets'), 'shop', { metadata: { name: 'keep' }, type: 'Opaque' }, write);
  await storage.create(kindOf('configmaps'), 'shop', { metadata: { name: 'cfg' } }, write);
  await storage.create(kindOf('nodes'), undefined, { metadata: { name: 'node-1' } }, write);
  await storage.create(kindOf('pods'), 'shop', { metadata: { name: 'cart-1' }, spec: { serviceAccountName: 'cart', nodeName: 'node-1', containers: [{ name: 'c', image: 'busybox' }] } }, write);
  await storage.create(kindOf('pods'), 'shop', { metadata: { name: 'other-1' }, spec: { serviceAccountName: 'default', containers: [{ name: 'c', image: 'busybox' }] } }, write);
});
after(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const request = (spec: Record<string, unknown>, name = 'cart', more: Record<string, unknown> = {}) =>
  handleTokenRequest(tokens, { method: 'POST', kind: kindOf('serviceaccounts'), namespace: 'shop', name, body: JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec, ...more }), contentType: 'application/json' }, now);

async function refusal(p: Promise<unknown>): Promise<{ code: number; message: string; reason: string }> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof StatusError, String(e));
    return { code: e.code, message: e.message, reason: e.reason };
  }
  assert.fail('the request was not refused');
}

const uidOf = async (plural: string, namespace: string | undefined, name: string) => (await storage.get(kindOf(plural), namespace, name)).metadata.uid!;

test('a TokenRequest gets the API server\'s defaults: its audience, an hour, the expiration in its status; the token authenticates', async () => {
  const r = await request({});
  assert.equal(r.status, 201);
  const body = r.body as { metadata: Record<string, unknown>; spec: Record<string, unknown>; status: { token: string; expirationTimestamp: string } };
  assert.deepEqual(body.metadata, { name: 'cart', namespace: 'shop', creationTimestamp: '2026-12-07T12:00:00Z' });
  assert.deepEqual(body.spec, { audiences: ['https://kubernetes.default.svc'], expirationSeconds: 3600, boundObjectRef: null });
  assert.equal(body.status.expirationTimestamp, '2026-12-07T13:00:00Z');
  const claims = decodeJwt(body.status.token);
  assert.equal(claims.iss, ISSUER);
  assert.equal(claims.exp, T0 / 1000 + 3600);
  assert.deepEqual(claims['kubernetes.io'], { namespace: 'shop', serviceaccount: { name: 'cart', uid: await uidOf('serviceaccounts', 'shop', 'cart') } });
  const user = await tokens.authenticate(body.status.token, now);
  assert.equal(user?.username, 'system:serviceaccount:shop:cart');
  assert.deepEqual(user?.groups, ['system:serviceaccounts', 'system:serviceaccounts:shop', 'system:authenticated']);
  // Past its hour (and the minute of leeway) it proves nothing.
  assert.equal(await tokens.authenticate(body.status.token, T0 + 3661_000), undefined);
});

test('lifetimes: under 10 minutes and over 2^32 s are invalid; over EKS\'s 90 days is shortened with a warning', async () => {
  assert.deepEqual(await refusal(request({ expirationSeconds: 599 })), {
    code: 422, reason: 'Invalid',
    message: 'TokenRequest.authentication.k8s.io "" is invalid: spec.expirationSeconds: Invalid value: 599: may not specify a duration less than 10 minutes',
  });
  assert.match((await refusal(request({ expirationSeconds: 2 ** 32 + 1 }))).message, /spec.expirationSeconds: Invalid value: 4294967297: may not specify a duration larger than 2\^32 seconds$/);
  const r = await request({ expirationSeconds: MAX_TOKEN_SECONDS + 1, audiences: ['sts.amazonaws.com'] });
  assert.deepEqual(r.warnings, [`requested expiration of ${MAX_TOKEN_SECONDS + 1} seconds shortened to ${MAX_TOKEN_SECONDS} seconds`]);
  assert.equal((r.body as { spec: { expirationSeconds: number } }).spec.expirationSeconds, MAX_TOKEN_SECONDS);
  // A token for another audience is not the API server's to accept.
  assert.equal(await tokens.authenticate((r.body as { status: { token: string } }).status.token, now), undefined);
});

test('the service account and the body\'s name must be the URL\'s', async () => {
  assert.deepEqual(await refusal(request({}, 'nope')), { code: 404, reason: 'NotFound', message: 'serviceaccounts "nope" not found' });
  assert.deepEqual(await refusal(request({}, 'cart', { metadata: { name: 'other' } })), {
    code: 422, reason: 'Invalid', message: 'TokenRequest.authentication.k8s.io "cart" is invalid: metadata.name: Invalid value: "other": must match the service account name if specified',
  });
  assert.equal((await refusal(handleTokenRequest(tokens, { method: 'GET', kind: kindOf('serviceaccounts'), namespace: 'shop', name: 'cart', body: '', contentType: undefined }, now))).code, 405);
});

test('bound objects: a Secret, a pod (with its node) or a Node must exist with the given uid; the token dies with it', async () => {
  assert.deepEqual(await refusal(request({ boundObjectRef: { kind: 'ConfigMap', apiVersion: 'v1', name: 'cfg' } })), { code: 400, reason: 'BadRequest', message: 'cannot bind token to object of type /v1, Kind=ConfigMap' });
  assert.deepEqual(await refusal(request({ boundObjectRef: { kind: 'Secret', apiVersion: 'v1', name: 'missing' } })), { code: 404, reason: 'NotFound', message: 'secrets "missing" not found' });
  assert.deepEqual(await refusal(request({ boundObjectRef: { kind: 'Secret', apiVersion: 'v1', name: 'keep', uid: 'stale' } })), {
    code: 409, reason: 'Conflict',
    message: 'Operation cannot be fulfilled on Secret "keep": the UID in the bound object reference (stale) does not match the UID in record. The object might have been deleted and then recreated',
  });
  assert.deepEqual(await refusal(request({ boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'other-1' } })), {
    code: 400, reason: 'BadRequest', message: 'cannot bind token for serviceaccount "cart" to pod running with different serviceaccount name.',
  });

  const podBound = (await request({ boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'cart-1' } })).body as { status: { token: string } };
  const k = decodeJwt(podBound.status.token)['kubernetes.io'] as Record<string, unknown>;
  assert.deepEqual(k.pod, { name: 'cart-1', uid: await uidOf('pods', 'shop', 'cart-1') });
  assert.deepEqual(k.node, { name: 'node-1', uid: await uidOf('nodes', undefined, 'node-1') });
  const user = await tokens.authenticate(podBound.status.token, now);
  assert.deepEqual(user?.extra?.['authentication.kubernetes.io/pod-name'], ['cart-1']);

  await storage.create(kindOf('secrets'), 'shop', { metadata: { name: 'short-lived' }, type: 'Opaque' }, write);
  const secretBound = (await request({ boundObjectRef: { kind: 'Secret', apiVersion: 'v1', name: 'short-lived' } })).body as { status: { token: string } };
  assert.ok(await tokens.authenticate(secretBound.status.token, now));
  await storage.delete(kindOf('secrets'), 'shop', 'short-lived', { dryRun: false, propagationPolicy: undefined, preconditions: undefined });
  assert.equal(await tokens.authenticate(secretBound.status.token, now), undefined);
});

test('a pod\'s projected token is signed synchronously, bound to the pod, and extended to 90 days for the API server only', async () => {
  const saUid = await uidOf('serviceaccounts', 'shop', 'cart');
  const podUid = await uidOf('pods', 'shop', 'cart-1');
  const base = { namespace: 'shop', serviceAccountName: 'cart', serviceAccountUid: saUid, podName: 'cart-1', podUid };
  const token = tokens.podToken({ ...base, audience: '', expirationSeconds: PROJECTED_TOKEN_SECONDS });
  const c = decodeJwt(token);
  assert.equal(c.exp, T0 / 1000 + MAX_TOKEN_SECONDS);
  assert.equal((c['kubernetes.io'] as { warnafter: number }).warnafter, T0 / 1000 + PROJECTED_TOKEN_SECONDS);
  assert.equal((await tokens.authenticate(token, now))?.username, 'system:serviceaccount:shop:cart');
  const vault = decodeJwt(tokens.podToken({ ...base, audience: 'vault', expirationSeconds: PROJECTED_TOKEN_SECONDS }));
  assert.deepEqual([vault.aud, vault.exp], [['vault'], T0 / 1000 + PROJECTED_TOKEN_SECONDS]);
  // A pod of that name made again (another uid) does not inherit the old pod's tokens.
  const gone = tokens.podToken({ ...base, podUid: 'an-older-pod', audience: '', expirationSeconds: PROJECTED_TOKEN_SECONDS });
  assert.equal(await tokens.authenticate(gone, now), undefined);
});

test('a deleted service account, or one made again under its name, refuses its old tokens; so does another cluster\'s key', async () => {
  await storage.create(kindOf('serviceaccounts'), 'shop', { metadata: { name: 'temp' } }, write);
  const token = ((await request({}, 'temp')).body as { status: { token: string } }).status.token;
  assert.ok(await tokens.authenticate(token, now));
  const del = { dryRun: false, propagationPolicy: undefined, preconditions: undefined };
  await storage.delete(kindOf('serviceaccounts'), 'shop', 'temp', del);
  assert.equal(await tokens.authenticate(token, now), undefined);
  await storage.create(kindOf('serviceaccounts'), 'shop', { metadata: { name: 'temp' } }, write);
  assert.equal(await tokens.authenticate(token, now), undefined);

  const other = new ServiceAccountTokens({ key: await newSigningKey(), issuer: ISSUER, backends: new Backends(registry, storage), registry, now: () => now, newId: () => 'x' });
  const foreign = ((await handleTokenRequest(other, { method: 'POST', kind: kindOf('serviceaccounts'), namespace: 'shop', name: 'cart', body: '{}', contentType: 'application/json' }, now)).body as { status: { token: string } }).status.token;
  assert.ok(await other.authenticate(foreign, now));
  assert.equal(await tokens.authenticate(foreign, now), undefined);
  assert.equal(await tokens.authenticate('k8s-aws-v1.not-a-jwt', now), undefined);
});

test('discovery: the issuer and its public key, for relying parties', () => {
  assert.deepEqual(tokens.openidConfiguration(), {
    issuer: ISSUER, jwks_uri: `${ISSUER}/openid/v1/jwks`, response_types_supported: ['id_token'], subject_types_supported: ['public'], id_token_signing_alg_values_supported: ['RS256'],
  });
  assert.deepEqual((tokens.jwks() as { keys: { kid: string }[] }).keys.map((k) => k.kid), [key.publicJwk.kid]);
});

test('a legacy token holds while its Secret holds exactly it and its account has the uid it names', async () => {
  const saUid = await uidOf('serviceaccounts', 'shop', 'cart');
  const token = tokens.legacyToken('shop', { name: 'cart', uid: saUid }, 'cart-token');
  assert.deepEqual(decodeJwt(token), {
    iss: 'kubernetes/serviceaccount', sub: 'system:serviceaccount:shop:cart', 'kubernetes.io/serviceaccount/namespace': 'shop',
    'kubernetes.io/serviceaccount/secret.name': 'cart-token', 'kubernetes.io/serviceaccount/service-account.name': 'cart', 'kubernetes.io/serviceaccount/service-account.uid': saUid,
  });
  assert.equal(await tokens.authenticate(token, now), undefined, 'no Secret holds it yet');
  await storage.create(kindOf('secrets'), 'shop', { metadata: { name: 'cart-token' }, type: 'Opaque', data: { token: Buffer.from(token).toString('base64') } }, write);
  const user = await tokens.authenticate(token, now + 400 * 24 * 3600_000);
  assert.deepEqual(user, { username: 'system:serviceaccount:shop:cart', uid: saUid, groups: ['system:serviceaccounts', 'system:serviceaccounts:shop', 'system:authenticated'] }, 'no expiry');
  const stale = tokens.legacyToken('shop', { name: 'cart', uid: 'an-older-account' }, 'cart-token');
  assert.equal(await tokens.authenticate(stale, now), undefined);
});
