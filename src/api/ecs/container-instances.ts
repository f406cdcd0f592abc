import { randomBytes } from 'node:crypto';
import { fail } from '../../core/errors.ts';
import {
  builtInAttributes, containerInstanceView, mergeAttributes, newContainerInstance, normaliseResources, parseIdentityDocument, parseInstanceRef, refuseAgentAttribute, validateAttribute,
  type Attribute, type ContainerInstanceRecord, type InstanceStatus, type Resource,
} from '../../core/ecs/container-instance.ts';
import { keys } from '../../core/ecs/keys.ts';
import type { Scope } from '../../core/ecs/scope.ts';
import { validateTags, type Tag } from '../../core/ecs/tags.ts';
import { decodeToken, encodeToken, pageSize } from '../../core/pagination.ts';
import { getJson, type Versioned } from '../../store/json.ts';
import type { Store } from '../../store/store.ts';
import type { RequestContext } from '../aws/service.ts';
import { requireInstanceProvider } from './capacity-providers.ts';
import { instanceView, requireCluster } from './cluster-state.ts';
import { compileQuery, type Predicate } from '../../scheduler/query/evaluate.ts';
import type { PlacementInstance } from '../../scheduler/types.ts';
import type { ClusterState } from '../../cluster/types.ts';
import { scopeOf, seconds, type EcsDeps } from './deps.ts';

/** DescribeContainerInstances and UpdateContainerInstancesState take at most 100 (ECS API reference). */
const MAX_BATCH = 100;

interface RegisterInput {
  cluster?: string;
  instanceIdentityDocument?: string;
  instanceIdentityDocumentSignature?: string;
  totalResources?: Resource[];
  versionInfo?: Record<string, string>;
  containerInstanceArn?: string;
  attributes?: Attribute[];
  tags?: Tag[];
  /**
   * Berth's own, set only by the agent registration route (src/server/agent-registration.ts):
   * the front door removes it from ECS requests, which have no such member.
   */
  capacityProviderName?: string;
}

/** The stored instance an id or ARN names in a cluster, or undefined. */
export async function findInstance(store: Store, scope: Scope, cluster: string, ref: string): Promise<Versioned<ContainerInstanceRecord> | undefined> {
  const { id, cluster: inArn } = parseInstanceRef(ref);
  if (inArn !== undefined && inArn !== cluster) return undefined;
  return getJson<ContainerInstanceRecord>(store, keys.containerInstance(scope, cluster, id));
}

/**
 * RegisterContainerInstance inputs that come from Berth's agent registration endpoint
 * (src/server/agent-registration.ts), which authenticated the agent: only they may carry
 * the agent's own attributes (refuseAgentAttribute). Weak: an input is forgotten with its request.
 */
const agentInputs = new WeakSet<object>();

/** Marks a RegisterContainerInstance input as the authenticated agent's (see agentInputs). */
export function fromAgent<T extends object>(input: T): T {
  agentInputs.add(input);
  return input;
}

