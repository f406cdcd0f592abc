import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { createClusterState } from '../cluster/cluster-state.ts';
import { clusterOp, instanceOp, putOp, SCOPE } from '../cluster/testing.ts';
import type { ClusterState } from '../cluster/types.ts';
import { ApiError } from '../core/errors.ts';
import { keys } from '../core/ecs/keys.ts';
import { buildTaskDefinition, type ContainerDefinition, type TaskDefinitionRecord } from '../core/ecs/task-definition.ts';
import { taskView, type TaskRecord } from '../core/ecs/task.ts';
import { openSqliteStore } from '../store/sqlite/sqlite-store.ts';
import { slowDisk } from '../store/sqlite/slow-disk.ts';
import type { Store } from '../store/store.ts';
import { ParsedValues } from '../store/parsed-values.ts';
import type { Launch, Placer } from './launch.ts';
import { createPlacer } from './placer.ts';


const ids = { taskId: () => randomBytes(16).toString('hex'), uuid: () => randomUUID() };

function definition(family: string, o: { cpu?: number; memory?: number; hostPort?: number; healthCheck?: boolean; tags?: { key: string; value: string }[] } = {}): TaskDefinitionRecord {
  const c: ContainerDefinition = {
    name: 'app', image: 'busybox', cpu: o.cpu ?? 256, memory: o.memory ?? 256, essential: true,
    ...(o.hostPort !== undefined && { portMappings: [{ containerPort: 80, hostPort: o.hostPort, protocol: 'tcp' }] }),
    ...(o.healthCheck && { healthCheck: { command: ['CMD', 'true'] } }),
  } as ContainerDefinition;
  return buildTaskDefinition(SCOPE, { family, containerDefinitions: [c], ...(o.tags && { tags: o.tags }) }, 1, 1_700_000_000, 'arn:aws:iam::123456789012:root');
}

interface World { store: Store; states: ClusterState[]; placers: Placer[]; lostRaces: () => number; mostInFlight: () => number }

/** One store, and `placers` independent placers each with its own cluster state: as two control planes. */
async function withWorld(placers: number, seed: Parameters<Store['txn']>[0]['ops'], fn: (w: World) => Promise<void>, path = ':memory:'): Promise<void> {
  // The real store, in memory (the pure core's tests touch no disk): commits still go out
  // in batches a turn later, so racing launches race as they do on disk.
  const store = await openSqliteStore(path);
  const states: ClusterState[] = [];
  try {
    await store.txn({ ops: seed });
    // Each control plane as the server wires it: its placer's task records reach its state as objects.
    const memos = Array.from({ length: placers }, () => new ParsedValues());
    for (let i = 0; i < placers; i++) states.push(createClusterState(store, { parsedValues: memos[i]! }));
    await Promise.all(states.map((s) => s.ready()));
    // Counts commits refused by their conditions: proof that the placers did race.
    let lost = 0;
    // And how many transactions were in flight at once (a placer's pipeline, when above 1 per placer).
    let inFlight = 0;
    let most = 0;
    const counting: Store = {
      get: (k) => store.get(k), modRevision: (k) => store.modRevision(k), list: (p, o) => store.list(p, o),
      watch: (p, r, l) => store.watch(p, r, l), revision: () => store.revision(), close: () => store.close(),
      txn: async (t, o) => {
        most = Math.max(most, ++inFlight);
        try {
          const r = await store.txn(t, o);
          if (!r.ok) lost++;
          return r;
        } finally {
          inFlight--;
        }
      },
    };
    await fn({ store, states, placers: states.map((state, i) => createPlacer({ store: counting, state, parsedValues: memos[i]!, ids, rng: Math.random })), lostRaces: () => lost, mostInFlight: () => most });
  } finally {
    for (const s of states) s.close();
    await store.close();
  }
}

const base = (td: TaskDefinitionRecord, o: Partial<Launch> = {}): Launch => ({
  scope: SCOPE, cluster: 'c1', taskDefinitionArn: td.taskDefinitionArn, count: 1, now: 1_700_000_100, ...o,
});

