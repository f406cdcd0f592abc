import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStore, type SqliteStore } from '../../store/sqlite/sqlite-store.ts';
import { schemasDouble } from '../../../test/support/kube-schemas-double.ts';
import { KubeSchemaError, type KubeSchemas } from './contract.ts';
import { KindRegistry } from './kinds.ts';
import { GenericStorage } from './generic-storage.ts';
import { handleRest, type RestRequest } from './rest.ts';
import { routeOf } from './route.ts';
import { StatusError } from './status.ts';

const registry = new KindRegistry();
let dir: string;
let store: SqliteStore;
let storage: GenericStorage;
/** The double, with apply answering conflicts and strategic merge refusing a directive, as the real schemas may. */
const schemas: KubeSchemas = {
  ...schemasDouble(),
  apply: () => ({ conflicts: [{ manager: 'kubectl-client-side-apply', field: '.data.a', apiVersion: 'v1' }], message: 'Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using v1: .data.a' }),
  strategicMerge: () => {
    throw new KubeSchemaError(422, 'Invalid', 'unknown patch directive: $bogus');
  },
};

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'berth-kube-rest-'));
  store = await openSqliteStore(join(dir, 'state.db'));
  storage = new GenericStorage({ store, clusterUid: 'c', schemas, namespaces: registry.byResource('', 'v1', 'namespaces')!, now: () => 0, newUid: () => 'u', rng: () => 0 });
  await storage.create(registry.byResource('', 'v1', 'namespaces')!, undefined, { metadata: { name: 'default' } }, { dryRun: false, fieldManager: 't' });
  await storage.create(registry.byResource('', 'v1', 'configmaps')!, 'default', { metadata: { name: 'a' }, data: { a: '1' } }, { dryRun: false, fieldManager: 't' });
});
after(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const patch = (contentType: string, body: string, query = ''): Promise<unknown> => {
  const req: RestRequest = {
    method: 'PATCH', route: routeOf(registry, '/api/v1/namespaces/default/configmaps/a')!, query: new URLSearchParams(query), contentType, body, userAgent: 'kubectl/v1.32',
  };
  return handleRest({ storage, schemas, now: () => 0 }, req);
};

it('answers apply conflicts with 409 and the field manager conflict message', async () => {
  await assert.rejects(patch('application/apply-patch+yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {a: "2"}\n', 'fieldManager=me'), (e: unknown) => {
    assert.ok(e instanceof StatusError);
    assert.deepEqual([e.code, e.reason, e.message], [409, 'Conflict', 'Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using v1: .data.a']);
    assert.deepEqual(e.details?.causes, [{ reason: 'FieldManagerConflict', message: 'conflict with "kubectl-client-side-apply" using v1', field: '.data.a' }]);
    return true;
  });
  await assert.rejects(patch('application/apply-patch+yaml', 'apiVersion: v1\nkind: ConfigMap\n'), (e: unknown) => e instanceof StatusError && e.code === 422 && /fieldManager: Required value/.test(e.message));
});

it('turns a schema refusal into its Status, and an unknown patch type into 415', async () => {
  await assert.rejects(patch('application/strategic-merge-patch+json', '{"$bogus":1}'), (e: unknown) => e instanceof StatusError && e.code === 422 && e.message === 'unknown patch directive: $bogus');
  await assert.rejects(patch('text/plain', '{}'), (e: unknown) => e instanceof StatusError && e.code === 415);
  assert.deepEqual((await storage.get(registry.byResource('', 'v1', 'configmaps')!, 'default', 'a')).data, { a: '1' });
});
