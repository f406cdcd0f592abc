import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { ApiError, fail } from '../../core/errors.ts';
import { parseArn } from '../../core/arn.ts';
import { clusterNameOf } from '../../core/ecs/cluster.ts';
import { keys } from '../../core/ecs/keys.ts';
import type { Scope } from '../../core/ecs/scope.ts';
import { validateTags, type Tag } from '../../core/ecs/tags.ts';
import { demandOf, newTask, taskId, taskView, type Attachment, type TaskOverride, type TaskRecord } from '../../core/ecs/task.ts';
import type { TaskDefinitionRecord } from '../../core/ecs/task-definition.ts';
import { decodeToken, encodeToken, pageSize } from '../../core/pagination.ts';
import { KeyedBatcher } from '../../lib/keyed-batcher.ts';
import { placeFirstFit } from '../../scheduler/first-fit.ts';
import { getJson } from '../../store/json.ts';
import type { Op, Store } from '../../store/store.ts';
import type { RequestContext } from '../aws/service.ts';
import { instanceSnapshots, loadClusterSnapshot } from './cluster-snapshot.ts';
import { requireCluster } from './cluster-state.ts';
import { findInstance } from './container-instances.ts';
import { scopeOf, seconds, type EcsDeps } from './deps.ts';
import { resolveTaskDefinition } from './task-definitions.ts';

/** RunTask starts 1 to 10 tasks per call; StartTask takes up to 10 instances (ECS API reference). */
const MAX_COUNT = 10;
/** DescribeTasks takes at most 100 tasks. */
const MAX_DESCRIBE = 100;
/** startedBy and group are at most this long. */
const MAX_TAG_LIKE = 128;

interface RunInput {
  cluster?: string;
  taskDefinition: string;
  count?: number;
  overrides?: TaskOverride;
  startedBy?: string;
  group?: string;
  tags?: Tag[];
  clientToken?: string;
  launchType?: 'EC2' | 'FARGATE' | 'EXTERNAL';
  networkConfiguration?: { awsvpcConfiguration?: { subnets: string[]; securityGroups?: string[]; assignPublicIp?: string } };
  propagateTags?: 'TASK_DEFINITION' | 'SERVICE' | 'NONE';
  enableExecuteCommand?: boolean;
  capacityProviderStrategy?: unknown[];
  placementConstraints?: unknown[];
  placementStrategy?: unknown[];
}

/** A placement request, as the per-cluster batcher sees it. */
interface Placement {
  scope: Scope;
  cluster: string;
  td: TaskDefinitionRecord;
  input: RunInput;
  count: number;
  /** StartTask: the instances to use, in order; RunTask: undefined (the scheduler picks). */
  instances?: string[];
  now: number;
}

