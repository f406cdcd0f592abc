/**
 * The placer (contract: launch.ts): the plumbing around the pure `place()`, as Nomad's
 * worker is around its scheduler.
 *
 *   launch ──token seen? answer it──▶ per-cluster batch (KeyedBatcher, ≤ MAX_BATCH_TASKS)
 *     └▶ read the cluster's placement epoch; wait until the cluster state has caught up to it
 *        └▶ the cluster's session, brought up to date from the state's feed (placer-sessions.ts)
 *           └▶ for each launch: session.place → tasks (the session takes them out of its copy)
 *              └▶ one txn: if epoch unchanged and every token new: put tasks, tokens, epoch+1
 *                 ├ ok: wait until the state has it (read your writes), answer
 *                 ├ a token now exists: those launches answer the winner's tasks; retry the rest
 *                 └ the epoch moved (another placer committed): the touched instances back to
 *                   the state's view, retry once the state has caught up
 *
 * Pipelined: once a batch's transaction is committed (the store's onApplied), before it is
 * durable, the next batch of the cluster starts (at most MAX_PIPELINED_BATCHES at once):
 * it chains on the epoch the committed one wrote (the placer's own, not yet in the state:
 * `chains`), and places on the session, which still holds the committed batch's takes
 * (placer-sessions.ts: hold and settle). Each batch answers only once its own commit is
 * durable and in the state, so the store's disk time overlaps the next batch's work.
 * A batch whose cluster shares hosts (siblings), or the Fargate pool's, does not chain:
 * it waits for the earlier batch to settle, as before.
 *
 * Every placement bumps the epoch in the same transaction as its tasks, so a snapshot that
 * has caught up to the epoch it read holds every task placed before, and the commit only
 * lands if no placement happened since: no instance is ever overbooked, by this process
 * or another. Tasks stopping meanwhile only free resources, so a stale view never overbooks.
 * A host registered twice (its cluster and the Fargate pool) is one capacity: the batch
 * also reads, waits for and holds the epochs of the clusters sharing its hosts (placer-siblings.ts).
 */
import { ApiError, fail } from '../core/errors.ts';
import { keys } from '../core/ecs/keys.ts';
import { taskId, type TaskRecord } from '../core/ecs/task.ts';
import type { TaskDefinitionRecord } from '../core/ecs/task-definition.ts';
import { KeyedBatcher, type BatchControl } from '../lib/keyed-batcher.ts';
import type { Op, Store, Condition } from '../store/store.ts';
import type { Launch, LaunchResult, Placer } from './launch.ts';
import { groupOf } from './placer-build.ts';
import { definitionReader } from './placer-definitions.ts';
import { planLaunch } from './placer-launch.ts';
import { PlacerSessions } from './placer-sessions.ts';
import { openSession } from './session-fast.ts';
import { FARGATE_POOL_CLUSTER, fargatePoolScope } from '../core/ecs/fargate.ts';
import { readSpotSettings } from '../core/ecs/spot-settings.ts';
import { newTaskOps } from '../core/workload/task-store.ts';
import { isFargateLaunch } from './placer-fargate.ts';
import { planFargate, planWaiting, readWaiting } from './placer-pool.ts';
import { planFargatePods } from './placer-fargate-pods.ts';
import { instanceOf, planPods, podClusters, readPods } from './placer-pods.ts';
import type { PlacerDeps } from './placer-deps.ts';
import { highest, siblingConditions, siblingEpochs } from './placer-siblings.ts';
import { answerToken, fingerprintOf, tokenKeyOf, type TokenRecord } from './placer-tokens.ts';
import type { Failure } from './types.ts';

export { TASK_DEFINITION_CACHE_BYTES, TASK_DEFINITION_CACHE_ENTRIES } from './placer-definitions.ts';
export type { TokenRecord } from './placer-tokens.ts';

/**
 * Commits tried per batch before giving up: each retry follows another placer's commit in
 * the same cluster, so this many in a row means a storm of writers, not bad luck.
 */
export const MAX_COMMIT_ATTEMPTS = 50;
/**
 * Tasks one batch (one transaction) carries at most: the launches queued while the previous
 * commit ran go together up to this many, the rest in the next batch. A task record is
 * 2-3 KB of JSON, so 5,000 keep a transaction to ~15 MB and its commit to tens of ms.
 */
