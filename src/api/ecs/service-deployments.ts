/**
 * ListServiceDeployments, DescribeServiceDeployments, StopServiceDeployment,
 * DescribeServiceRevisions and ContinueServiceDeployment: thin. Service deployments live in
 * their service's record (core/ecs/service-deployment.ts), revisions one key each
 * (core/ecs/service-revision.ts); CreateService and UpdateService open them through
 * `withServiceDeployment`, the service reconciler moves them.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { fail } from '../../core/errors.ts';
import { keys } from '../../core/ecs/keys.ts';
import type { Scope } from '../../core/ecs/scope.ts';
import type { ServiceRecord } from '../../core/ecs/service.ts';
import {
  openServiceDeployment, requestRollback, revisionsDropped, serviceDeploymentBrief, serviceDeploymentView, startsDeployment, type ServiceDeploymentStatus,
} from '../../core/ecs/service-deployment.ts';
import { serviceNameOf } from '../../core/ecs/service-lifecycle.ts';
import { captureRevision, parseServiceChildArn, serviceRevisionView, type ServiceRevisionRecord } from '../../core/ecs/service-revision.ts';
import { clusterStateServiceCounts, type ServiceCountsSource } from './service-counts.ts';
import { decodeToken, encodeToken, pageSize } from '../../core/pagination.ts';
import { getJson, type Versioned } from '../../store/json.ts';
import type { Op, Store } from '../../store/store.ts';
import type { RequestContext } from '../aws/service.ts';
import { requireCluster } from './cluster-state.ts';
import { scopeOf, seconds, type EcsDeps } from './deps.ts';
import { resolveTaskDefinition } from './task-definitions.ts';

/** DescribeServiceDeployments and DescribeServiceRevisions take at most 20 ARNs (API reference). */
const MAX_DESCRIBE = 20;
/** ListServiceDeployments: maxResults 1-100, 20 when not given (API reference). */
const MAX_LIST = 100;
const DEFAULT_LIST = 20;

/** Where service deployment and revision ids come from: injected, so tests can name them. */
export interface ServiceDeploymentIds {
  /** The last part of a service deployment ARN: 22 characters of [A-Za-z0-9_-], as ECS's look. */
  serviceDeploymentId(): string;
  /** 19 digits, as ECS's service revision ids. */
  serviceRevisionId(): string;
}

export const randomServiceDeploymentIds: ServiceDeploymentIds = {
  serviceDeploymentId: () => randomBytes(16).toString('base64url'),
  serviceRevisionId: () => `${randomInt(1, 10)}${Array.from({ length: 18 }, () => randomInt(0, 10)).join('')}`,
};

/**
 * The record CreateService or UpdateService writes, with a service deployment and its
 * revision when `after` starts a deployment, and the store operations that go in the same
 * transaction: the new revision, the deletion of revisions no longer referenced (a new
 * service of a deleted one's name starts with none).
 */
export async function withServiceDeployment(store: Store, scope: Scope, cluster: string, before: ServiceRecord | undefined, after: ServiceRecord, ids: ServiceDeploymentIds, now: number): Promise<{ record: ServiceRecord; ops: Op[] }> {
  const ops: Op[] = [];
  if (before === undefined) ops.push({ type: 'deletePrefix', prefix: keys.serviceRevisions(scope, cluster, after.serviceName) });
  if (!startsDeployment(before, after)) return { record: after, ops };
  const revisionId = ids.serviceRevisionId();
  const record = openServiceDeployment(before, after, { serviceDeploymentId: ids.serviceDeploymentId(), revisionId }, now);
  const td = await resolveTaskDefinition(store, scope, record.taskDefinition);
  const revision = captureRevision(record, revisionId, td?.containerDefinitions ?? [], now);
  ops.push({ type: 'put', key: keys.serviceRevision(scope, cluster, after.serviceName, revisionId), value: JSON.stringify(revision) });
  for (const id of revisionsDropped(before, record)) ops.push({ type: 'delete', key: keys.serviceRevision(scope, cluster, after.serviceName, id) });
  return { record, ops };
}