export function taskOperations({ store }: EcsDeps) {
  // Placements in one cluster are decided together on one snapshot and committed in one
  // compare-and-set on the cluster's placement epoch: no two ever book the same resources.
  const placer = new KeyedBatcher<Placement, { tasks: TaskRecord[]; failures: { arn: string; reason: string }[] }>((_key, batch) => placeBatch(store, batch));

  const prepare = async (ctx: RequestContext, input: RunInput, count: number) => {
    const scope = scopeOf(ctx);
    // The request's own parameters are checked before anything is looked up, as AWS does.
    if (count < 1 || count > MAX_COUNT) fail('InvalidParameterException', `count must be between 1 and ${MAX_COUNT}; it was ${count}.`);
    const cluster = (await requireCluster(store, scope, input.cluster)).value.clusterName;
    const td = await resolveTaskDefinition(store, scope, input.taskDefinition);
    if (!td) fail('ClientException', `Unable to find task definition '${input.taskDefinition}': register it first, or check the family and revision.`);
    if (td.status !== 'ACTIVE') fail('ClientException', `TaskDefinition ${td.taskDefinitionArn} is ${td.status}: run an ACTIVE revision.`);
    checkRunInput(input, td);
    return { scope, cluster, td };
  };

  return {
    async RunTask(input: RunInput, ctx: RequestContext) {
      const count = input.count ?? 1;
      const { scope, cluster, td } = await prepare(ctx, input, count);
      if (input.clientToken !== undefined) {
        const earlier = await idempotent(store, scope, cluster, input);
        if (earlier) return earlier;
      }
      const out = await placer.submit(cluster, { scope, cluster, td, input, count, now: seconds(ctx) });
      const answer = { tasks: out.tasks.map((t) => taskView(t, true)), failures: out.failures };
      if (input.clientToken !== undefined) await remember(store, scope, cluster, input, out.tasks);
      return answer;
    },

    async StartTask(input: RunInput & { containerInstances: string[] }, ctx: RequestContext) {
      if (input.containerInstances.length < 1 || input.containerInstances.length > MAX_COUNT) {
        fail('InvalidParameterException', `containerInstances must name 1 to ${MAX_COUNT} instances; ${input.containerInstances.length} were given.`);
      }
      const { scope, cluster, td } = await prepare(ctx, input, 1);
      const out = await placer.submit(cluster, { scope, cluster, td, input, count: input.containerInstances.length, instances: input.containerInstances, now: seconds(ctx) });
      return { tasks: out.tasks.map((t) => taskView(t, true)), failures: out.failures };
    },

    async StopTask(input: { cluster?: string; task: string; reason?: string }, ctx: RequestContext) {
      const scope = scopeOf(ctx);
      const id = taskRefId(input.task, clusterNameOf(input.cluster));
      const cluster = (await requireCluster(store, scope, input.cluster)).value.clusterName;
      const key = keys.task(scope, cluster, id);
      for (;;) {
        const cur = await getJson<TaskRecord>(store, key);
        if (!cur) fail('InvalidParameterException', `The referenced task was not found: '${input.task}' in cluster ${cluster}.`);
        const t = cur.value;
        if (t.desiredStatus === 'STOPPED') return { task: taskView(t, true) };
        const next: TaskRecord = { ...t, desiredStatus: 'STOPPED', stopCode: t.stopCode ?? 'UserInitiated', stoppedReason: t.stoppedReason ?? input.reason ?? 'Task stopped by user', version: t.version + 1 };
        if ((await store.txn({ if: [{ key, modRevision: cur.modRevision }], ops: [{ type: 'put', key, value: JSON.stringify(next) }] })).ok) {
          return { task: taskView(next, true) };
        }
      }
    },

    async DescribeTasks(input: { cluster?: string; tasks: string[]; include?: string[] }, ctx: RequestContext) {
      const scope = scopeOf(ctx);
      if (input.tasks.length > MAX_DESCRIBE) fail('InvalidParameterException', `DescribeTasks takes at most ${MAX_DESCRIBE} tasks; ${input.tasks.length} were given.`);
      const cluster = (await requireCluster(store, scope, input.cluster)).value.clusterName;
      const tasks = [];
      const failures = [];
      for (const ref of input.tasks) {
        let id: string;
        try {
          id = taskRefId(ref, cluster);
        } catch {
          failures.push({ arn: ref, reason: 'MISSING' });
          continue;
        }
        const t = await getJson<TaskRecord>(store, keys.task(scope, cluster, id));
        if (t) tasks.push(taskView(t.value, input.include?.includes('TAGS') ?? false));
        else failures.push({ arn: ref, reason: 'MISSING' });
      }
      return { tasks, failures };
    },

    async ListTasks(input: { cluster?: string; containerInstance?: string; family?: string; startedBy?: string; serviceName?: string; desiredStatus?: 'RUNNING' | 'PENDING' | 'STOPPED'; launchType?: string; nextToken?: string; maxResults?: number }, ctx: RequestContext) {
      const scope = scopeOf(ctx);
      const limit = pageSize(input.maxResults, 100);
      const cluster = (await requireCluster(store, scope, input.cluster)).value.clusterName;
      const prefix = keys.tasks(scope, cluster);
      const instance = input.containerInstance && (await findInstance(store, scope, cluster, input.containerInstance));
      if (input.containerInstance && !instance) fail('InvalidParameterException', `Container instance ${input.containerInstance} is not in cluster ${cluster}.`);
      const instanceArn = instance ? instance.value.containerInstanceArn : undefined;
      // PENDING is accepted as a desiredStatus filter and means tasks desired RUNNING that are not yet (ECS API reference).
      const wanted = input.desiredStatus ?? 'RUNNING';
      const match = (t: TaskRecord) =>
        (wanted === 'PENDING' ? t.desiredStatus === 'RUNNING' && t.lastStatus !== 'RUNNING' : t.desiredStatus === wanted) &&
        (instanceArn === undefined || t.containerInstanceArn === instanceArn) &&
        (input.family === undefined || t.taskDefinitionArn.includes(`:task-definition/${input.family}:`)) &&
        (input.startedBy === undefined || t.startedBy === input.startedBy) &&
        (input.serviceName === undefined || t.group === `service:${input.serviceName}`) &&
        (input.launchType === undefined || t.launchType === input.launchType);
      const taskArns: string[] = [];
      let after = decodeToken(input.nextToken, prefix);
      for (;;) {
        const page = await store.list(prefix, { limit: 200, ...(after !== undefined && { after }) });
        for (const kv of page.items) {
          const t = JSON.parse(kv.value) as TaskRecord;
          if (!match(t)) continue;
          taskArns.push(t.taskArn);
          if (taskArns.length === limit) {
            const more = kv !== page.items[page.items.length - 1] || page.more;
            return { taskArns, ...(more && { nextToken: encodeToken(kv.key) }) };
          }
        }
        if (!page.more) return { taskArns };
        after = page.items[page.items.length - 1]!.key;
      }
    },
  };
}