export function containerInstanceOperations({ store, state }: EcsDeps) {
  /** Compare-and-set on one instance; `fn` returns the new record. */
  const change = async (scope: Scope, cluster: string, ref: string, fn: (c: ContainerInstanceRecord) => ContainerInstanceRecord) => {
    for (;;) {
      const cur = await findInstance(store, scope, cluster, ref);
      if (!cur) return undefined;
      const next = fn(cur.value);
      const key = keys.containerInstance(scope, cluster, idOf(cur.value));
      if ((await store.txn({ if: [{ key, modRevision: cur.modRevision }], ops: [{ type: 'put', key, value: JSON.stringify(next) }] })).ok) return next;
    }
  };

  return {
    /**
     * Registers a host as a container instance, or re-registers it: an instance that gives
     * its ARN, or whose instance id is already ACTIVE in the cluster, keeps its identity.
     */
    async RegisterContainerInstance(input: RegisterInput, ctx: RequestContext) {
      const scope = scopeOf(ctx);
      const doc = parseIdentityDocument(input.instanceIdentityDocument);
      const attributes = [...builtInAttributes(doc), ...(input.attributes ?? [])];
      attributes.forEach(validateAttribute);
      if (!agentInputs.has(input)) (input.attributes ?? []).forEach(refuseAgentAttribute);
      validateTags(input.tags ?? []);
      const resources = normaliseResources(input.totalResources ?? []);
      const cluster = (await requireCluster(store, scope, input.cluster)).value.clusterName;
      const provider = input.capacityProviderName;
      if (provider !== undefined) await requireInstanceProvider(store, scope, provider);
      const existing = input.containerInstanceArn
        ? await findInstance(store, scope, cluster, input.containerInstanceArn)
        : doc.instanceId ? await byInstanceId(store, scope, cluster, doc.instanceId) : undefined;
      if (input.containerInstanceArn && !existing) fail('InvalidParameterException', `Container instance ${input.containerInstanceArn} is not registered in cluster ${cluster}: register without containerInstanceArn.`);
      if (existing) {
        const updated = await change(scope, cluster, existing.value.containerInstanceArn, ({ capacityProviderName: _, ...c }) => ({
          ...c, status: c.status === 'INACTIVE' ? 'ACTIVE' : c.status, registeredResources: resources,
          remainingResources: structuredClone(resources), attributes: mergeAttributes(c.attributes, attributes),
          versionInfo: input.versionInfo ?? c.versionInfo, version: c.version + 1,
          // The agent's current --capacity-provider decides, also when it no longer gives one.
          ...(provider !== undefined && { capacityProviderName: provider }),
        }));
        return { containerInstance: updated && containerInstanceView(updated) };
      }
      const id = randomBytes(16).toString('hex');
      const record = newContainerInstance(scope, cluster, id, {
        ec2InstanceId: doc.instanceId ?? `i-${randomBytes(9).toString('hex').slice(0, 17)}`,
        resources, attributes, ...(input.versionInfo && { versionInfo: input.versionInfo }), tags: input.tags ?? [],
      }, seconds(ctx));
      if (provider !== undefined) record.capacityProviderName = provider;
      const key = keys.containerInstance(scope, cluster, id);
      await store.txn({ if: [{ key, modRevision: 0 }], ops: [{ type: 'put', key, value: JSON.stringify(record) }] });
      return { containerInstance: record };
    },

    async DeregisterContainerInstance(input: { cluster?: string; containerInstance: string; force?: boolean }, ctx: RequestContext) {
      const scope = scopeOf(ctx);
      const cluster = (await requireCluster(store, scope, input.cluster)).value.clusterName;
      const updated = await change(scope, cluster, input.containerInstance, (c) => {
        const u = state.instanceUsage({ scope, cluster }, c.containerInstanceArn);
        if (!input.force && u.running + u.pending > 0) {
          fail('InvalidParameterException', `Found running tasks on the instance ${c.containerInstanceArn}: stop them first, or pass force to deregister anyway.`);
        }
        return { ...c, status: 'INACTIVE', agentConnected: false };
      });
      if (!updated) fail('InvalidParameterException', `Container instance ${input.containerInstance} is not registered in cluster ${cluster}.`);
      return { containerInstance: updated && containerInstanceView(updated) };
    },

    async DescribeContainerInstances(input: { cluster?: string; containerInstances: string[]; include?: string[] }, ctx: RequestContext) {
      const scope = scopeOf(ctx);
      // The request's own parameters are checked before anything is looked up, as AWS does.
      // ECS refuses an empty list as DescribeTasks does ("Tasks cannot be empty."); this is
      // its sentence for instances as moto's tests have it (not found in AWS's documentation).
      if (input.containerInstances.length === 0) fail('InvalidParameterException', 'Container Instances cannot be empty. Name at least one container instance (ListContainerInstances lists them).');
      if (input.containerInstances.length > MAX_BATCH) fail('InvalidParameterException', `DescribeContainerInstances takes at most ${MAX_BATCH} container instances.`);
      const cluster = (await requireCluster(store, scope, input.cluster)).value.clusterName;
      const containerInstances = [];
      const failures = [];
      for (const ref of input.containerInstances) {
        const found = await findInstance(store, scope, cluster, ref);
        if (!found) {
          failures.push({ arn: ref, reason: 'MISSING' });
          continue;
        }
        const { tags, ...rest } = instanceView(found.value, state.instanceUsage({ scope, cluster }, found.value.containerInstanceArn));
        containerInstances.push({
          ...rest,
          // Without include TAGS, AWS sends the member empty, as for clusters and tasks.
          tags: input.include?.includes('TAGS') ? tags : [],
          // Berth's agent reports no container runtime health yet: asked for it, the honest
          // answer is that there is no data.
          ...(input.include?.includes('CONTAINER_INSTANCE_HEALTH') && { healthStatus: { overallStatus: 'INSUFFICIENT_DATA', details: [] } }),
        });
      }
      return { containerInstances, failures };
    },

    async ListContainerInstances(input: { cluster?: string; filter?: string; status?: InstanceStatus; nextToken?: string; maxResults?: number }, ctx: RequestContext) {
      const scope = scopeOf(ctx);
      // The expression is the request's own parameter: refused before the cluster is looked up.
      const filter = input.filter === undefined ? undefined : compileQuery(input.filter).test;
      if (input.status !== undefined && !INSTANCE_STATUSES.includes(input.status)) {
        fail('InvalidParameterException', `status must be one of ${INSTANCE_STATUSES.join(', ')}, not ${String(input.status)}.`);
      }
      const limit = pageSize(input.maxResults, 100);
      const cluster = (await requireCluster(store, scope, input.cluster)).value.clusterName;
      const matches = filter && instanceFilter(filter, state, scope, cluster);
      const prefix = keys.containerInstances(scope, cluster);
      const arns: string[] = [];
      let after = decodeToken(input.nextToken, prefix);
      for (;;) {
        const page = await store.list(prefix, { limit: 100, ...(after !== undefined && { after }) });
        for (const kv of page.items) {
          const c = JSON.parse(kv.value) as ContainerInstanceRecord;
          // Without a status filter, every instance that is not INACTIVE (ECS API reference).
          if ((input.status ? c.status === input.status : c.status !== 'INACTIVE') && (!matches || matches(c))) arns.push(c.containerInstanceArn);
          if (arns.length === limit) {
            const more = kv !== page.items[page.items.length - 1] || page.more;
            return { containerInstanceArns: arns, ...(more && { nextToken: encodeToken(kv.key) }) };
          }
        }
        if (!page.more) return { containerInstanceArns: arns };
        after = page.items[page.items.length - 1]!.key;
      }
    },

    async UpdateContainerInstancesState(input: { cluster?: string; containerInstances: string[]; status: InstanceStatus }, ctx: RequestContext) {
      const scope = scopeOf(ctx);
      if (input.status !== 'ACTIVE' && input.status !== 'DRAINING') fail('InvalidParameterException', `Container instances can only be set to ACTIVE or DRAINING, not ${input.status}.`);
      if (input.containerInstances.length > MAX_BATCH) fail('InvalidParameterException', `UpdateContainerInstancesState takes at most ${MAX_BATCH} container instances.`);
      const cluster = (await requireCluster(store, scope, input.cluster)).value.clusterName;
      const containerInstances = [];
      const failures = [];
      for (const ref of input.containerInstances) {
        const cur = await findInstance(store, scope, cluster, ref);
        if (!cur || cur.value.status === 'INACTIVE') {
          failures.push({ arn: ref, reason: 'MISSING' });
          continue;
        }
        const updated = await change(scope, cluster, ref, (c) => ({ ...c, status: input.status, version: c.version + 1 }));
        containerInstances.push(updated && containerInstanceView(updated));
      }
      return { containerInstances, failures };
    },
  };
}

