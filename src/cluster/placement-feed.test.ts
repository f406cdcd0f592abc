import { test } from 'node:test';
import assert from 'node:assert/strict';
import { keys } from '../core/ecs/keys.ts';
import { ecsArn } from '../core/ecs/scope.ts';
import { openSqliteStore } from '../store/sqlite/sqlite-store.ts';
import type { ListOptions, ListResult, Store } from '../store/store.ts';
import { createClusterState } from './cluster-state.ts';
import { FeedBuffer, MAX_PLACEMENT_CHANGES } from './placement-feed.ts';
import { clusterOp, instanceOp, SCOPE, taskOp } from './testing.ts';
import type { ClusterRef } from './types.ts';

const ref: ClusterRef = { scope: SCOPE, cluster: 'c1' };
const arn = (id: string, cluster = 'c1') => ecsArn(SCOPE, `container-instance/${cluster}/${id}`);

async function withState(fn: (store: Store, state: ReturnType<typeof createClusterState>) => Promise<void>, wrap: (s: Store) => Store = (s) => s): Promise<void> {
  // A short history, so the re-list test can outrun it.
  const store = await openSqliteStore(':memory:', { historyRevisions: 10 });
  await store.txn({ ops: [clusterOp('c1'), clusterOp('c2'), instanceOp('c1', 'i1'), instanceOp('c1', 'i2'), instanceOp('c2', 'j1'), taskOp('c1', 't0', { instance: 'i1' })] });
  const state = createClusterState(wrap(store));
  try {
    await fn(store, state);
  } finally {
    state.close();
    await store.close();
  }
}

const sorted = (s: ReadonlySet<string>) => [...s].sort();

test('placement feed: names the instances whose placement view changed, in its cluster only, once per drain', async () => {
  await withState(async (store, state) => {
    await state.ready();
    const feed = state.followPlacement(ref);
    assert.deepEqual(feed.drain(), { all: false, arns: new Set() }, 'nothing yet');
    const sync = async (r: Promise<{ revision: number }>) => state.caughtUp((await r).revision);

    // A task lands on i2, another cluster's instance changes: i2 only.
    await sync(store.txn({ ops: [taskOp('c1', 't1', { instance: 'i2', cpu: 512 }), instanceOp('c2', 'j1', { cpu: 1 })] }));
    assert.deepEqual(sorted(feed.drain().arns), [arn('i2')]);
    assert.equal(state.placementInstance(ref, arn('i2'))!.cpu, 2048 - 512, 'its view has the task');
    assert.deepEqual(state.placementInstance(ref, arn('i2')), state.placementSnapshot(ref).instances.find((i) => i.arn === arn('i2')), 'the same view as the snapshot\'s');
    assert.deepEqual(feed.drain().arns, new Set(), 'a drain forgets');

    // The task stops (its room is back), an instance joins, one is deregistered by a delete.
    await sync(store.txn({ ops: [taskOp('c1', 't1', { instance: 'i2', cpu: 512, lastStatus: 'STOPPED', desiredStatus: 'STOPPED' })] }));
    await sync(store.txn({ ops: [instanceOp('c1', 'i3'), { type: 'delete', key: keys.containerInstance(SCOPE, 'c1', 'i1') }] }));
    assert.deepEqual(sorted(feed.drain().arns), [arn('i1'), arn('i2'), arn('i3')].sort());
    assert.equal(state.placementInstance(ref, arn('i2'))!.cpu, 2048);
    assert.equal(state.placementInstance(ref, arn('i1')), undefined, 'gone');
    assert.equal(state.placementInstance(ref, arn('j1', 'c2')), undefined, 'another cluster\'s');

    // A task without an instance changes no instance's view; a closed feed hears nothing.
    await sync(store.txn({ ops: [taskOp('c1', 't2')] }));
    assert.deepEqual(feed.drain().arns, new Set());
    feed.close();
    await sync(store.txn({ ops: [taskOp('c1', 't3', { instance: 'i3' })] }));
    assert.deepEqual(feed.drain().arns, new Set());
  });
});

test('placement feed: after a re-list (history compacted under the load) it says "everything"', async () => {
  let raced = false;
  let feed: ReturnType<ReturnType<typeof createClusterState>['followPlacement']> | undefined;
  await withState(async (store, state) => {
    feed = state.followPlacement(ref);
    await state.ready();
    assert.ok(state.relists() >= 1, 'it listed again');
    assert.equal(feed.drain().all, true);
    await state.caughtUp((await store.txn({ ops: [taskOp('c1', 'late', { instance: 'i2' })] })).revision);
    assert.deepEqual(feed.drain(), { all: false, arns: new Set([arn('i2')]) }, 'then instance by instance again');
  }, (store) => new Proxy(store, {
    get(target, prop, receiver) {
      if (prop === 'list') {
        return async (prefix: string, options?: ListOptions): Promise<ListResult> => {
          const page = await target.list(prefix, options);
          if (!raced) {
            raced = true;
            // More writes than the history keeps (10): watching from the load's revision is refused.
            for (let i = 0; i < 1_100; i++) await target.txn({ ops: [taskOp('c1', `t${i % 5}`, { instance: 'i1', cpu: 1 + (i % 7) })] });
          }
          return page;
        };
      }
      const v = Reflect.get(target, prop, receiver) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  }));
});

test('placement feed: past MAX_PLACEMENT_CHANGES instances between drains it says "everything" and holds none', () => {
  const feed = new FeedBuffer(() => {});
  feed.add(Array.from({ length: MAX_PLACEMENT_CHANGES }, (_, i) => `a${i}`));
  assert.equal(feed.drain().arns.size, MAX_PLACEMENT_CHANGES);
  feed.add(Array.from({ length: MAX_PLACEMENT_CHANGES + 1 }, (_, i) => `a${i}`));
  feed.add(['more']);
  assert.deepEqual(feed.drain(), { all: true, arns: new Set() });
  assert.deepEqual(feed.drain(), { all: false, arns: new Set() });
});
