import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BerthKubeSchemas } from './schemas.ts';
import type { ManagedFieldsEntry } from '../contract.ts';

const schemas = new BerthKubeSchemas();
const CM = { group: '', version: 'v1', kind: 'ConfigMap' };
const DEPLOYMENT = { group: 'apps', version: 'v1', kind: 'Deployment' };
const T0 = new Date('2026-12-07T10:00:00.123Z');
const T1 = new Date('2026-12-07T10:05:00Z');

type Obj = { metadata: { managedFields: ManagedFieldsEntry[]; [k: string]: unknown }; [k: string]: unknown };
const applied = (r: ReturnType<BerthKubeSchemas['apply']>): Obj => {
  if (!('object' in r)) throw new Error(`expected an object, got conflicts: ${r.message}`);
  return r.object as Obj;
};
const cm = (data: Record<string, string>, extra: object = {}) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'default', ...extra }, data });

test('a create records an Update entry with the fields it set, identity fields left out', () => {
  const after = cm({ a: '1' }, { labels: { app: 'x' }, uid: 'u', resourceVersion: '5', creationTimestamp: '2026-12-07T10:00:00Z' });
  const mf = schemas.managedFieldsAfterUpdate(CM, undefined, after, 'kubectl-create', T0);
  assert.deepEqual(mf, [{
    manager: 'kubectl-create', operation: 'Update', apiVersion: 'v1', time: '2026-12-07T10:00:00Z', fieldsType: 'FieldsV1',
    fieldsV1: { 'f:data': { '.': {}, 'f:a': {} }, 'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } } },
  }]);
});

test('an update by another manager takes the fields it changed; a field nobody owns any more leaves every set', () => {
  const v1 = { ...cm({ a: '1', b: '2' }) };
  const mf1 = schemas.managedFieldsAfterUpdate(CM, undefined, v1, 'alice', T0);
  const v2 = { ...cm({ a: '9', c: '3' }), metadata: { name: 'c', namespace: 'default', managedFields: mf1 } };
  const mf2 = schemas.managedFieldsAfterUpdate(CM, { ...v1, metadata: { ...v1.metadata, managedFields: mf1 } }, v2, 'bob', T1);
  const byManager = Object.fromEntries(mf2.map((e) => [e.manager, e]));
  assert.deepEqual(byManager.alice?.fieldsV1, { 'f:data': {} }, 'alice keeps the map itself, loses a (changed by bob) and b (removed)');
  assert.deepEqual(byManager.bob?.fieldsV1, { 'f:data': { 'f:a': {}, 'f:c': {} } });
  assert.equal(byManager.bob?.time, '2026-12-07T10:05:00Z');
  assert.equal(byManager.alice?.time, '2026-12-07T10:00:00Z', 'an untouched entry keeps its time');
});

test('a status write is recorded under subresource status and owns only status', () => {
  const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'i' }] } };
  const after = { ...pod, status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] } };
  const mf = schemas.managedFieldsAfterUpdate({ group: '', version: 'v1', kind: 'Pod' }, pod, after, 'kubelet', T0, 'status');
  assert.equal(mf.length, 1);
  assert.equal(mf[0]?.subresource, 'status');
  assert.deepEqual(mf[0]?.fieldsV1, { 'f:status': { 'f:conditions': { '.': {}, 'k:{"type":"Ready"}': { '.': {}, 'f:status': {}, 'f:type': {} } }, 'f:phase': {} } });
});

test('server-side apply creates the object with an Apply entry of the applied fields', () => {
  const obj = applied(schemas.apply(CM, undefined, cm({ a: '1' }), 'kubectl', false, T0));
  assert.deepEqual(obj.data, { a: '1' });
  assert.deepEqual(obj.metadata.managedFields, [{
    manager: 'kubectl', operation: 'Apply', apiVersion: 'v1', time: '2026-12-07T10:00:00Z', fieldsType: 'FieldsV1',
    fieldsV1: { 'f:data': { 'f:a': {} } },
  }]);
});

