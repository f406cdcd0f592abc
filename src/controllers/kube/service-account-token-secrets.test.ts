import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Obj } from '../../api/kube/object.ts';
import { reconcileTokenSecrets, SERVICE_ACCOUNT_NAME_ANNOTATION, SERVICE_ACCOUNT_TOKEN_TYPE, SERVICE_ACCOUNT_UID_ANNOTATION } from './service-account-token-secrets.ts';

const b64 = (t: string) => Buffer.from(t).toString('base64');
const secret = (name: string, annotations: Record<string, string>, data?: Record<string, string>, type = SERVICE_ACCOUNT_TOKEN_TYPE): Obj =>
  ({ metadata: { name, namespace: 'shop', uid: `uid-${name}`, annotations }, type, ...(data && { data }) });
const accounts = new Map([['shop/robot', 'sa-1']]);

test('a new token Secret of an existing account is filled: token, namespace, the account uid, and ca.crt once the namespace has its root CA', () => {
  const s = secret('robot-token', { [SERVICE_ACCOUNT_NAME_ANNOTATION]: 'robot' });
  assert.deepEqual(reconcileTokenSecrets([s], accounts, new Map()), [
    { type: 'fill', namespace: 'shop', name: 'robot-token', uid: 'uid-robot-token', serviceAccount: { name: 'robot', uid: 'sa-1' }, caCrt: undefined },
  ]);
  const filled = secret('robot-token', { [SERVICE_ACCOUNT_NAME_ANNOTATION]: 'robot', [SERVICE_ACCOUNT_UID_ANNOTATION]: 'sa-1' }, { token: b64('jwt'), namespace: b64('shop') });
  assert.deepEqual(reconcileTokenSecrets([filled], accounts, new Map()), [], 'nothing more to do without a CA');
  const [withCa] = reconcileTokenSecrets([filled], accounts, new Map([['shop', 'PEM']]));
  assert.equal(withCa?.type === 'fill' && withCa.caCrt, 'PEM');
  assert.deepEqual(reconcileTokenSecrets([{ ...filled, data: { ...filled.data as object, 'ca.crt': b64('PEM') } }], accounts, new Map([['shop', 'PEM']])), []);
});

test('a token Secret whose account is missing, or names another uid, is deleted; other Secrets are left alone', () => {
  const orphan = secret('ghost-token', { [SERVICE_ACCOUNT_NAME_ANNOTATION]: 'ghost' });
  const recreated = secret('old-token', { [SERVICE_ACCOUNT_NAME_ANNOTATION]: 'robot', [SERVICE_ACCOUNT_UID_ANNOTATION]: 'sa-0' }, { token: b64('jwt') });
  const opaque = secret('plain', { [SERVICE_ACCOUNT_NAME_ANNOTATION]: 'ghost' }, {}, 'Opaque');
  assert.deepEqual(reconcileTokenSecrets([orphan, recreated, opaque], accounts, new Map()), [
    { type: 'delete', namespace: 'shop', name: 'ghost-token', uid: 'uid-ghost-token' },
    { type: 'delete', namespace: 'shop', name: 'old-token', uid: 'uid-old-token' },
  ]);
});
