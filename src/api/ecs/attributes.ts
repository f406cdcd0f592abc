import { fail } from '../../core/errors.ts';
import {
  isCustom, MAX_ATTRIBUTES_PER_CALL, MAX_CUSTOM_ATTRIBUTES, mergeAttributes, refuseAgentAttribute, validateAttribute,
  type Attribute, type ContainerInstanceRecord,
} from '../../core/ecs/container-instance.ts';
import { keys } from '../../core/ecs/keys.ts';
import { decodeToken, encodeToken, pageSize } from '../../core/pagination.ts';
import type { RequestContext } from '../aws/service.ts';
import { requireCluster } from './cluster-state.ts';
import { findInstance } from './container-instances.ts';
import { scopeOf, type EcsDeps } from './deps.ts';

/**
 * Attributes are name/value pairs on container instances (the only target type ECS has);
 * placement constraints match on them.
 */
export function attributeOperations({ store }: EcsDeps) {
  /** Applies `fn` to each target's attributes, all targets in one transaction. */
  const apply = async (ctx: RequestContext, clusterRef: string | undefined, attributes: Attribute[], fn: (existing: Attribute[], mine: Attribute[]) => Attribute[]) => {
    const scope = scopeOf(ctx);
    // The request's own parameters are checked before anything is looked up, as AWS does.
    if (attributes.length === 0 || attributes.length > MAX_ATTRIBUTES_PER_CALL) {
      fail('InvalidParameterException', `Give 1 to ${MAX_ATTRIBUTES_PER_CALL} attributes per call; ${attributes.length} were given.`);
    }
    const byTarget = new Map<string, Attribute[]>();
    for (const a of attributes) {
      validateAttribute(a);
      refuseAgentAttribute(a);
      if (!a.targetId) fail('InvalidParameterException', `Attribute '${a.name}' needs a targetId: the container instance id or ARN it belongs to.`);
      if (a.targetType !== undefined && a.targetType !== 'container-instance') fail('InvalidParameterException', `targetType must be container-instance.`);
      byTarget.set(a.targetId, [...(byTarget.get(a.targetId) ?? []), a]);
    }
    const cluster = (await requireCluster(store, scope, clusterRef)).value.clusterName;
    for (;;) {
      const conditions = [];
      const ops = [];
      for (const [target, mine] of byTarget) {
        const cur = await findInstance(store, scope, cluster, target);
        if (!cur || cur.value.status === 'INACTIVE') fail('TargetNotFoundException', `Could not find container instance ${target} in cluster ${cluster}: check the targetId.`);
        const next = fn(cur.value.attributes, mine);
        if (next.filter((a) => isCustom(a.name)).length > MAX_CUSTOM_ATTRIBUTES) {
          fail('AttributeLimitExceededException', `A container instance can have at most ${MAX_CUSTOM_ATTRIBUTES} custom attributes; ${target} would have ${next.filter((a) => isCustom(a.name)).length}.`);
        }
        const key = keys.containerInstance(scope, cluster, cur.value.containerInstanceArn.split('/').pop()!);
        conditions.push({ key, modRevision: cur.modRevision });
        ops.push({ type: 'put' as const, key, value: JSON.stringify({ ...cur.value, attributes: next }) });
      }
      if ((await store.txn({ if: conditions, ops })).ok) {
        // AWS echoes the attributes as given (put-attributes in the AWS CLI examples).
        return attributes;
      }
    }
  };

  return {
    async PutAttributes(input: { cluster?: string; attributes: Attribute[] }, ctx: RequestContext) {
      return { attributes: await apply(ctx, input.cluster, input.attributes, (existing, mine) => mergeAttributes(existing, mine)) };
    },

    async DeleteAttributes(input: { cluster?: string; attributes: Attribute[] }, ctx: RequestContext) {
      return { attributes: await apply(ctx, input.cluster, input.attributes, (existing, mine) => existing.filter((a) => !mine.some((m) => m.name === a.name))) };
    },

    async ListAttributes(input: { cluster?: string; targetType: string; attributeName?: string; attributeValue?: string; nextToken?: string; maxResults?: number }, ctx: RequestContext) {
      const scope = scopeOf(ctx);
      if (input.attributeValue !== undefined && input.attributeName === undefined) fail('InvalidParameterException', 'Filtering by attributeValue needs attributeName as well.');
      const limit = pageSize(input.maxResults, 100);
      const cluster = (await requireCluster(store, scope, input.cluster)).value.clusterName;
      const prefix = keys.containerInstances(scope, cluster);
      // The token is the key of the last instance fully listed plus how many of its attributes were given.
      const [tokenKey, skipText] = input.nextToken === undefined ? [undefined, '0'] : splitToken(input.nextToken);
      const after = decodeToken(tokenKey, prefix);
      let skip = Number(skipText);
      const out: Attribute[] = [];
      // A cluster's instances are few (thousands at most): one read, resumed at the token's instance.
      const instances = await store.list(prefix);
      for (const kv of instances.items) {
        if (after !== undefined && kv.key < after) continue;
        const c = JSON.parse(kv.value) as ContainerInstanceRecord;
        if (c.status === 'INACTIVE') continue;
        const matching = c.attributes.filter((a) => (input.attributeName === undefined || a.name === input.attributeName) && (input.attributeValue === undefined || a.value === input.attributeValue));
        for (let i = skip; i < matching.length; i++) {
          if (out.length === limit) return { attributes: out, nextToken: `${encodeToken(kv.key)}.${i}` };
          // name, value and targetId, without targetType (list-attributes in the AWS CLI examples).
          out.push({ ...matching[i]!, targetId: c.containerInstanceArn });
        }
        skip = 0;
      }
      return { attributes: out };
    },
  };
}

function splitToken(token: string): [string, string] {
  const dot = token.lastIndexOf('.');
  const skip = token.slice(dot + 1);
  if (dot < 0 || !/^\d{1,4}$/.test(skip)) fail('InvalidParameterException', 'The nextToken is not valid. Pass the nextToken exactly as the previous ListAttributes call returned it.');
  return [token.slice(0, dot), skip];
}
