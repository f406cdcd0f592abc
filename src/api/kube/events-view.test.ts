import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStore, type SqliteStore } from '../../store/sqlite/sqlite-store.ts';
import { schemasDouble } from '../../../test/support/kube-schemas-double.ts';
import { KINDS, KindRegistry } from './kinds.ts';
import { GenericStorage } from './generic-storage.ts';
import { Backends } from './backends.ts';
import type { Obj } from './kind-rules.ts';
import type { OutEvent } from './storage-backend.ts';

// The kinds the generic storage and the events view serve: a Backends checks each has its backend.
const registry = new KindRegistry(KINDS.filter((k) => k.backend === 'generic' || k.backend === 'events.k8s.io/v1'));
const core = registry.byResource('', 'v1', 'events')!;
const view = registry.byResource('events.k8s.io', 'v1', 'events')!;
const W = { dryRun: false, fieldManager: 'test' };
let dir: string;
let store: SqliteStore;
let backends: Backends;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'berth-kube-events-'));
  store = await openSqliteStore(join(dir, 'state.db'));
  const generic = new GenericStorage({ store, clusterUid: 'c', schemas: schemasDouble(), namespaces: registry.byResource('', 'v1', 'namespaces')!, now: () => 0, newUid: () => 'u', rng: () => 0 });
  await generic.create(registry.byResource('', 'v1', 'namespaces')!, undefined, { metadata: { name: 'default' } }, W);
  backends = new Backends(registry, generic);
});
after(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

it('an events.k8s.io/v1 Event is a core v1 Event seen through renamed fields, both ways, in lists and watches', async () => {
  const events: OutEvent[] = [];
  const stop = await backends.for(view).watch({ kind: view, namespace: 'default', labels: [], fields: [{ field: 'regarding.name', equal: true, value: 'web' }],
    resourceVersion: String(await store.revision()), sendInitialEvents: false, allowBookmarks: false }, (e) => events.push(e));
  const written = await backends.for(view).create(view, 'default', {
    metadata: { name: 'e1' }, regarding: { kind: 'Pod', name: 'web' }, note: 'pulled', reportingController: 'kubelet', reason: 'Pulled', type: 'Normal',
  } as Obj, W);
  assert.deepEqual([written.apiVersion, written.note, written.regarding], ['events.k8s.io/v1', 'pulled', { kind: 'Pod', name: 'web' }]);
  const seen = await backends.for(core).get(core, 'default', 'e1');
  assert.deepEqual([seen.apiVersion, seen.message, seen.involvedObject, seen.reportingComponent, seen.note], ['v1', 'pulled', { kind: 'Pod', name: 'web' }, 'kubelet', undefined]);
  const listed = await backends.for(view).list(view, 'default', { labels: [], fields: [{ field: 'regarding.kind', equal: true, value: 'Pod' }], limit: 0, continueToken: undefined });
  assert.deepEqual(listed.items.map((o) => o.note), ['pulled']);
  for (let i = 0; i < 50 && events.length < 1; i++) await new Promise((r) => setTimeout(r, 20));
  stop();
  assert.deepEqual(events.map((e) => [e.type, (e.object as Obj).note]), [['ADDED', 'pulled']]);
});