async function storedTasks(store: Store): Promise<TaskRecord[]> {
  return (await store.list(keys.tasks(SCOPE, 'c1'))).items.map((kv) => JSON.parse(kv.value) as TaskRecord);
}

test('placer: many racing launches from two placers never overbook an instance', async () => {
  const td = definition('web', { cpu: 256, memory: 128 });
  // 3 instances of 2048 CPU units: room for 24 tasks of 256; 90 asked for.
  await withWorld(2, [clusterOp('c1'), instanceOp('c1', 'i1'), instanceOp('c1', 'i2'), instanceOp('c1', 'i3'), putOp(keys.taskDefinition(SCOPE, 'web', 1), td)], async ({ store, placers, states, lostRaces }) => {
    const launches = Array.from({ length: 45 }, (_, i) => placers[i % 2]!.launch(base(td, { count: 2 })));
    const results = await Promise.all(launches);
    const placed = results.reduce((s, r) => s + r.tasks.length, 0);
    const tasks = await storedTasks(store);
    assert.equal(placed, 24, 'every slot used, none twice');
    assert.ok(lostRaces() > 0, 'the two placers raced for the same epoch');
    assert.equal(tasks.length, 24);
    const perInstance = new Map<string, number>();
    for (const t of tasks) perInstance.set(t.containerInstanceArn!, (perInstance.get(t.containerInstanceArn!) ?? 0) + Number(t.cpu));
    for (const [arn, cpu] of perInstance) assert.ok(cpu <= 2048, `${arn} holds ${cpu} CPU units of 2048`);
    // The states took the placers' records as objects: they hold what a state that parses the store holds.
    const fresh = createClusterState(store);
    try {
      await fresh.ready();
      const ref = { scope: SCOPE, cluster: 'c1' };
      for (const s of states) {
        await s.caughtUp(await store.revision());
        assert.deepEqual([...s.tasks(ref)], [...fresh.tasks(ref)]);
        assert.deepEqual(s.placementSnapshot(ref), fresh.placementSnapshot(ref));
      }
    } finally {
      fresh.close();
    }
    const refused = results.filter((r) => r.tasks.length < 2);
    assert.ok(refused.every((r) => r.failures.some((f) => f.reason === 'RESOURCE:CPU')), 'what did not fit says why');
  });
});

test('placer: pipelined batches (the next one placing while the last commit waits for its fsync) never overbook, and use every slot', async (t) => {
  // A slow disk: each fsync returns 5 ms late, so a batch is committed long before it is durable.
  const disk = slowDisk(5);
  t.after(disk.restore);
  const td = definition('web', { cpu: 256, memory: 128 });
  const ports = definition('port', { cpu: 10, memory: 10, hostPort: 8080 });
  // 3 instances of 2048 CPU units: room for 24 tasks of 256 (minus what the port tasks take); binpack fills one at a time.
  await withWorld(1, [clusterOp('c1'), instanceOp('c1', 'i1'), instanceOp('c1', 'i2'), instanceOp('c1', 'i3'), putOp(keys.taskDefinition(SCOPE, 'web', 1), td), putOp(keys.taskDefinition(SCOPE, 'port', 1), ports)], async ({ store, placers, mostInFlight }) => {
    const binpack = [{ type: 'binpack' as const, field: 'cpu' }];
    const launches: Promise<{ tasks: readonly TaskRecord[] }>[] = [];
    for (let i = 0; i < 40; i++) {
      launches.push(placers[0]!.launch(base(td, { count: 1, placementStrategy: binpack })));
      if (i % 8 === 0) launches.push(placers[0]!.launch(base(ports, { placementStrategy: binpack })));
      // Launches arrive over time, so batches follow each other while earlier ones sync.
      if (i % 4 === 3) await new Promise((r) => setTimeout(r, 1));
    }
    const results = await Promise.all(launches);
    assert.ok(mostInFlight() >= 2, `a batch committed while the one before waited for its fsync (at most ${mostInFlight()} in flight)`);
    const tasks = await storedTasks(store);
    assert.equal(results.reduce((s, r) => s + r.tasks.length, 0), tasks.length);
    const cpu = new Map<string, number>();
    const portHolders = new Map<string, number>();
    for (const task of tasks) {
      cpu.set(task.containerInstanceArn!, (cpu.get(task.containerInstanceArn!) ?? 0) + Number(task.cpu));
      if (task.taskDefinitionArn === ports.taskDefinitionArn) portHolders.set(task.containerInstanceArn!, (portHolders.get(task.containerInstanceArn!) ?? 0) + 1);
    }
    for (const [arn, used] of cpu) assert.ok(used <= 2048, `${arn} holds ${used} CPU units of 2048`);
    for (const [arn, n] of portHolders) assert.equal(n, 1, `${arn} gave host port 8080 to ${n} tasks`);
    // Every slot used (40 web tasks asked, fewer fit): no instance has room for one more.
    assert.equal(cpu.size, 3);
    for (const [arn, used] of cpu) assert.ok(2048 - used < 256, `${arn} still has ${2048 - used} CPU units free`);
  }, disk.path);
});

