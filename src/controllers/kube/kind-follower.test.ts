import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { followKind, RELIST_DELAY_MS } from './kind-follower.ts';
import { PodsBackendDouble } from './testing-pods-backend.ts';
import { TEST_PODS } from '../../../test/support/kube-pods.ts';
import type { Obj } from '../../api/kube/kind-rules.ts';
import type { KindInfo } from '../../api/kube/kinds.ts';

const PODS: KindInfo = { ...TEST_PODS, backend: 'pods-double' };
const W = { dryRun: false, fieldManager: 'test' };
const pod = (name: string): Obj => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers: [{ name: 'c', image: 'busybox' }] } });

function recorder() {
  const lists: string[][] = [];
  const events: string[] = [];
  const logs: string[] = [];
  return {
    lists, events, logs,
    onList: (items: readonly Obj[]) => lists.push(items.map((o) => o.metadata.name!).sort()),
    onEvent: (type: string, o: Obj) => events.push(`${type} ${o.metadata.name}`),
    log: (m: string) => logs.push(m),
  };
}

describe('following a kind through its own backend', () => {
  it('lists, then hands over each change in order', async () => {
    const backend = new PodsBackendDouble();
    await backend.create(PODS, 'default', pod('a'), W);
    const r = recorder();
    const close = await followKind({ backend, kind: PODS, ...r });
    assert.deepEqual(r.lists, [['a']]);
    await backend.create(PODS, 'default', pod('b'), W);
    await backend.update(PODS, 'default', 'a', (cur) => cur && { ...cur, status: { phase: 'Running' } }, { ...W, subresource: 'status' });
    await backend.delete(PODS, 'default', 'b', { dryRun: false, propagationPolicy: undefined, preconditions: undefined });
    assert.deepEqual(r.events, ['ADDED b', 'MODIFIED a', 'MODIFIED b', 'DELETED b']);
    close();
    assert.equal(backend.watchers, 0, 'closed: no watch left');
  });

  it('after a 410 it lists again RELIST_DELAY_MS later, forgetting what vanished meanwhile, and follows on from the new listing', async () => {
    const backend = new PodsBackendDouble();
    await backend.create(PODS, 'default', pod('a'), W);
    await backend.create(PODS, 'default', pod('b'), W);
    const r = recorder();
    const close = await followKind({ backend, kind: PODS, ...r });
    backend.expireWatches();
    backend.vanish('default', 'a');
    await backend.create(PODS, 'default', pod('c'), W);
    assert.deepEqual(r.events, [], 'nothing while the watch is down');
    assert.match(r.logs[0]!, /too old resource version/);
    await sleep(RELIST_DELAY_MS + 200);
    assert.deepEqual(r.lists, [['a', 'b'], ['b', 'c']]);
    await backend.create(PODS, 'default', pod('d'), W);
    assert.deepEqual(r.events, ['ADDED d']);
    close();
  });

  it('a list that fails is tried again', async () => {
    const backend = new PodsBackendDouble();
    let failures = 1;
    const flaky = Object.assign(Object.create(backend) as PodsBackendDouble, {
      list: (...args: Parameters<PodsBackendDouble['list']>) => (failures-- > 0 ? Promise.reject(new Error('backend not ready')) : backend.list(...args)),
      watch: (...args: Parameters<PodsBackendDouble['watch']>) => backend.watch(...args),
    });
    const r = recorder();
    const close = await followKind({ backend: flaky, kind: PODS, ...r });
    assert.deepEqual(r.lists, []);
    assert.match(r.logs[0]!, /backend not ready/);
    await sleep(RELIST_DELAY_MS + 200);
    assert.deepEqual(r.lists, [[]]);
    close();
    assert.equal(backend.watchers, 0);
  });
});
