// Server-side apply after client-side apply, as the API server's last-applied manager and
// field removal behave: kubectl takes over the fields its last-applied configuration holds
// without a conflict (another manager does not), and a map that is itself no longer applied
// keeps the children someone still owns.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BerthKubeSchemas } from './schemas.ts';

const s = new BerthKubeSchemas();
const gvk = { group: '', version: 'v1', kind: 'ConfigMap' };
const NOW = new Date('2026-12-07T12:00:00Z');
const LAST = 'kubectl.kubernetes.io/last-applied-configuration';

function clientSideApplied(greeting: string) {
  const o = {
    apiVersion: 'v1', kind: 'ConfigMap',
    metadata: { name: 'web', namespace: 'default', annotations: { [LAST]: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'web', namespace: 'default' }, data: { greeting } }) } },
    data: { greeting },
  };
  return { ...o, metadata: { ...o.metadata, managedFields: s.managedFieldsAfterUpdate(gvk, undefined, o, 'kubectl-client-side-apply', NOW) } };
}
const config = (greeting: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'web', namespace: 'default' }, data: { greeting } });

test('kubectl applying server-side over a client-side apply takes the fields its last-applied configuration holds', () => {
  const r = s.apply(gvk, clientSideApplied('hello'), config('bonjour'), 'kubectl', false, NOW);
  assert.ok('object' in r, JSON.stringify(r));
  assert.deepEqual((r.object as { data: object }).data, { greeting: 'bonjour' });
});

test('another manager still conflicts there (a different manager name is how one opts out)', () => {
  const r = s.apply(gvk, clientSideApplied('hello'), config('hola'), 'other', false, NOW);
  assert.ok('conflicts' in r);
  assert.equal(r.message, 'Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using v1: .data.greeting');
});

test('a map the applier owned as a whole keeps the children it still applies', () => {
  // kubectl's move of managedFields gives "kubectl" the map itself (".") and its child; the
  // next apply names only the child: the map must stay, with it.
  const live = {
    apiVersion: 'v1', kind: 'ConfigMap',
    metadata: {
      name: 'web', namespace: 'default',
      managedFields: [{ manager: 'kubectl', operation: 'Apply' as const, apiVersion: 'v1', time: '2026-12-07T12:00:00Z', fieldsType: 'FieldsV1' as const, fieldsV1: { 'f:data': { '.': {}, 'f:greeting': {} } } }],
    },
    data: { greeting: 'bonjour' },
  };
  const r = s.apply(gvk, live, config('bonjour'), 'kubectl', false, NOW);
  assert.ok('object' in r);
  assert.deepEqual((r.object as { data: object }).data, { greeting: 'bonjour' });
});