/** The rules RunTask applies to its input beyond its shape. */
function checkRunInput(input: RunInput, td: TaskDefinitionRecord): void {
  validateTags(input.tags ?? []);
  if (input.startedBy !== undefined && input.startedBy.length > MAX_TAG_LIKE) fail('InvalidParameterException', `startedBy must be at most ${MAX_TAG_LIKE} characters.`);
  if (input.group !== undefined && input.group.length > 255) fail('InvalidParameterException', 'group must be at most 255 characters.');
  if (input.launchType === 'FARGATE' || input.capacityProviderStrategy?.length) {
    fail('InvalidParameterException', 'Fargate and capacity providers are not available in this Berth release: run the task with launchType EC2 on your container instances (berth up runs one).');
  }
  if (td.networkMode === 'awsvpc' && !input.networkConfiguration?.awsvpcConfiguration) {
    fail('InvalidParameterException', "Network Configuration must be provided when networkMode 'awsvpc' is specified: pass --network-configuration 'awsvpcConfiguration={subnets=[subnet-berth]}'.");
  }
  if (td.networkMode !== 'awsvpc' && input.networkConfiguration) {
    fail('InvalidParameterException', `Network Configuration is not valid for the given networkMode of this task definition (${td.networkMode ?? 'bridge'}): remove it, or use an awsvpc task definition.`);
  }
  const sub = input.networkConfiguration?.awsvpcConfiguration;
  if (sub && sub.subnets.length === 0) fail('InvalidParameterException', 'subnets can not be empty: give at least one subnet id.');
  for (const o of input.overrides?.containerOverrides ?? []) {
    if (!td.containerDefinitions.some((c) => c.name === o.name)) {
      fail('InvalidParameterException', `Override for container named ${o.name} is not a container in the TaskDefinition.`);
    }
  }
}

async function placeBatch(store: Store, batch: readonly Placement[]) {
  const { scope, cluster } = batch[0]!;
  const epochKey = keys.placementEpoch(scope, cluster);
  for (;;) {
    const [epoch, snap] = await Promise.all([store.get(epochKey), loadClusterSnapshot(store, scope, cluster)]);
    if (snap.instances.filter((i) => i.status !== 'INACTIVE').length === 0) {
      return batch.map(() => new ApiError('InvalidParameterException', `No Container Instances were found in your cluster ${cluster}: start an agent (berth agent --cluster ${cluster}) or run 'berth up'.`));
    }
    const pool = instanceSnapshots(snap);
    const ops: Op[] = [];
    const results = [];
    for (const p of batch) {
      const demand = demandOf(p.td, p.input.overrides ?? {});
      const wanted = { ...demand, requiredAttributes: p.td.requiresAttributes.map((a) => a.name) };
      // StartTask names its instances: place one task on each, in order, if it fits.
      const candidates = p.instances
        ? p.instances.map((ref) => pool.find((i) => i.arn === ref || i.arn.endsWith(`/${ref}`)))
        : undefined;
      const tasks: TaskRecord[] = [];
      const failures: { arn: string; reason: string }[] = [];
      for (let n = 0; n < p.count; n++) {
        const choice = candidates ? candidates[n] : undefined;
        if (candidates && !choice) {
          failures.push({ arn: p.instances![n]!, reason: 'MISSING' });
          continue;
        }
        const plan = placeFirstFit(choice ? [choice] : pool, wanted, 1);
        const arn = plan.placements[0];
        if (!arn) {
          failures.push(...plan.failures);
          if (!candidates) break;
          continue;
        }
        const target = pool.find((i) => i.arn === arn)!;
        target.cpu -= demand.cpu;
        target.memory -= demand.memory;
        for (const port of demand.ports) (target.portsInUse as Set<string>).add(port);
        const instance = snap.instances.find((i) => i.containerInstanceArn === arn);
        const task = buildTask(p, arn, target.availabilityZone, instance?.attributes.find((a) => a.name === 'ecs.cpu-architecture')?.value);
        tasks.push(task);
        ops.push({ type: 'put', key: keys.task(scope, cluster, taskId(task.taskArn)), value: JSON.stringify(task) });
      }
      results.push({ tasks, failures });
    }
    if (ops.length === 0) return results;
    ops.push({ type: 'put', key: epochKey, value: String(Number(epoch?.value ?? 0) + 1) });
    if ((await store.txn({ if: [{ key: epochKey, modRevision: epoch?.modRevision ?? 0 }], ops })).ok) return results;
  }
}