test('placer: static host ports are never given twice, across placers', async () => {
  const td = definition('web', { cpu: 10, memory: 10, hostPort: 8080 });
  await withWorld(2, [clusterOp('c1'), instanceOp('c1', 'i1'), instanceOp('c1', 'i2'), putOp(keys.taskDefinition(SCOPE, 'web', 1), td)], async ({ store, placers }) => {
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => placers[i % 2]!.launch(base(td))));
    assert.equal(results.reduce((s, r) => s + r.tasks.length, 0), 2);
    assert.deepEqual(new Set((await storedTasks(store)).map((t) => t.containerInstanceArn)).size, 2);
  });
});

test('placer: concurrent first calls with one clientToken start the tasks once, and all answer them', async () => {
  const td = definition('web');
  await withWorld(2, [clusterOp('c1'), instanceOp('c1', 'i1'), putOp(keys.taskDefinition(SCOPE, 'web', 1), td)], async ({ store, placers, lostRaces }) => {
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => placers[i % 2]!.launch(base(td, { count: 3, clientToken: 'tok-1', fingerprint: 'same' }))));
    const tasks = await storedTasks(store);
    assert.equal(tasks.length, 3, 'started once');
    assert.ok(lostRaces() > 0, 'the two placers raced for the token');
    const arns = tasks.map((t) => t.taskArn).sort();
    for (const r of results) assert.deepEqual(r.tasks.map((t) => t.taskArn).sort(), arns);
    // Later, the same token again: the same tasks, nothing new.
    const again = await placers[0]!.launch(base(td, { count: 3, clientToken: 'tok-1', fingerprint: 'same' }));
    assert.deepEqual(again.tasks.map((t) => t.taskArn).sort(), arns);
    assert.equal((await storedTasks(store)).length, 3);
  });
});

test('placer: a clientToken reused with different parameters is refused and starts nothing', async () => {
  const td = definition('web');
  await withWorld(1, [clusterOp('c1'), instanceOp('c1', 'i1'), putOp(keys.taskDefinition(SCOPE, 'web', 1), td)], async ({ store, placers }) => {
    await placers[0]!.launch(base(td, { clientToken: 'tok-2' }));
    await assert.rejects(placers[0]!.launch(base(td, { count: 2, clientToken: 'tok-2' })),
      (e: unknown) => e instanceof ApiError && e.code === 'ConflictException' && /already used with a different RunTask request/.test(e.message)
        && Array.isArray(e.members.resourceIds) && e.members.resourceIds.length === 1);
    // Raced in one batch: the second, different, is refused too.
    const [a, b] = await Promise.allSettled([
      placers[0]!.launch(base(td, { clientToken: 'tok-3' })),
      placers[0]!.launch(base(td, { count: 2, clientToken: 'tok-3' })),
    ]);
    assert.equal(a.status, 'fulfilled');
    assert.equal(b.status, 'rejected');
    assert.equal((await storedTasks(store)).length, 2);
  });
});

