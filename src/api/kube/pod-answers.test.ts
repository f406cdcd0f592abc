import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStore, type SqliteStore } from '../../store/sqlite/sqlite-store.ts';
import { keys } from '../../core/ecs/keys.ts';
import { POD_ECS_CLUSTER } from '../../core/kube/pod/hosting.ts';
import { taskIdOfUid } from '../../core/kube/pod/to-spec.ts';
import { changeTaskHalves } from '../../core/workload/task-store.ts';
import { schemasDouble } from '../../../test/support/kube-schemas-double.ts';
import { until } from '../../../test/support/until.ts';
import { KindRegistry } from './kinds.ts';
import type { Obj } from './kind-rules.ts';
import { objectKey } from './keys.ts';
import { PodBackend } from './pod-backend.ts';
import { listAnswer } from './answer-cache.ts';
import { StatusError } from './status.ts';
import type { OutEvent, RawListPage } from './storage-backend.ts';

const registry = new KindRegistry();
const pods = registry.byResource('', 'v1', 'pods')!;
const scope = { account: '000000000000', region: 'us-east-1' };
const cluster = { ...scope, name: 'demo', uid: 'c1c1c1c1-0000-4000-8000-000000000002', version: '1.32' };
const W = { dryRun: false, fieldManager: 'kubectl' };
const ALL = { labels: [], fields: [], limit: 0, continueToken: undefined };
const INSTANCE = 'arn:aws:ecs:us-east-1:000000000000:container-instance/default/i1';

let dir: string;
let store: SqliteStore;
let backend: PodBackend;
let uids = 0;
/** The node the backend finds for INSTANCE; undefined: its read fails (not registered yet). */
let node: { name: string } | undefined;
const now = Date.parse('2026-12-07T12:00:00Z');

const pod = (name: string): Obj => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers: [{ name: 'app', image: 'busybox', command: ['sleep', '1000'] }] } });
const putObject = (plural: string, namespace: string | undefined, o: Obj) =>
  store.txn({ ops: [{ type: 'put', key: objectKey(cluster.uid, registry.byResource('', 'v1', plural)!, namespace, o.metadata.name!), value: JSON.stringify(o) }] });
/** Plays the placer and the agent: a write of the task's halves. */
const write = (o: Obj, change: Parameters<typeof changeTaskHalves>[2]) => changeTaskHalves(store, keys.task(scope, POD_ECS_CLUSTER, taskIdOfUid(o.metadata.uid!)), change);
const place = (o: Obj) => write(o, (spec) => ({ spec: { ...spec, placement: { instanceArn: INSTANCE } } }));
/** An agent's report: the status half alone. */
const report = (o: Obj, lastStatus: 'RUNNING' | 'STOPPED') => write(o, (_spec, status) => ({
  status: { ...status, lastStatus, changes: status.changes + 1, startedAt: 1_800_000_000, containers: status.containers.map((c) => ({ ...c, lastStatus, ...(lastStatus === 'STOPPED' && { exitCode: 0 }) })) },
}));
const json = (b: string | Buffer) => JSON.parse(b.toString()) as Obj;
const phase = (o: Obj) => (o.status as { phase: string }).phase;
const listed = (p: RawListPage) => json(listAnswer('Pod', 'v1', p)) as unknown as { metadata: { resourceVersion: string }; items: Obj[] };

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'berth-pod-answers-'));
  store = await openSqliteStore(join(dir, 'state.db'));
  node = undefined;
  backend = new PodBackend({
    store, cluster, schemas: schemasDouble(), now: () => now, newUid: () => `${String(++uids).padStart(8, '0')}-0000-4000-8000-000000000000`, rng: () => 0.5,
    nodeOf: (arn) => Promise.resolve(arn === INSTANCE ? node : undefined),
  });
  await putObject('namespaces', undefined, { metadata: { name: 'default' } });
  await putObject('serviceaccounts', 'default', { metadata: { name: 'default', namespace: 'default' } });
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('pods answers: GET', () => {
  it('answers the object GET shows, the same bytes while nothing changed, and the status an agent wrote next', async () => {
    const created = await backend.create(pods, 'default', pod('web'), W);
    const first = await backend.getRaw(pods, 'default', 'web');
    assert.deepEqual(json(first), await backend.get(pods, 'default', 'web'));
    assert.equal(await backend.getRaw(pods, 'default', 'web'), first, 'kept: the same Buffer');
    node = { name: 'i-0123' };
    await place(created);
    await report(created, 'RUNNING');
    const running = json(await backend.getRaw(pods, 'default', 'web'));
    assert.equal(phase(running), 'Running');
    assert.equal((running.spec as { nodeName: string }).nodeName, 'i-0123');
    assert.deepEqual(running, await backend.get(pods, 'default', 'web'));
    await report(created, 'STOPPED');
    assert.equal(phase(json(await backend.getRaw(pods, 'default', 'web'))), 'Succeeded');
  });

  it('does not keep a placed pod whose node was not read: the next GET shows the node once it is known', async () => {
    const created = await backend.create(pods, 'default', pod('web'), W);
    await place(created);
    const nodeless = await backend.getRaw(pods, 'default', 'web');
    assert.equal((json(nodeless).spec as { nodeName?: string }).nodeName, undefined);
    node = { name: 'i-0456' };
    assert.equal((json(await backend.getRaw(pods, 'default', 'web')).spec as { nodeName: string }).nodeName, 'i-0456');
  });

  it('answers 404 for a pod that is not there, or whose name came back under a new task', async () => {
    await assert.rejects(backend.getRaw(pods, 'default', 'none'), (e: unknown) => e instanceof StatusError && e.code === 404 && /pods "none" not found/.test(e.message));
    const a = await backend.create(pods, 'default', pod('web'), W);
    await backend.getRaw(pods, 'default', 'web');
    await backend.delete(pods, 'default', 'web', { dryRun: false, propagationPolicy: undefined, preconditions: undefined });
    await assert.rejects(backend.getRaw(pods, 'default', 'web'), (e: unknown) => e instanceof StatusError && e.code === 404);
    const b = await backend.create(pods, 'default', pod('web'), W);
    assert.notEqual(a.metadata.uid, b.metadata.uid);
    assert.equal(json(await backend.getRaw(pods, 'default', 'web')).metadata.uid, b.metadata.uid);
  });
});

