import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStore, type SqliteStore } from '../../store/sqlite/sqlite-store.ts';
import { schemasDouble } from '../../../test/support/kube-schemas-double.ts';
import { KindRegistry } from './kinds.ts';
import { GenericStorage } from './generic-storage.ts';
import { nodePortKey, serviceIpKey, ServiceAllocator } from './service-allocation.ts';
import type { Obj } from './kind-rules.ts';
import { StatusError } from './status.ts';

const registry = new KindRegistry();
const ns = registry.byResource('', 'v1', 'namespaces')!;
const services = registry.byResource('', 'v1', 'services')!;
const W = { dryRun: false, fieldManager: 'test' };
const UID = 'cluster-svc';

let dir: string;
let store: SqliteStore;
let storage: GenericStorage;
let uids = 0;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'berth-kube-alloc-'));
  store = await openSqliteStore(join(dir, 'state.db'));
  // rng always 0: every create's first choice is the same address and port, so concurrent creates race for it.
  const allocator = new ServiceAllocator(store, UID, '10.96.0.0/24', () => 0);
  storage = new GenericStorage({
    store, clusterUid: UID, schemas: schemasDouble(), namespaces: ns, now: () => Date.parse('2026-12-07T12:00:00Z'), newUid: () => `uid-${++uids}`, rng: Math.random,
    hooks: (k) => (k === services ? allocator : undefined),
  });
  await storage.create(ns, undefined, { metadata: { name: 'default' } }, W);
});
after(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const svc = (name: string, spec: Record<string, unknown> = {}): Obj => ({ metadata: { name }, spec: { ports: [{ port: 80 }], ...spec } });
const specOf = (o: Obj) => o.spec as { clusterIP: string; clusterIPs: string[]; ports: { nodePort?: number }[]; type: string };

async function refusal(p: Promise<unknown>): Promise<StatusError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof StatusError) return err;
    throw err;
  }
  assert.fail('expected a refusal');
}

test('services created at once never share an address, each recorded under its own key', async () => {
  const created = await Promise.all(Array.from({ length: 12 }, (_, i) => storage.create(services, 'default', svc(`s${i}`), W)));
  const ips = created.map((o) => specOf(o).clusterIP);
  assert.equal(new Set(ips).size, 12, ips.join(' '));
  for (const o of created) {
    assert.deepEqual(specOf(o).clusterIPs, [specOf(o).clusterIP]);
    assert.match(specOf(o).clusterIP, /^10\.96\.0\.\d+$/);
    const kv = await store.get(serviceIpKey(UID, specOf(o).clusterIP));
    assert.deepEqual(JSON.parse(kv!.value), { namespace: 'default', name: o.metadata.name });
  }
});

test('an address asked for is given when free, refused with the server\'s words when taken or out of range; the refused create stores nothing', async () => {
  const a = await storage.create(services, 'default', svc('fixed', { clusterIP: '10.96.0.200' }), W);
  assert.equal(specOf(a).clusterIP, '10.96.0.200');
  const taken = await refusal(storage.create(services, 'default', svc('again', { clusterIP: '10.96.0.200' }), W));
  assert.equal(taken.code, 422);
  assert.equal(taken.message, 'Service "again" is invalid: spec.clusterIPs: Invalid value: []string{"10.96.0.200"}: failed to allocate IP 10.96.0.200: provided IP is already allocated');
  const outside = await refusal(storage.create(services, 'default', svc('far', { clusterIP: '10.97.0.5' }), W));
  assert.match(outside.message, /provided IP is not in the valid range\. The range of valid IPs is 10\.96\.0\.0\/24/);
  await assert.rejects(storage.get(services, 'default', 'again'), (e: StatusError) => e.code === 404);
});

test('delete releases the address and node ports in the same transaction; a headless service takes none', async () => {
  const np = await storage.create(services, 'default', svc('np', { type: 'NodePort', ports: [{ name: 'a', port: 80 }, { name: 'b', port: 81 }] }), W);
  const ports = specOf(np).ports.map((p) => p.nodePort!);
  assert.equal(new Set(ports).size, 2);
  for (const p of ports) assert.ok(await store.get(nodePortKey(UID, p)));
  await storage.delete(services, 'default', 'np', { dryRun: false, propagationPolicy: undefined, preconditions: undefined });
  assert.equal(await store.get(serviceIpKey(UID, specOf(np).clusterIP)), undefined);
  for (const p of ports) assert.equal(await store.get(nodePortKey(UID, p)), undefined);
  const again = await storage.create(services, 'default', svc('np2', { clusterIP: specOf(np).clusterIP }), W);
  assert.equal(specOf(again).clusterIP, specOf(np).clusterIP, 'the released address can be taken again');
  const headless = await storage.create(services, 'default', svc('hl', { clusterIP: 'None' }), W);
  assert.deepEqual([specOf(headless).clusterIP, specOf(headless).clusterIPs], ['None', ['None']]);
});

test('an update keeps the address and node ports it leaves out, releases node ports when the type drops them, and refuses a new address', async () => {
  const np = await storage.create(services, 'default', svc('upd', { type: 'NodePort' }), W);
  const port = specOf(np).ports[0]!.nodePort!;
  const { object } = await storage.update(services, 'default', 'upd', (cur) => cur && { ...cur, spec: { type: 'NodePort', ports: [{ port: 80 }], selector: { app: 'x' } } }, W);
  assert.equal(specOf(object).clusterIP, specOf(np).clusterIP);
  assert.equal(specOf(object).ports[0]!.nodePort, port);
  const back = await storage.update(services, 'default', 'upd', (cur) => cur && { ...cur, spec: { ...(cur.spec as object), type: 'ClusterIP', ports: [{ port: 80 }] } }, W);
  assert.equal(specOf(back.object).ports[0]!.nodePort, undefined);
  assert.equal(await store.get(nodePortKey(UID, port)), undefined);
  const moved = await refusal(storage.update(services, 'default', 'upd', (cur) => cur && { ...cur, spec: { ...(cur.spec as object), clusterIP: '10.96.0.250' } }, W));
  assert.match(moved.message, /spec\.clusterIPs\[0\]: Invalid value: \[\]string\{"10\.96\.0\.250"\}: may not change once set/);
});