const INSTANCE_STATUSES: readonly InstanceStatus[] = ['ACTIVE', 'DRAINING', 'REGISTERING', 'DEREGISTERING', 'REGISTRATION_FAILED'];

/**
 * ListContainerInstances' `filter`: the cluster query language over each instance as
 * placement sees it, with the task groups and running count its tasks give it.
 */
function instanceFilter(test: Predicate, state: ClusterState, scope: Scope, cluster: string): (c: ContainerInstanceRecord) => boolean {
  const ref = { scope, cluster };
  const tasksOn = (instanceArn: string) => {
    const groups = new Map<string, number>();
    let running = 0;
    for (const t of state.tasks(ref, { instanceArn })) {
      if (t.lastStatus === 'STOPPED') continue;
      groups.set(t.group, (groups.get(t.group) ?? 0) + 1);
      if (t.lastStatus === 'RUNNING') running++;
    }
    return { groups, running };
  };
  return (c) => {
    const tasksThere = tasksOn(c.containerInstanceArn);
    const view: PlacementInstance = {
      arn: c.containerInstanceArn, id: idOf(c), ec2InstanceId: c.ec2InstanceId, status: c.status, agentConnected: c.agentConnected,
      registeredAt: c.registeredAt, attributes: new Map(c.attributes.map((a) => [a.name, a.value])),
      ...(c.versionInfo.agentVersion !== undefined && { agentVersion: c.versionInfo.agentVersion }),
      ...(c.capacityProviderName !== undefined && { capacityProvider: c.capacityProviderName }),
      // Resources play no part in the query language.
      cpu: 0, memory: 0, eni: 0, portsInUse: new Set(),
      groups: tasksThere?.groups ?? new Map(),
      // runningTasksCount: the RUNNING ones, as the instance's own runningTasksCount.
      taskCount: tasksThere?.running ?? 0,
    };
    return test(view);
  };
}

function idOf(c: ContainerInstanceRecord): string {
  return c.containerInstanceArn.slice(c.containerInstanceArn.lastIndexOf('/') + 1);
}

async function byInstanceId(store: Store, scope: Scope, cluster: string, instanceId: string): Promise<Versioned<ContainerInstanceRecord> | undefined> {
  const page = await store.list(keys.containerInstances(scope, cluster));
  for (const kv of page.items) {
    const c = JSON.parse(kv.value) as ContainerInstanceRecord;
    if (c.ec2InstanceId === instanceId && c.status !== 'INACTIVE') return { value: c, modRevision: kv.modRevision };
  }
  return undefined;
}