describe('pods answers: LIST', () => {
  it('answers what LIST shows, the same page while nothing changed, and a status write at the next LIST', async () => {
    const made: Obj[] = [];
    for (const n of ['c', 'a', 'b']) made.push(await backend.create(pods, 'default', pod(n), W));
    const page = await backend.listRaw(pods, 'default', ALL);
    const slow = await backend.list(pods, 'default', ALL);
    assert.deepEqual(listed(page).items, slow.items);
    assert.equal(listed(page).metadata.resourceVersion, slow.resourceVersion);
    assert.equal(await backend.listRaw(pods, 'default', ALL), page, 'kept: the same page');
    await report(made[0]!, 'RUNNING');
    const after = listed(await backend.listRaw(pods, 'default', ALL));
    assert.deepEqual(after.items.map((o) => [o.metadata.name, phase(o)]), [['a', 'Pending'], ['b', 'Pending'], ['c', 'Running']]);
    assert.ok(Number(after.metadata.resourceVersion) > Number(slow.resourceVersion));
    assert.deepEqual(after.items, (await backend.list(pods, undefined, ALL)).items);
  });

  it('pages with limit and continue as the slow list does', async () => {
    for (const n of ['c', 'a', 'b']) await backend.create(pods, 'default', pod(n), W);
    const first = await backend.listRaw(pods, 'default', { ...ALL, limit: 2 });
    assert.deepEqual(first.items.map((i) => json(i).metadata.name), ['a', 'b']);
    const rest = await backend.listRaw(pods, 'default', { ...ALL, limit: 2, continueToken: first.continueToken });
    assert.deepEqual(rest.items.map((i) => json(i).metadata.name), ['c']);
    assert.equal(rest.continueToken, undefined);
  });
});

describe('pods answers: watch', () => {
  it('sends every watcher the bytes GET answers, made once for all of them', async () => {
    const watch = { kind: pods, namespace: 'default', labels: [], fields: [], resourceVersion: undefined, sendInitialEvents: false, allowBookmarks: false };
    const seen: OutEvent[][] = [[], [], []];
    const closes = await Promise.all(seen.map((events) => backend.watch(watch, (e) => events.push(e))));
    const created = await backend.create(pods, 'default', pod('web'), W);
    await report(created, 'RUNNING');
    await until('every watcher saw both events', () => Promise.resolve(seen.every((s) => s.length === 2) || undefined), 10_000);
    for (const c of closes) c();
    const answer = await backend.getRaw(pods, 'default', 'web');
    for (const events of seen) {
      assert.deepEqual(events.map((e) => e.type), ['ADDED', 'MODIFIED']);
      const last = events[1] as OutEvent & { raw?: Buffer };
      assert.equal(last.raw, answer, 'the kept Buffer itself');
      assert.deepEqual(last.object, json(answer));
    }
    assert.equal((seen[0]![0] as { raw?: Buffer }).raw, (seen[2]![0] as { raw?: Buffer }).raw);
  });
});
