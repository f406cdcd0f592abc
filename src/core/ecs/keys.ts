import type { Scope } from './scope.ts';

/**
 * The store key layout of ECS state. Every key starts with the account and region, so
 * one store holds many of each and an account's region can be listed or wiped at once.
 * Numbers in keys are zero-padded so that key order is numeric order.
 */
const base = (s: Scope) => `/ecs/${s.account}/${s.region}/`;

export const keys = {
  all: () => '/ecs/',
  scope: base,
  cluster: (s: Scope, name: string) => `${base(s)}clusters/${name}`,
  clusters: (s: Scope) => `${base(s)}clusters/`,
  family: (s: Scope, family: string) => `${base(s)}families/${family}`,
  families: (s: Scope) => `${base(s)}families/`,
  taskDefinition: (s: Scope, family: string, revision: number) => `${base(s)}taskdefs/${family}${REV}${pad(revision)}`,
  /** All revisions of one family, in revision order. */
  taskDefinitionsOf: (s: Scope, family: string) => `${base(s)}taskdefs/${family}${REV}`,
  taskDefinitions: (s: Scope) => `${base(s)}taskdefs/`,
  accountSetting: (s: Scope, principal: string, name: string) => `${base(s)}settings/${principal}/${name}`,
  accountSettings: (s: Scope) => `${base(s)}settings/`,
  containerInstance: (s: Scope, cluster: string, id: string) => `${base(s)}instances/${cluster}/${id}`,
  containerInstances: (s: Scope, cluster: string) => `${base(s)}instances/${cluster}/`,
  /** Every container instance of the account and region, of every cluster (EKS nodes: src/cluster/instance-records.ts). */
  allContainerInstances: (s: Scope) => `${base(s)}instances/`,
  task: (s: Scope, cluster: string, id: string) => `${base(s)}tasks/${cluster}/${id}`,
  tasks: (s: Scope, cluster: string) => `${base(s)}tasks/${cluster}/`,
  /** A task's status (what its agent reports) beside its spec at `task`: core/workload/task-store.ts owns both. */
  taskStatus: (s: Scope, cluster: string, id: string) => `${base(s)}task-status/${cluster}/${id}`,
  taskStatuses: (s: Scope, cluster: string) => `${base(s)}task-status/${cluster}/`,
  /** RunTask clientToken → the tasks it started (idempotency). */
  clientToken: (s: Scope, cluster: string, token: string) => `${base(s)}client-tokens/${cluster}/${token}`,
  clientTokens: (s: Scope) => `${base(s)}client-tokens/`,
  /** Bumped by every placement in a cluster, so concurrent placements never overbook an instance. */
  placementEpoch: (s: Scope, cluster: string) => `${base(s)}placement/${cluster}`,
  service: (s: Scope, cluster: string, name: string) => `${base(s)}services/${cluster}/${name}`,
  services: (s: Scope, cluster: string) => `${base(s)}services/${cluster}/`,
  /** Immutable service revisions (service-revision.ts); kept while the service record references them. */
  serviceRevision: (s: Scope, cluster: string, service: string, id: string) => `${base(s)}service-revisions/${cluster}/${service}/${id}`,
  serviceRevisions: (s: Scope, cluster: string, service: string) => `${base(s)}service-revisions/${cluster}/${service}/`,
  capacityProvider: (s: Scope, name: string) => `${base(s)}capacity-providers/${name}`,
  capacityProviders: (s: Scope) => `${base(s)}capacity-providers/`,
} as const;

/**
 * Separates a family from its revision. It sorts below every character a family may hold
 * ([A-Za-z0-9_-]), so listing the key range gives families in lexicographic order
 * ("a" before "a-b") and each family's revisions together, as ListTaskDefinitions sorts.
 */
const REV = '!';

/** Revisions go up to 1,000,000 per family (the ECS quota); ten digits leave room. */
export function pad(n: number): string {
  return String(n).padStart(10, '0');
}