test('a field another manager set to another value conflicts, with the API server message', () => {
  const live = cm({ a: '1' });
  const withOwner = { ...live, metadata: { ...live.metadata, managedFields: schemas.managedFieldsAfterUpdate(CM, undefined, live, 'kubectl-client-side-apply', T0) } };
  const r = schemas.apply(CM, withOwner, cm({ a: '2' }), 'kubectl', false, T1);
  assert.ok('conflicts' in r);
  assert.deepEqual(r.conflicts, [{ manager: 'kubectl-client-side-apply', field: '.data.a', apiVersion: 'v1' }]);
  assert.equal(r.message, 'Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using v1: .data.a');
});

test('several conflicts with one manager are listed one per line', () => {
  const live = cm({ a: '1', b: '1' });
  const withOwner = { ...live, metadata: { ...live.metadata, managedFields: schemas.managedFieldsAfterUpdate(CM, undefined, live, 'm', T0) } };
  const r = schemas.apply(CM, withOwner, cm({ a: '2', b: '2' }), 'kubectl', false, T1);
  assert.ok('conflicts' in r);
  assert.equal(r.message, 'Apply failed with 2 conflicts: conflicts with "m" using v1:\n- .data.a\n- .data.b');
});

test('the same value applied shares ownership without a conflict', () => {
  const live = cm({ a: '1' });
  const withOwner = { ...live, metadata: { ...live.metadata, managedFields: schemas.managedFieldsAfterUpdate(CM, undefined, live, 'other', T0) } };
  const obj = applied(schemas.apply(CM, withOwner, cm({ a: '1' }), 'kubectl', false, T1));
  assert.deepEqual(obj.metadata.managedFields.map((e) => [e.manager, e.fieldsV1]), [
    ['kubectl', { 'f:data': { 'f:a': {} } }],
    ['other', { 'f:data': { '.': {}, 'f:a': {} } }],
  ]);
});

test('force takes ownership of the conflicting fields', () => {
  const live = cm({ a: '1', b: '1' });
  const withOwner = { ...live, metadata: { ...live.metadata, managedFields: schemas.managedFieldsAfterUpdate(CM, undefined, live, 'other', T0) } };
  const obj = applied(schemas.apply(CM, withOwner, cm({ a: '2' }), 'kubectl', true, T1));
  assert.deepEqual(obj.data, { a: '2', b: '1' });
  const byManager = Object.fromEntries(obj.metadata.managedFields.map((e) => [e.manager, e.fieldsV1]));
  assert.deepEqual(byManager.kubectl, { 'f:data': { 'f:a': {} } });
  assert.deepEqual(byManager.other, { 'f:data': { '.': {}, 'f:b': {} } });
});

test('a field the manager applied before and no longer applies is removed, unless another manager owns it', () => {
  const first = applied(schemas.apply(CM, undefined, cm({ a: '1', b: '2', c: '3' }), 'kubectl', false, T0));
  // Another manager also sets c (same value): shared.
  const shared = applied(schemas.apply(CM, first, cm({ c: '3' }), 'helper', false, T0));
  const second = applied(schemas.apply(CM, shared, cm({ a: '1' }), 'kubectl', false, T1));
  assert.deepEqual(second.data, { a: '1', c: '3' });
});

test('apply merges containers by name and drops a container the manager stopped applying', () => {
  const dep = (containers: object[]) => ({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: { replicas: 2, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers } } } });
  const first = applied(schemas.apply(DEPLOYMENT, undefined, dep([{ name: 'web', image: 'nginx:1' }, { name: 'side', image: 'b' }]), 'kubectl', false, T0));
  const fields = first.metadata.managedFields[0]?.fieldsV1 as Record<string, Record<string, unknown>>;
  assert.deepEqual(fields['f:spec']?.['f:selector'], {}, 'a label selector is atomic: owned whole');
  assert.deepEqual(fields['f:spec']?.['f:template'], { 'f:metadata': { 'f:labels': { 'f:app': {} } }, 'f:spec': { 'f:containers': {
    'k:{"name":"side"}': { '.': {}, 'f:image': {}, 'f:name': {} },
    'k:{"name":"web"}': { '.': {}, 'f:image': {}, 'f:name': {} },
  } } });
  const second = applied(schemas.apply(DEPLOYMENT, first, dep([{ name: 'web', image: 'nginx:2' }]), 'kubectl', false, T1));
  const spec = second.spec as { template: { spec: { containers: { name: string; image: string }[] } } };
  assert.deepEqual(spec.template.spec.containers, [{ name: 'web', image: 'nginx:2' }]);
});