export const MAX_BATCH_TASKS = 5_000;
/**
 * Batches of one cluster in flight at once: one committed and being made durable while the
 * next one places and commits (the store keeps at most MAX_UNSYNCED_BATCHES unsynced, also 2).
 */
export const MAX_PIPELINED_BATCHES = 2;

/** The epoch a committed batch of this placer wrote, until the state has it (its batch settled). */
interface Chain {
  readonly modRevision: number;
  readonly value: string;
}

interface Pending {
  readonly launch: Launch;
  /** Undefined for a launch of pods (they have no task definition: placer-pods.ts). */
  readonly td: TaskDefinitionRecord | undefined;
}

export function createPlacer(deps: PlacerDeps): Placer {
  const { store } = deps;
  const sessions = new PlacerSessions(deps.state, deps.openSession ?? openSession);
  /** Per batch key, the epoch of its latest batch committed and not yet settled (bounded by the sessions' keys). */
  const chains = new Map<string, Chain>();
  const batcher = new KeyedBatcher<Pending, LaunchResult>((key, batch, control) => placeBatch(deps, sessions, chains, key, batch, control), {
    maxWeight: MAX_BATCH_TASKS, weigh: (p) => p.launch.targets?.length ?? p.launch.count, maxInFlight: MAX_PIPELINED_BATCHES,
  });

  const definition = definitionReader(store);

  const launch = async (l: Launch): Promise<LaunchResult> => {
    if (l.count < 1 && !l.targets) fail('InvalidParameterException', `count must be at least 1; it was ${l.count}.`);
    if (l.clientToken !== undefined) {
      const earlier = await answerToken(store, l);
      if (earlier) return earlier;
    }
    const td = l.pods ? undefined : await definition(l);
    // A Fargate launch of any cluster is placed on the region's Fargate pool, batched with
    // every other cluster's; the batch checks the cluster's strategy again (RETARGET).
    const fargate = isFargateLaunch(l, deps.state.cluster({ scope: l.scope, cluster: l.cluster })?.value);
    const key = fargate ? poolKey(l.scope.region) : `${l.scope.account}/${l.scope.region}/${l.cluster}`;
    const out = await batcher.submit(key, { launch: l, td });
    // Same token, same batch: the first launch placed; this one answers as a retry would.
    if (out === SAME_TOKEN) return launch(l);
    if (out === RETARGET) return launch(l);
    return out;
  };
  return { launch };
}

/** Answered to a launch whose token a launch earlier in its batch used: it asks again. */
const SAME_TOKEN: LaunchResult = Object.freeze({ tasks: [], failures: [] });
/**
 * Answered to a launch batched on the pool that turns out not to be a Fargate one (or the
 * other way round): its cluster's default strategy changed between submit and batch. It is
 * submitted again, to the right batch.
 */
const RETARGET: LaunchResult = Object.freeze({ tasks: [], failures: [] });

/** The batch key of a region's Fargate pool (no account id has a '#'). */
function poolKey(region: string): string {
  return `#fargate/${region}`;
}