test('placer: a service launch carries its group, deployment, tags and ECS managed tags', async () => {
  const td = definition('web', { healthCheck: true, tags: [{ key: 'team', value: 'a' }] });
  const capable = instanceOp('c1', 'i1', { attributes: [{ name: 'ecs.capability.container-health-check' }] });
  await withWorld(1, [clusterOp('c1'), capable, putOp(keys.taskDefinition(SCOPE, 'web', 1), td)], async ({ placers, states }) => {
    const out = await placers[0]!.launch(base(td, {
      count: 2, group: 'service:api', startedBy: 'ecs-svc/1234567890123456789', tags: [{ key: 'svc', value: 'yes' }],
      propagateTags: 'TASK_DEFINITION', enableECSManagedTags: true,
    }));
    assert.equal(out.tasks.length, 2);
    const t = out.tasks[0]!;
    assert.equal(t.group, 'service:api');
    assert.equal(t.startedBy, 'ecs-svc/1234567890123456789');
    assert.equal(t.healthChecked, true);
    assert.equal('healthChecked' in taskView(t, true), false, 'Berth\'s own: not answered');
    assert.equal(t.availabilityZone, 'us-east-1a');
    assert.deepEqual(t.tags, [{ key: 'team', value: 'a' }, { key: 'svc', value: 'yes' }, { key: 'aws:ecs:clusterName', value: 'c1' }, { key: 'aws:ecs:serviceName', value: 'api' }]);
    // Read your writes: the cluster state has them when launch answers.
    const ref = { scope: SCOPE, cluster: 'c1' };
    assert.deepEqual([...states[0]!.tasks(ref, { group: 'service:api' })].map((s) => s.taskArn).sort(), out.tasks.map((x) => x.taskArn).sort());
  });
});

test('placer: StartTask targets, a missing instance, an unknown definition, a cluster without instances', async () => {
  const td = definition('web');
  await withWorld(1, [clusterOp('c1'), clusterOp('empty'), instanceOp('c1', 'i1'), instanceOp('c1', 'i2'), putOp(keys.taskDefinition(SCOPE, 'web', 1), td)], async ({ placers }) => {
    const out = await placers[0]!.launch(base(td, { targets: ['i2', 'nope'] }));
    assert.deepEqual(out.tasks.map((t) => t.containerInstanceArn!.split('/').pop()), ['i2']);
    assert.deepEqual(out.failures, [{ arn: 'nope', reason: 'MISSING' }]);
    await assert.rejects(placers[0]!.launch(base(td, { taskDefinitionArn: td.taskDefinitionArn.replace(/:1$/, ':9') })),
      (e: unknown) => e instanceof ApiError && e.code === 'ClientException');
    await assert.rejects(placers[0]!.launch(base(td, { cluster: 'empty' })), (e: unknown) => e instanceof ApiError && /No Container Instances/.test(e.message));
    await assert.rejects(placers[0]!.launch(base(td, { cluster: 'gone' })), (e: unknown) => e instanceof ApiError && e.code === 'ClusterNotFoundException');
  });
});

