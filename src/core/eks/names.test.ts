import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../errors.ts';
import { checkChildName, checkClusterName, checkVersion, checkVersionUpdate, DEFAULT_KUBERNETES_VERSION, KUBERNETES_VERSIONS } from './names.ts';

const refused = (f: () => void, code = 'InvalidParameterException') => assert.throws(f, (e: unknown) => e instanceof ApiError && e.code === code);

test('cluster names: a letter or digit first, then letters, digits, - and _, up to 100', () => {
  for (const ok of ['a', 'demo', '0x', 'my_cluster-1', 'a'.repeat(100)]) checkClusterName(ok);
  for (const bad of ['', '-a', '_a', 'a.b', 'a b', 'é', 'a'.repeat(101)]) refused(() => checkClusterName(bad));
  checkChildName('nodegroupName', 'n'.repeat(63), 'c');
  refused(() => checkChildName('nodegroupName', 'n'.repeat(64), 'c'));
});

test('versions: the default is the newest, and updates go one minor version up', () => {
  assert.equal(DEFAULT_KUBERNETES_VERSION, KUBERNETES_VERSIONS.at(-1));
  checkVersion('1.31', 'c');
  refused(() => checkVersion('1.10', 'c'));
  checkVersionUpdate('1.31', '1.32', 'c');
  refused(() => checkVersionUpdate('1.30', '1.32', 'c'));
  refused(() => checkVersionUpdate('1.32', '1.31', 'c'));
});