async function placeBatch(deps: PlacerDeps, sessions: PlacerSessions, chains: Map<string, Chain>, key: string, batch: readonly Pending[], control: BatchControl): Promise<(LaunchResult | Error)[]> {
  const { store, state } = deps;
  const first = batch[0]!.launch;
  const pool = key.startsWith('#fargate/');
  // Where the batch places: the launches' cluster, or the region's Fargate pool.
  const target = pool ? { scope: fargatePoolScope(first.scope.region), cluster: FARGATE_POOL_CLUSTER } : { scope: first.scope, cluster: first.cluster };
  const epochKey = keys.placementEpoch(target.scope, target.cluster);
  const results: (LaunchResult | Error | undefined)[] = batch.map(() => undefined);
  for (let attempt = 1; ; attempt++) {
    const open = batch.map((_, i) => i).filter((i) => results[i] === undefined);
    if (open.length === 0) return results as (LaunchResult | Error)[];
    if (attempt > MAX_COMMIT_ATTEMPTS) {
      for (const i of open) results[i] = new ApiError('ServerException', `Placement in cluster ${target.cluster} lost ${MAX_COMMIT_ATTEMPTS} races in a row to other placers: retry the request.`);
      continue;
    }
    // The epochs of the clusters sharing this one's hosts: the views subtract their tasks.
    const siblings = await siblingEpochs(store, state, target);
    // Chained on this placer's own commit, not yet in the state: the session holds its takes.
    const chained = !pool && siblings.size === 0 ? chains.get(key) : undefined;
    if (!chained) await sessions.settled(key);
    const epoch = chained ?? await store.get(epochKey);
    if (!chained) await state.caughtUp(Math.max(epoch?.modRevision ?? 0, highest(siblings)));
    // The zones' spot capacity, read once per attempt (the operator's setting).
    const spot = pool ? (await readSpotSettings(store, target.scope.region)).capacity : {};
    if (!pool && state.cluster(target) && state.counts(target).registeredContainerInstancesCount === 0 && state.cluster(target)!.value.status === 'ACTIVE') {
      // (A Fargate launch needs no instance of its own cluster: the pool serves it.)
      const noInstances = new ApiError('InvalidParameterException', `No Container Instances were found in your cluster ${target.cluster}: start an agent (berth agent --cluster ${target.cluster}) or run 'berth up'.`);
      for (const i of open) {
        const { launch: l } = batch[i]!;
        // (Pods are told so in their status: no nodes available.)
        if (!isFargateLaunch(l, state.cluster(target)?.value) && !l.pods) results[i] = noInstances;
      }
    }
    let session = sessions.sessionFor(key, target);
    if (!session) {
      // It must reopen from the snapshot, which lacks the held batch's tasks: wait for them.
      await sessions.settled(key);
      session = sessions.sessionFor(key, target)!;
    }
    /** Instances this attempt placed on: given back to the state's view if it does not commit. */
    const touched = new Set<string>();
    const conditions: Condition[] = [{ key: epochKey, modRevision: epoch?.modRevision ?? 0 }];
    const ops: Op[] = [];
    const planned = new Map<number, LaunchResult>();
    const tokenOf = new Map<number, string>();
    const leaders = new Map<string, number>();
    for (const i of open) {
      if (results[i] !== undefined) continue;
      const { launch: l } = batch[i]!;
      const own = { scope: l.scope, cluster: l.cluster };
      const record = state.cluster(own);
      if (!record || record.value.status !== 'ACTIVE') {
        results[i] = new ApiError('ClusterNotFoundException', `Cluster not found. No cluster '${l.cluster}': create it with CreateCluster or pass the name of an existing cluster.`);
        continue;
      }
      // Submitted to the wrong batch (the cluster's default strategy changed meanwhile): again, to the right one.
      if (isFargateLaunch(l, record.value) !== pool) { results[i] = RETARGET; continue; }
      const token = l.clientToken !== undefined ? tokenKeyOf(l) : undefined;
      if (token !== undefined) {
        if (leaders.has(token)) { results[i] = SAME_TOKEN; continue; }
        leaders.set(token, i);
        tokenOf.set(i, token);
      }
      let launched: { tasks: TaskRecord[]; failures: Failure[] };
      const mine = new Set<string>();
      const remember = deps.parsedValues && ((k: string, value: string, parsed: unknown) => deps.parsedValues!.remember(k, value, parsed));
      if (l.pods) {
        // Pod tasks already made (split: spec and status), placed or told why not (placer-pods.ts).
        try {
          const pods = await readPods(store, l);
          const clusters = await podClusters(store, l, pods);
          // Pods a Fargate profile selected go to the pool (placer-fargate-pods.ts), the others to their cluster's nodes.
          const plan = pool
            ? planFargatePods(session, (arn) => state.placementInstance(target, arn), deps.rng, l, pods, clusters, mine, remember)
            : planPods(session, instanceOf(state, l), deps.rng, l, pods, clusters, mine, remember);
          ops.push(...plan.ops);
          conditions.push(...plan.conditions);
          planned.set(i, { tasks: plan.tasks, failures: [] });
        } catch (err) {
          results[i] = err instanceof Error ? err : new Error(String(err));
          if (mine.size === 0) continue;
          sessions.drop(key);
          break;
        } finally {
          for (const arn of mine) touched.add(arn);
        }
        continue;
      }
      const td = batch[i]!.td!;
      try {
        if (pool && l.waiting) {
          // Tasks already made, waiting for spot capacity: placed as they are, each pinned to
          // the revision read (one stopped meanwhile fails the commit, and the retry skips it).
          const held = await readWaiting(store, l);
          launched = planWaiting(deps, session, target, mine, l, td, held, spot);
          for (const t of launched.tasks) conditions.push(...held.find((h) => h.task.taskArn === t.taskArn)!.pins);
        } else {
          const groupTasks = state.tasks(own, { group: groupOf(l, td) });
          launched = pool
            ? planFargate(deps, session, target, mine, l, td, groupTasks, record.value, spot)
            : planLaunch(deps, session, mine, l, td, groupTasks, record.value);
        }
      } catch (err) {
        results[i] = err instanceof Error ? err : new Error(String(err));
        if (token !== undefined) leaders.delete(token);
        // An ApiError of the launch's own (a bad strategy) before it placed anything leaves the
        // session as it was. Otherwise the session holds takes no commit will carry: it is
        // dropped (reopened by the next batch). Giving just those instances back now could
        // drop an earlier launch's takes on them, which this batch still commits.
        if (err instanceof ApiError && mine.size === 0) continue;
        sessions.drop(key);
        break;
      }
      for (const arn of mine) touched.add(arn);
      const { tasks, failures } = launched;
      for (const t of tasks) ops.push(...newTaskOps({ scope: l.scope, cluster: l.cluster, id: taskId(t.taskArn) }, t, remember));
      if (token !== undefined) {
        conditions.push({ key: token, modRevision: 0 });
        const record: TokenRecord = { fingerprint: fingerprintOf(l), taskArns: tasks.map((t) => t.taskArn), failures: [...failures], createdAt: l.now };
        ops.push({ type: 'put', key: token, value: JSON.stringify(record) });
      }
      planned.set(i, { tasks, failures });
    }
    if (ops.length === 0) {
      for (const [i, r] of planned) results[i] = r;
      continue;
    }
    // A launch fenced by the controllers' lease commits only while that lease holds.
    const fences = new Map<number, readonly Condition[]>();
    for (const i of planned.keys()) {
      const fence = batch[i]!.launch.fence;
      if (fence?.length) { fences.set(i, fence); conditions.push(...fence); }
    }
    // Placed on a host registered twice: nothing placed on its other registration since.
    const shared = siblingConditions(state, target, touched, siblings);
    if (!shared) {
      sessions.forget(key, target, touched);
      continue;
    }
    conditions.push(...shared);
    const nextEpoch = String(Number(epoch?.value ?? 0) + 1);
    ops.push({ type: 'put', key: epochKey, value: nextEpoch });
    let r: Awaited<ReturnType<Store['txn']>>;
    let held = false;
    try {
      r = await store.txn({ if: conditions, ops }, {
        onApplied: (applied) => {
          if (!applied.ok) return;
          // Committed: the next batch may place on top of it (its takes held in the session).
          held = true;
          sessions.hold(key, touched);
          chains.set(key, { modRevision: applied.revision, value: nextEpoch });
          control.release();
        },
      });
    } catch (err) {
      if (held) {
        sessions.settle(key, touched);
        sessions.drop(key);
      }
      chains.delete(key);
      sessions.forget(key, target, touched);
      throw err;
    }
    if (r.ok) {
      await state.caughtUp(r.revision);
      if (held) sessions.settle(key, touched);
      if (chains.get(key)?.modRevision === r.revision) chains.delete(key);
      for (const [i, out] of planned) results[i] = out;
      continue;
    }
    // Nothing of this attempt landed: what the session took goes back to the state's view.
    sessions.forget(key, target, touched);
    const lost = new Set(r.failed);
    // Another writer moved the epoch after all: the next attempt reads it, once the state has it.
    if (lost.has(epochKey)) chains.delete(key);
    // A lost fence means another control plane leads now: those launches are refused, not retried.
    for (const [i, fence] of fences) {
      if (fence.some((c) => lost.has(c.key))) results[i] = new Error('the controllers\' lease moved to another control plane: this launch is left to it');
    }
    // Tokens another placer committed first: their launches answer what it started.
    for (const [i, token] of tokenOf) {
      if (!lost.has(token) || results[i] !== undefined) continue;
      try { results[i] = (await answerToken(store, batch[i]!.launch)) ?? undefined; } catch (err) { results[i] = err as Error; }
    }
  }
}