function buildTask(p: Placement, instanceArn: string, availabilityZone: string | undefined, cpuArchitecture: string | undefined): TaskRecord {
  const id = randomBytes(16).toString('hex');
  const tags = [...(p.input.propagateTags === 'TASK_DEFINITION' ? p.td.tags : []), ...(p.input.tags ?? [])];
  const attachments: Attachment[] = p.td.networkMode === 'awsvpc'
    ? [{
      id: randomUUID(), type: 'ElasticNetworkInterface', status: 'PRECREATED',
      details: [{ name: 'subnetId', value: p.input.networkConfiguration!.awsvpcConfiguration!.subnets[0]! }],
    }]
    : [];
  return newTask({
    scope: p.scope, clusterName: p.cluster, id, containerIds: p.td.containerDefinitions.map(() => randomUUID()),
    taskDefinition: p.td, overrides: p.input.overrides ?? {}, containerInstanceArn: instanceArn,
    ...(availabilityZone !== undefined && { availabilityZone }),
    ...(cpuArchitecture !== undefined && { cpuArchitecture }),
    ...(p.input.startedBy !== undefined && { startedBy: p.input.startedBy }),
    ...(p.input.group !== undefined && { group: p.input.group }),
    tags, launchType: 'EC2', enableExecuteCommand: p.input.enableExecuteCommand ?? false, attachments, nowSeconds: p.now,
  });
}

/** The task id in a task ARN (old or new format) or the id itself. */
function taskRefId(ref: string, cluster: string): string {
  const arn = parseArn(ref);
  if (!arn) {
    if (!/^[a-f0-9]{32}$/.test(ref)) fail('InvalidParameterException', `'${ref}' is not a task id or ARN.`);
    return ref;
  }
  const m = /^task\/(?:([^/]+)\/)?([a-f0-9]{32})$/.exec(arn.resource);
  if (arn.service !== 'ecs' || !m || (m[1] !== undefined && m[1] !== cluster)) fail('InvalidParameterException', `'${ref}' is not a task of cluster ${cluster}.`);
  return m[2]!;
}

/** What a RunTask clientToken maps to: the request's fingerprint and the tasks it started. */
interface TokenRecord {
  fingerprint: string;
  taskArns: string[];
  failures: unknown[];
}

function fingerprint(input: RunInput): string {
  const { clientToken: _t, ...rest } = input;
  return createHash('sha256').update(JSON.stringify(rest)).digest('hex');
}

async function idempotent(store: Store, scope: Scope, cluster: string, input: RunInput) {
  const rec = await getJson<TokenRecord>(store, keys.clientToken(scope, cluster, tokenKey(input.clientToken!)));
  if (!rec) return undefined;
  if (rec.value.fingerprint !== fingerprint(input)) {
    fail('InvalidParameterException', `The clientToken '${input.clientToken}' was already used with different parameters: use a new token for a different request.`);
  }
  const tasks = [];
  for (const arn of rec.value.taskArns) {
    const t = await getJson<TaskRecord>(store, keys.task(scope, cluster, taskId(arn)));
    if (t) tasks.push(taskView(t.value, true));
  }
  return { tasks, failures: rec.value.failures };
}

async function remember(store: Store, scope: Scope, cluster: string, input: RunInput, tasks: TaskRecord[]): Promise<void> {
  const value: TokenRecord = { fingerprint: fingerprint(input), taskArns: tasks.map((t) => t.taskArn), failures: [] };
  await store.txn({ ops: [{ type: 'put', key: keys.clientToken(scope, cluster, tokenKey(input.clientToken!)), value: JSON.stringify(value) }] });
}

/** Tokens are up to 64 user characters; hashed so any of them is a safe key segment. */
function tokenKey(token: string): string {
  if (token.length > 64) fail('InvalidParameterException', 'clientToken must be at most 64 characters.');
  return createHash('sha256').update(token).digest('hex').slice(0, 32);
}

