import { fail } from '../../core/errors.ts';
import { parseArn } from '../../core/arn.ts';
import { keys } from '../../core/ecs/keys.ts';
import type { Scope } from '../../core/ecs/scope.ts';
import { mergeTags, removeTags, validateTags, type Tag } from '../../core/ecs/tags.ts';
import { parseTaskDefinitionRef } from '../../core/ecs/task-definition.ts';
import { changeTask, readTaskAt, taskKey, taskRefOfKey } from '../../core/workload/task-store.ts';
import { getJson, updateJson } from '../../store/json.ts';
import type { RequestContext } from '../aws/service.ts';
import { scopeOf, type EcsDeps } from './deps.ts';

interface Tagged {
  tags: Tag[];
  status?: string;
  /** A service's task sets carry their own tags inside its record. */
  taskSets?: { id: string; tags: Tag[] }[];
}

/**
 * A task set ARN (`task-set/<cluster>/<service>/<id>`): its tags live in the service's
 * record, so the key is the service's and `setId` picks the set.
 */
function taskSetLocation(scope: Scope, id: string): { key: string; setId: string } {
  const [cluster, service, ...rest] = id.split('/');
  if (!cluster || !service || rest.length === 0) fail('InvalidParameterException', `Task set ARNs name the cluster and the service: arn:aws:ecs:<region>:<account>:task-set/<cluster>/<service>/<id>.`);
  return { key: keys.service(scope, cluster, service), setId: rest.join('/') };
}

/**
 * Where each taggable resource type keeps its tags: the store key of the record an ARN's
 * resource part names (`cluster/<name>`, `task-definition/<family>:<rev>`, …).
 */
const TAGGABLE: Readonly<Record<string, (scope: Scope, id: string) => string>> = {
  cluster: (scope, id) => keys.cluster(scope, id),
  'capacity-provider': (scope, id) => keys.capacityProvider(scope, id),
  'task-definition': (scope, id) => {
    const ref = parseTaskDefinitionRef(id);
    if (ref.revision === undefined) fail('InvalidParameterException', `Tag a task definition by its full ARN with a revision: '${id}' has none.`);
    return keys.taskDefinition(scope, ref.family, ref.revision);
  },
  'container-instance': (scope, id) => {
    const [cluster, instance] = id.split('/');
    if (!cluster || !instance) fail('InvalidParameterException', `Container instance ARNs name the cluster: arn:aws:ecs:<region>:<account>:container-instance/<cluster>/<id>.`);
    return keys.containerInstance(scope, cluster, instance);
  },
  // Tasks are taggable (ECS TagResource: "the supported resources are Amazon ECS capacity
  // providers, tasks, services, task definitions, clusters, and container instances").
  task: (scope, id) => {
    const [cluster, task] = id.split('/');
    if (!cluster || !task) fail('InvalidParameterException', `Tag a task by its long ARN, which names the cluster: arn:aws:ecs:<region>:<account>:task/<cluster>/<id>.`);
    return taskKey({ scope, cluster, id: task });
  },
  service: (scope, id) => {
    const [cluster, name] = id.split('/');
    if (!cluster || !name) fail('InvalidParameterException', `Tag a service by its long ARN, which names the cluster: arn:aws:ecs:<region>:<account>:service/<cluster>/<name>.`);
    return keys.service(scope, cluster, name);
  },
};

/** The store key of the resource an ARN names, checked against the request's scope; `setId` for a task set. */
function recordKey(scope: Scope, resourceArn: string): { key: string; setId?: string } {
  const arn = parseArn(resourceArn);
  if (!arn || arn.service !== 'ecs') fail('InvalidParameterException', `'${resourceArn}' is not an Amazon ECS resource ARN.`);
  const slash = arn.resource.indexOf('/');
  const type = arn.resource.slice(0, slash);
  const locate = TAGGABLE[type];
  if (slash < 0 || (!locate && type !== 'task-set')) fail('InvalidParameterException', `Resources of type '${type}' cannot be tagged here: tag clusters, capacity providers, task definitions, container instances, tasks, services or task sets.`);
  if (arn.region !== scope.region || arn.account !== scope.account) {
    fail('InvalidParameterException', `The resource ${resourceArn} is not in this request's region ${scope.region} and account ${scope.account}.`);
  }
  const id = arn.resource.slice(slash + 1);
  return locate ? { key: locate(scope, id) } : taskSetLocation(scope, id);
}

/** The tags of what `setId` names in record `r` (the record itself without it); undefined when the set is gone. */
function tagsIn(r: Tagged, setId: string | undefined): Tag[] | undefined {
  if (setId === undefined) return r.tags ?? [];
  return r.taskSets?.find((t) => t.id === setId)?.tags;
}

export function tagOperations({ store }: Pick<EcsDeps, 'store'>) {
  const change = async (ctx: RequestContext, resourceArn: string, fn: (t: Tag[]) => Tag[]) => {
    const { key, setId } = recordKey(scopeOf(ctx), resourceArn);
    // A task's tags are its spec's (task-store.ts owns how a task is stored).
    if (taskRefOfKey(key)) {
      const w = await changeTask(store, key, 'spec', (t) => ({ ...t, tags: fn(t.tags ?? []) }));
      if (w.outcome === 'missing') notFound(resourceArn);
      if (w.outcome === 'conflict') fail('ServerException', `The tags of ${resourceArn} changed too often to be written: retry the request.`);
      return;
    }
    const updated = await updateJson<Tagged>(store, key, (r) => {
      // Deleted clusters, capacity providers and services stay describable, but are no longer tagged.
      if (r.status === 'INACTIVE' && (key.includes('/clusters/') || key.includes('/capacity-providers/') || key.includes('/services/'))) notFound(resourceArn);
      const existing = tagsIn(r, setId);
      if (!existing) notFound(resourceArn);
      if (setId === undefined) return { ...r, tags: fn(existing) };
      return { ...r, taskSets: r.taskSets!.map((t) => (t.id === setId ? { ...t, tags: fn(existing) } : t)) };
    });
    if (!updated) notFound(resourceArn);
  };

  return {
    async TagResource(input: { resourceArn: string; tags: Tag[] }, ctx: RequestContext) {
      await change(ctx, input.resourceArn, (existing) => {
        validateTags(input.tags, existing);
        return mergeTags(existing, input.tags);
      });
      return {};
    },

    async UntagResource(input: { resourceArn: string; tagKeys: string[] }, ctx: RequestContext) {
      const reserved = input.tagKeys.find((k) => /^aws:/i.test(k));
      if (reserved) fail('InvalidParameterException', `Tag keys beginning with 'aws:' are reserved for AWS use and cannot be removed ('${reserved}').`);
      await change(ctx, input.resourceArn, (existing) => removeTags(existing, input.tagKeys));
      return {};
    },

    async ListTagsForResource(input: { resourceArn: string }, ctx: RequestContext) {
      const { key, setId } = recordKey(scopeOf(ctx), input.resourceArn);
      const r = taskRefOfKey(key) ? (await readTaskAt(store, key))?.record : (await getJson<Tagged>(store, key))?.value;
      const tags = r && tagsIn(r as Tagged, setId);
      if (!tags) notFound(input.resourceArn);
      return { tags };
    },
  };
}

function notFound(arn: string): never {
  fail('ResourceNotFoundException', `The specified resource could not be found: ${arn}.`);
}
