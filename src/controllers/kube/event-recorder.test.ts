import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EventCorrelator, MAX_EVENT_CACHE, type EventToRecord } from './event-recorder.ts';

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
