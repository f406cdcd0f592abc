import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EventCorrelator, EventRecorder, MAX_EVENT_CACHE, MAX_QUEUED_EVENTS, type EventToRecord } from './event-recorder.ts';
import { openSqliteStore } from '../../store/sqlite/sqlite-store.ts';
import { schemasDouble } from '../../../test/support/kube-schemas-double.ts';
import { KINDS, KindRegistry } from '../../api/kube/kinds.ts';
import { GenericStorage } from '../../api/kube/generic-storage.ts';
import { Backends } from '../../api/kube/backends.ts';

const about = { apiVersion: 'v1', kind: 'Pod', name: 'web', namespace: 'default', uid: 'u1' };
const backOff: EventToRecord = { about, type: 'Warning', reason: 'BackOff', message: 'Back-off restarting failed container app in pod web_default(u1)', component: 'kubelet', fieldPath: 'spec.containers{app}', host: 'n1' };
const T0 = Date.parse('2026-12-07T12:00:00Z');

describe('the event correlator', () => {
  it('records an event once, then counts its repeats on the same Event with the time last seen', () => {
    const c = new EventCorrelator();
    const first = c.observe(backOff, T0);
    assert.equal(first.op, 'create');
    if (first.op !== 'create') return;
    const e = first.event as unknown as Record<string, unknown>;
    assert.match(String(first.event.metadata.name), /^web\.[0-9a-f]+$/);
    assert.equal(e.count, 1);
    assert.equal(e.firstTimestamp, '2026-12-07T12:00:00Z');
    assert.deepEqual(e.source, { component: 'kubelet', host: 'n1' });
    assert.deepEqual(e.involvedObject, { ...about, fieldPath: 'spec.containers{app}' });
    const second = c.observe(backOff, T0 + 10_000);
    assert.deepEqual({ ...second, key: '' }, { op: 'update', key: '', namespace: 'default', name: first.event.metadata.name, count: 2, lastTimestamp: '2026-12-07T12:00:10Z' });
    assert.equal((c.observe(backOff, T0 + 20_000) as { count: number }).count, 3);
  });

  it('tells apart events that differ in anything the recorder keys on', () => {
    const c = new EventCorrelator();
    c.observe(backOff, T0);
    for (const other of [{ ...backOff, message: 'other' }, { ...backOff, host: 'n2' }, { ...backOff, fieldPath: 'spec.containers{b}' }, { ...backOff, about: { ...about, uid: 'u2' } }, { ...backOff, type: 'Normal' as const }]) {
      assert.equal(c.observe(other, T0).op, 'create');
    }
  });

  it('starts afresh once told the Event is gone', () => {
    const c = new EventCorrelator();
    const first = c.observe(backOff, T0);
    c.forget(first.key);
    assert.equal(c.observe(backOff, T0 + 1).op, 'create');
  });

  it('remembers at most MAX_EVENT_CACHE events, forgetting the least recently seen', () => {
    const c = new EventCorrelator();
    c.observe(backOff, T0);
    for (let i = 0; i < MAX_EVENT_CACHE - 1; i++) c.observe({ ...backOff, message: `m${i}` }, T0);
    assert.equal(c.observe(backOff, T0).op, 'update', 'seen again: now the most recent');
    c.observe({ ...backOff, message: 'one more' }, T0);
    assert.equal(c.size, MAX_EVENT_CACHE);
    assert.equal(c.observe({ ...backOff, message: 'm0' }, T0).op, 'create', 'the least recent was forgotten');
    assert.equal(c.observe(backOff, T0).op, 'update');
  });
});

describe('the event recorder', () => {
  const registry = new KindRegistry(KINDS.filter((k) => k.backend === 'generic' || k.backend === 'events.k8s.io/v1'));
  const events = registry.byResource('', 'v1', 'events')!;
  const ALL = { labels: [], fields: [], limit: 0, continueToken: undefined };
  async function setup() {
    const store = await openSqliteStore(':memory:');
    let uids = 0;
    const storage = new GenericStorage({ store, clusterUid: 'c1', schemas: schemasDouble(), namespaces: registry.byResource('', 'v1', 'namespaces')!, now: () => T0, newUid: () => `uid-${++uids}`, rng: () => 0 });
    await storage.create(registry.byResource('', 'v1', 'namespaces')!, undefined, { metadata: { name: 'default' } }, { dryRun: false, fieldManager: 'test' });
    let now = T0;
    const recorder = new EventRecorder({ registry, backends: new Backends(registry, storage), now: () => now, fieldManager: 'test' });
    return { store, storage, recorder, tick: (ms: number) => (now += ms) };
  }

  it('writes an Event, counts its repeat on it, and records it afresh once the Event has gone', async () => {
    const { store, storage, recorder, tick } = await setup();
    await recorder.record(backOff);
    tick(5000);
    await recorder.record(backOff);
    let list = (await storage.list(events, 'default', ALL)).items as unknown as { metadata: { name: string }; count: number; lastTimestamp: string }[];
    assert.deepEqual(list.map((e) => [e.count, e.lastTimestamp]), [[2, '2026-12-07T12:00:05Z']]);
    await storage.delete(events, 'default', list[0]!.metadata.name, { dryRun: false, propagationPolicy: undefined, preconditions: undefined });
    await recorder.record(backOff);
    list = (await storage.list(events, 'default', ALL)).items as never;
    assert.deepEqual(list.map((e) => e.count), [1], 'expired: a new Event');
    await store.close();
  });

  it('queues at most MAX_QUEUED_EVENTS, dropping the rest, and writes what it queued', async () => {
    const { store, storage, recorder } = await setup();
    const burst = Array.from({ length: MAX_QUEUED_EVENTS + 5 }, (_, i) => ({ ...backOff, message: `m${i}` }));
    recorder.enqueue(burst);
    assert.equal(recorder.dropped, 5);
    await recorder.idle();
    assert.equal((await storage.list(events, 'default', ALL)).items.length, MAX_QUEUED_EVENTS);
    await store.close();
  });
});