test('a conflict inside a keyed list names the item by its key', () => {
  const dep = (image: string) => ({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: { template: { spec: { containers: [{ name: 'web', image }] } } } });
  const live = applied(schemas.apply(DEPLOYMENT, undefined, dep('nginx:1'), 'a', false, T0));
  const r = schemas.apply(DEPLOYMENT, live, dep('nginx:2'), 'b', false, T1);
  assert.ok('conflicts' in r);
  assert.equal(r.message, 'Apply failed with 1 conflict: conflict with "a" using apps/v1: .spec.template.spec.containers[name="web"].image');
});

test('updates past the cap fold into one ancient-changes entry', () => {
  let obj: Obj = { ...cm({}), metadata: { name: 'c', managedFields: [] } } as unknown as Obj;
  for (let i = 0; i < 12; i++) {
    const next = { ...obj, data: { ...(obj.data as object), [`k${i}`]: 'v' } };
    const mf = schemas.managedFieldsAfterUpdate(CM, obj, next, `m${i}`, new Date(T0.getTime() + i * 1000));
    obj = { ...next, metadata: { ...next.metadata, managedFields: mf } };
  }
  const names = obj.metadata.managedFields.map((e) => e.manager);
  assert.equal(names.length, 10);
  assert.ok(names.includes('ancient-changes'));
  assert.ok(names.includes('m11'));
});

test('the first apply to an object without managedFields conflicts with what is there (before-first-apply)', () => {
  const r = schemas.apply(CM, cm({ a: '1' }), cm({ a: '2' }), 'kubectl', false, T1);
  assert.ok('conflicts' in r);
  assert.equal(r.message, 'Apply failed with 1 conflict: conflict with "before-first-apply" using v1: .data.a');
});

test('a container port without a protocol is named by the default TCP, as the API server names it', () => {
  const dep = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: { template: { spec: { containers: [{ name: 'web', image: 'i', ports: [{ containerPort: 80 }] }] } } } };
  const obj = applied(schemas.apply(DEPLOYMENT, undefined, dep, 'kubectl', false, T0));
  const fields = JSON.stringify(obj.metadata.managedFields[0]?.fieldsV1);
  assert.ok(fields.includes('"k:{\\"containerPort\\":80,\\"protocol\\":\\"TCP\\"}"'), fields);
});

test('an applied keyed list item without its key is refused', () => {
  const dep = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: { template: { spec: { containers: [{ image: 'i' }] } } } };
  assert.throws(() => schemas.apply(DEPLOYMENT, undefined, dep, 'kubectl', false, T0),
    /failed to create typed patch object \(apps\/v1, Kind=Deployment\): \.spec\.template\.spec\.containers: element 0: associative list with keys has an element that omits key field "name"/);
});

test('an apply that changes nothing keeps the timestamps, so the write is a no-op', () => {
  const first = applied(schemas.apply(CM, undefined, cm({ a: '1' }), 'kubectl', false, T0));
  const again = applied(schemas.apply(CM, first, cm({ a: '1' }), 'kubectl', false, T1));
  assert.deepEqual(again, first);
  const changed = applied(schemas.apply(CM, first, cm({ a: '2' }), 'kubectl', false, T1));
  assert.equal(changed.metadata.managedFields[0]?.time, '2026-12-07T10:05:00Z');
});

test('an update that adds a list owns the list itself, except a required one the server always writes (containers)', () => {
  const dep = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: { template: { spec: { containers: [{ name: 'web', image: 'i', ports: [{ containerPort: 80, protocol: 'TCP' }] }] } } } };
  const mf = schemas.managedFieldsAfterUpdate(DEPLOYMENT, undefined, dep, 'kubectl-client-side-apply', T0);
  const containers = ((mf[0]?.fieldsV1 as Record<string, any>)['f:spec']['f:template']['f:spec']['f:containers']); // eslint-disable-line @typescript-eslint/no-explicit-any
  assert.equal('.' in containers, false);
  assert.deepEqual(containers['k:{"name":"web"}']['f:ports'], { '.': {}, 'k:{"containerPort":80,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {}, 'f:protocol': {} } });
});