test('placer: its session follows the cluster between batches: a joining instance, tasks stopping, a deregistered instance', async () => {
  const td = definition('web', { cpu: 256, memory: 128 });
  await withWorld(1, [clusterOp('c1'), instanceOp('c1', 'i1', { cpu: 1024 }), putOp(keys.taskDefinition(SCOPE, 'web', 1), td)], async ({ store, placers, states }) => {
    const where = (r: { tasks: readonly TaskRecord[] }) => r.tasks.map((t) => t.containerInstanceArn!.split('/').pop()).sort();
    const p = placers[0]!;
    assert.deepEqual(where(await p.launch(base(td, { count: 4 }))), ['i1', 'i1', 'i1', 'i1']);
    const full = await p.launch(base(td));
    assert.deepEqual(full.tasks, []);
    assert.equal(full.failures[0]?.reason, 'RESOURCE:CPU');

    // An instance joins: the next batch sees it.
    await states[0]!.caughtUp((await store.txn({ ops: [instanceOp('c1', 'i2', { cpu: 512 })] })).revision);
    assert.deepEqual(where(await p.launch(base(td, { count: 3 }))), ['i2', 'i2'], 'i2 had room for two');

    // Two of i1's tasks stop (written by someone else, as the agent's reports are): their room is back.
    const onI1 = (await storedTasks(store)).filter((t) => t.containerInstanceArn!.endsWith('/i1')).slice(0, 2);
    const stops = onI1.map((t) => putOp(keys.task(SCOPE, 'c1', t.taskArn.split('/').pop()!), { ...t, lastStatus: 'STOPPED', desiredStatus: 'STOPPED' }));
    await states[0]!.caughtUp((await store.txn({ ops: stops })).revision);
    assert.deepEqual(where(await p.launch(base(td, { count: 3 }))), ['i1', 'i1']);

    // i1 deregistered, i2 freed: only i2 is offered.
    const onI2 = (await storedTasks(store)).filter((t) => t.containerInstanceArn!.endsWith('/i2'));
    await states[0]!.caughtUp((await store.txn({ ops: [
      instanceOp('c1', 'i1', { cpu: 1024, status: 'INACTIVE' }),
      ...onI2.map((t) => putOp(keys.task(SCOPE, 'c1', t.taskArn.split('/').pop()!), { ...t, lastStatus: 'STOPPED', desiredStatus: 'STOPPED' })),
    ] })).revision);
    assert.deepEqual(where(await p.launch(base(td, { count: 3 }))), ['i2', 'i2']);
  });
});

test('placer: a placer that lost a race keeps no speculative take on the instance it had chosen', async () => {
  const td = definition('web', { cpu: 256, memory: 128 });
  // Room for two tasks on each instance. Two first calls with one clientToken, each placer
  // on its own instance, at once: one commits, the other's commit is refused and it answers
  // the winner's task. Had the loser kept what its refused attempt took on its instance
  // (no later write names that instance to it), it would see room for one task there, not two.
  // Eight more instances, so that one changed instance is too few for the placer to reopen its session (REOPEN_SHARE).
  const others = Array.from({ length: 8 }, (_, i) => instanceOp('c1', `x${i}`, { cpu: 512 }));
  await withWorld(2, [clusterOp('c1'), instanceOp('c1', 'i1', { cpu: 512 }), instanceOp('c1', 'i2', { cpu: 512 }), ...others, putOp(keys.taskDefinition(SCOPE, 'web', 1), td)], async ({ store, placers, lostRaces }) => {
    const same = { clientToken: 'tok-race', fingerprint: 'same' };
    const [a, b] = await Promise.all([placers[0]!.launch(base(td, { targets: ['i1'], ...same })), placers[1]!.launch(base(td, { targets: ['i2'], ...same }))]);
    assert.ok(lostRaces() > 0, 'one lost the race');
    const tasks = await storedTasks(store);
    assert.equal(tasks.length, 1, 'started once');
    assert.deepEqual(a.tasks.map((t) => t.taskArn), b.tasks.map((t) => t.taskArn), 'both answer the winner\'s task');
    const winnerOnI1 = tasks[0]!.containerInstanceArn!.endsWith('/i1');
    const [loser, free] = winnerOnI1 ? [placers[1]!, 'i2'] : [placers[0]!, 'i1'];
    const r = await loser.launch(base(td, { targets: [free, free] }));
    assert.deepEqual([r.tasks.length, r.failures], [2, []], `the loser sees all of ${free}'s room`);
  });
});