/** Epoch seconds from a wire timestamp (JSON 1.1 sends epoch seconds; an ISO string is accepted too). */
function epochSeconds(v: number | string | undefined, field: string): number | undefined {
  if (v === undefined || typeof v === 'number') return v;
  const ms = Date.parse(v);
  if (Number.isNaN(ms)) fail('InvalidParameterException', `createdAt.${field} is not a timestamp: '${v}'. Give epoch seconds or an ISO 8601 date.`);
  return ms / 1000;
}

/** Revision task counts are counted from the service's counts by deployment (services.ts). */
export function serviceDeploymentOperations({ store, state }: Pick<EcsDeps, 'store' | 'state'>, newDeploymentId: () => string, countsOf: ServiceCountsSource = clusterStateServiceCounts(state)) {

  /** The service a deployment ARN names, and its entry; undefined when either is gone. */
  const lookup = async (scope: Scope, arn: string) => {
    const ref = parseServiceChildArn(arn, 'service-deployment', scope);
    if (!ref) return undefined;
    const s = await getJson<ServiceRecord>(store, keys.service(scope, ref.cluster, ref.service));
    const entry = s?.value.serviceDeployments?.find((e) => e.id === ref.id);
    return s && entry ? { ref, service: s, entry } : undefined;
  };
  const notFound = (arn: string): never => fail('ServiceDeploymentNotFoundException', `The service deployment ${arn} does not exist. List a service's deployments with ListServiceDeployments.`);

  return {
    async ListServiceDeployments(input: { service: string; cluster?: string; status?: ServiceDeploymentStatus[]; createdAt?: { before?: number | string; after?: number | string }; nextToken?: string; maxResults?: number }, ctx: RequestContext) {
      const scope = scopeOf(ctx);
      const limit = pageSize(input.maxResults, MAX_LIST, DEFAULT_LIST);
      const cluster = (await requireCluster(store, scope, input.cluster)).value.clusterName;
      const name = serviceNameOf(input.service, cluster);
      const s = name === undefined ? undefined : await getJson<ServiceRecord>(store, keys.service(scope, cluster, name));
      if (!s) fail('ServiceNotFoundException', `Service not found. No service '${input.service}' in cluster ${cluster}: list them with ListServices.`);
      const before = epochSeconds(input.createdAt?.before, 'before');
      const after = epochSeconds(input.createdAt?.after, 'after');
      const statuses = input.status?.length ? new Set(input.status) : undefined;
      const entries = (s.value.serviceDeployments ?? []).filter((e) => (!statuses || statuses.has(e.status))
        && (before === undefined || e.createdAt < before) && (after === undefined || e.createdAt > after));
      // The token names the last entry answered; entries are newest first and only ever prepended.
      const prefix = `${keys.service(scope, cluster, s.value.serviceName)}#`;
      const last = decodeToken(input.nextToken, prefix)?.slice(prefix.length);
      const start = last === undefined ? 0 : entries.findIndex((e) => e.id === last) + 1;
      if (last !== undefined && start === 0) fail('InvalidParameterException', 'The nextToken is not valid: the service deployment it continues from is no longer kept. Start the listing again without nextToken.');
      const page = entries.slice(start, start + limit);
      const more = start + limit < entries.length;
      return {
        serviceDeployments: page.map((e) => serviceDeploymentBrief(scope, cluster, s.value, e)),
        ...(more && { nextToken: encodeToken(`${prefix}${page[page.length - 1]!.id}`) }),
      };
    },

    async DescribeServiceDeployments(input: { serviceDeploymentArns: string[] }, ctx: RequestContext) {
      const scope = scopeOf(ctx);
      if (input.serviceDeploymentArns.length < 1 || input.serviceDeploymentArns.length > MAX_DESCRIBE) {
        fail('InvalidParameterException', `DescribeServiceDeployments takes 1 to ${MAX_DESCRIBE} service deployment ARNs; ${input.serviceDeploymentArns.length} were given.`);
      }
      const serviceDeployments = [];
      const failures = [];
      for (const arn of input.serviceDeploymentArns) {
        const found = await lookup(scope, arn);
        if (!found) {
          failures.push({ arn, reason: 'MISSING' });
          continue;
        }
        const counts = await countsOf(scope, found.ref.cluster, found.ref.service);
        serviceDeployments.push(serviceDeploymentView(scope, found.ref.cluster, found.service.value, found.entry, counts));
      }
      return { serviceDeployments, failures };
    },

    async StopServiceDeployment(input: { serviceDeploymentArn: string; stopType?: 'ABORT' | 'ROLLBACK' }, ctx: RequestContext) {
      const scope = scopeOf(ctx);
      const arn = input.serviceDeploymentArn;
      if ((await lookup(scope, arn)) === undefined) notFound(arn);
      if (input.stopType === 'ABORT') {
        fail('UnsupportedFeatureException', 'stopType ABORT is not supported: Berth stops a service deployment by rolling it back. Use stopType ROLLBACK.');
      }
      const deploymentId = newDeploymentId();
      for (;;) {
        const found = await lookup(scope, arn);
        if (!found) return notFound(arn);
        const { ref, service, entry } = found;
        const source = entry.sourceRevisionIds[0];
        const target = source === undefined ? undefined : (await getJson<ServiceRevisionRecord>(store, keys.serviceRevision(scope, ref.cluster, ref.service, source)))?.value;
        const next = requestRollback(service.value, entry, arn, target, deploymentId, seconds(ctx));
        if (next === service.value) return { serviceDeploymentArn: arn };
        if (await write(store, keys.service(scope, ref.cluster, ref.service), service, next)) return { serviceDeploymentArn: arn };
      }
    },

    async DescribeServiceRevisions(input: { serviceRevisionArns: string[] }, ctx: RequestContext) {
      const scope = scopeOf(ctx);
      if (input.serviceRevisionArns.length < 1 || input.serviceRevisionArns.length > MAX_DESCRIBE) {
        fail('InvalidParameterException', `DescribeServiceRevisions takes 1 to ${MAX_DESCRIBE} service revision ARNs; ${input.serviceRevisionArns.length} were given.`);
      }
      const serviceRevisions = [];
      const failures = [];
      for (const arn of input.serviceRevisionArns) {
        const ref = parseServiceChildArn(arn, 'service-revision', scope);
        const r = ref && (await getJson<ServiceRevisionRecord>(store, keys.serviceRevision(scope, ref.cluster, ref.service, ref.id)));
        if (ref && r) serviceRevisions.push(serviceRevisionView(scope, ref.cluster, ref.service, r.value));
        else failures.push({ arn, reason: 'MISSING' });
      }
      return { serviceRevisions, failures };
    },

    /** Berth runs no deployment lifecycle hooks, so no service deployment is ever paused at one. */
    async ContinueServiceDeployment(input: { serviceDeploymentArn: string; hookId: string; action?: string }, ctx: RequestContext) {
      const arn = input.serviceDeploymentArn;
      if ((await lookup(scopeOf(ctx), arn)) === undefined) notFound(arn);
      fail('InvalidParameterException', `No lifecycle hook '${input.hookId}' is waiting in the service deployment ${arn}: Berth runs no deployment lifecycle hooks, so a deployment never pauses for ContinueServiceDeployment. Stop a deployment with StopServiceDeployment.`);
    },
  };
}

async function write(store: Store, key: string, cur: Versioned<ServiceRecord>, next: ServiceRecord): Promise<boolean> {
  return (await store.txn({ if: [{ key, modRevision: cur.modRevision }], ops: [{ type: 'put', key, value: JSON.stringify(next) }] })).ok;
}
