/**
 * Service revisions (developer guide, "Amazon ECS service revisions"): the workload
 * configuration a service deployment deploys, captured when CreateService or an
 * UpdateService that starts a deployment is accepted. Immutable once written; a rollback
 * creates none (it goes back to an existing one). Stored one key each
 * (keys.serviceRevision), written in the same transaction as the service record that
 * names it, so a revision a deployment names always exists.
 */
import { ecsArn, type Scope } from './scope.ts';
import type { CapacityProviderStrategyItem, NetworkConfiguration, ServiceRecord } from './service.ts';

export interface ServiceRevisionRecord {
  /** 19 digits, as ECS's revision ids. */
  id: string;
  serviceArn: string;
  clusterArn: string;
  taskDefinition: string;
  capacityProviderStrategy?: CapacityProviderStrategyItem[];
  launchType?: 'EC2' | 'FARGATE' | 'EXTERNAL';
  platformVersion?: string;
  platformFamily?: string;
  networkConfiguration?: NetworkConfiguration;
  loadBalancers: unknown[];
  serviceRegistries: unknown[];
  /** The task definition's containers and images, as they were when the revision was made. */
  containerImages: { containerName: string; image: string }[];
  /** Epoch seconds. */
  createdAt: number;
}

/** `arn:aws:ecs:<region>:<account>:service-revision/<cluster>/<service>/<id>`. */
export function serviceRevisionArn(scope: Scope, cluster: string, service: string, id: string): string {
  return ecsArn(scope, `service-revision/${cluster}/${service}/${id}`);
}

/** What a revision or deployment ARN names, when it is one of `kind` in `scope`. */
export interface ServiceChildRef {
  cluster: string;
  service: string;
  id: string;
}

/** Parses `arn:aws:ecs:<region>:<account>:<kind>/<cluster>/<service>/<id>`; undefined for any other string or scope. */
export function parseServiceChildArn(arn: string, kind: 'service-revision' | 'service-deployment', scope: Scope): ServiceChildRef | undefined {
  const prefix = ecsArn(scope, `${kind}/`);
  if (!arn.startsWith(prefix)) return undefined;
  const parts = arn.slice(prefix.length).split('/');
  if (parts.length !== 3 || parts.some((p) => p === '')) return undefined;
  return { cluster: parts[0]!, service: parts[1]!, id: parts[2]! };
}

/** The revision of what `s` now runs (its task definition, launch, network), taken at `now`. */
export function captureRevision(s: ServiceRecord, id: string, containers: readonly { name: string; image: string }[], now: number): ServiceRevisionRecord {
  return {
    id,
    serviceArn: s.serviceArn,
    clusterArn: s.clusterArn,
    taskDefinition: s.taskDefinition,
    ...(s.capacityProviderStrategy !== undefined && { capacityProviderStrategy: s.capacityProviderStrategy }),
    ...(s.launchType !== undefined && { launchType: s.launchType }),
    ...(s.platformVersion !== undefined && { platformVersion: s.platformVersion }),
    ...(s.platformFamily !== undefined && { platformFamily: s.platformFamily }),
    ...(s.networkConfiguration !== undefined && { networkConfiguration: s.networkConfiguration }),
    loadBalancers: s.loadBalancers,
    serviceRegistries: s.serviceRegistries,
    containerImages: containers.map((c) => ({ containerName: c.name, image: c.image })),
    createdAt: now,
  };
}

/** The ServiceRevision shape of the ECS API. */
export function serviceRevisionView(scope: Scope, cluster: string, service: string, r: ServiceRevisionRecord) {
  return {
    serviceRevisionArn: serviceRevisionArn(scope, cluster, service, r.id),
    serviceArn: r.serviceArn,
    clusterArn: r.clusterArn,
    taskDefinition: r.taskDefinition,
    ...(r.capacityProviderStrategy !== undefined && { capacityProviderStrategy: r.capacityProviderStrategy }),
    ...(r.launchType !== undefined && { launchType: r.launchType }),
    ...(r.platformVersion !== undefined && { platformVersion: r.platformVersion }),
    ...(r.platformFamily !== undefined && { platformFamily: r.platformFamily }),
    loadBalancers: r.loadBalancers,
    serviceRegistries: r.serviceRegistries,
    ...(r.networkConfiguration !== undefined && { networkConfiguration: r.networkConfiguration }),
    containerImages: r.containerImages,
    // Berth has no Runtime Monitoring (GuardDuty).
    guardDutyEnabled: false,
    createdAt: r.createdAt,
  };
}
