import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import {
  API_AUDIENCE, issueServiceAccountToken, jwks, newSigningKey, openidConfiguration, serviceAccountUser, verifyServiceAccountToken, type SigningKey,
} from './service-account-token.ts';

const ISSUER = 'https://oidc.eks.us-east-1.amazonaws.com/id/0A1B2C3D4E5F';
const NOW = 1_796_644_800;
const subject = { namespace: 'shop', serviceAccount: { name: 'cart', uid: 'sa-uid' }, pod: { name: 'cart-7d9f-x2x4k', uid: 'pod-uid' } };
let key: SigningKey;
let other: SigningKey;
before(async () => { [key, other] = await Promise.all([newSigningKey(), newSigningKey()]); });

test('a token names the service account and its pod, for the API server, for an hour and 7 s', async () => {
  const token = await issueServiceAccountToken(key, subject, { issuer: ISSUER, now: NOW, id: 'c6f0e0a6-0000-4000-8000-000000000001' });
  assert.deepEqual(decodeProtectedHeader(token), { alg: 'RS256', kid: key.publicJwk.kid });
  const c = decodeJwt(token);
  assert.deepEqual(c, {
    'kubernetes.io': { namespace: 'shop', serviceaccount: { name: 'cart', uid: 'sa-uid' }, pod: { name: 'cart-7d9f-x2x4k', uid: 'pod-uid' } },
    iss: ISSUER, sub: 'system:serviceaccount:shop:cart', aud: [API_AUDIENCE], iat: NOW, nbf: NOW, exp: NOW + 3607, jti: 'c6f0e0a6-0000-4000-8000-000000000001',
  });
  const v = await verifyServiceAccountToken([key.publicJwk], token, { issuer: ISSUER, now: NOW + 60 });
  assert.ok('claims' in v, 'error' in v ? v.error : '');
  assert.deepEqual(serviceAccountUser(v.claims), {
    username: 'system:serviceaccount:shop:cart', uid: 'sa-uid',
    groups: ['system:serviceaccounts', 'system:serviceaccounts:shop', 'system:authenticated'],
    extra: {
      'authentication.kubernetes.io/pod-name': ['cart-7d9f-x2x4k'], 'authentication.kubernetes.io/pod-uid': ['pod-uid'],
      'authentication.kubernetes.io/credential-id': ['JTI=c6f0e0a6-0000-4000-8000-000000000001'],
    },
  });
});

test('expired, not yet valid, for another audience or issuer, or signed by another key: refused', async () => {
  const token = await issueServiceAccountToken(key, subject, { issuer: ISSUER, now: NOW, id: 'j', expirationSeconds: 600 });
  const check = (o: { issuer?: string; audiences?: string[]; now?: number; keys?: SigningKey[] }) =>
    verifyServiceAccountToken((o.keys ?? [key]).map((k) => k.publicJwk), token, { issuer: o.issuer ?? ISSUER, audiences: o.audiences, now: o.now ?? NOW });
  assert.ok('claims' in await check({}));
  const expired = await check({ now: NOW + 600 + 61 });
  assert.ok('error' in expired && /exp/.test(expired.error), JSON.stringify(expired));
  assert.ok('error' in await check({ now: NOW - 120 }));
  assert.ok('error' in await check({ audiences: ['sts.amazonaws.com'] }));
  assert.ok('error' in await check({ issuer: 'https://elsewhere' }));
  assert.ok('error' in await check({ keys: [other] }));
  const [h, , s] = token.split('.');
  const forged = `${h}.${Buffer.from(JSON.stringify({ ...decodeJwt(token), sub: 'system:serviceaccount:kube-system:admin' })).toString('base64url')}.${s}`;
  assert.ok('error' in await verifyServiceAccountToken([key.publicJwk], forged, { issuer: ISSUER, now: NOW }));
});

test('a token for sts.amazonaws.com (IAM roles for service accounts) verifies for that audience only; too short a lifetime is raised to 10 minutes', async () => {
  const token = await issueServiceAccountToken(key, subject, { issuer: ISSUER, now: NOW, id: 'j', audiences: ['sts.amazonaws.com'], expirationSeconds: 60 });
  assert.equal(decodeJwt(token).exp, NOW + 600);
  assert.ok('claims' in await verifyServiceAccountToken([key.publicJwk], token, { issuer: ISSUER, audiences: ['sts.amazonaws.com'], now: NOW }));
  assert.ok('error' in await verifyServiceAccountToken([key.publicJwk], token, { issuer: ISSUER, now: NOW }));
});

test('discovery publishes the issuer and its public keys only', () => {
  assert.deepEqual(openidConfiguration(ISSUER, `${ISSUER}/keys`), {
    issuer: ISSUER, jwks_uri: `${ISSUER}/keys`, response_types_supported: ['id_token'], subject_types_supported: ['public'], id_token_signing_alg_values_supported: ['RS256'],
  });
  const set = jwks([key.publicJwk]);
  assert.deepEqual(Object.keys(set.keys[0]!).sort(), ['alg', 'e', 'kid', 'kty', 'n', 'use']);
  assert.equal(JSON.stringify(set).includes('"d"'), false, 'no private part');
});
