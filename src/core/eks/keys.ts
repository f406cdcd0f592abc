/**
 * The store key layout of EKS state, per account and region like ECS's (core/ecs/keys.ts).
 * A cluster's node groups, Fargate profiles, access entries and updates sit under its
 * name; its keys (the CA's and the serving certificate's private keys) under its own
 * key, never part of an answer.
 */
export interface EksScope {
  readonly account: string;
  readonly region: string;
}

const base = (s: EksScope) => `/eks/${s.account}/${s.region}/`;

export const eksKeys = {
  all: () => '/eks/',
  clusters: (s: EksScope) => `${base(s)}clusters/`,
  cluster: (s: EksScope, name: string) => `${base(s)}clusters/${name}`,
  /** The cluster's private keys and certificates (pki.ts): read by its API server only. */
  secrets: (s: EksScope, name: string) => `${base(s)}secrets/${name}`,
  nodegroups: (s: EksScope, cluster: string) => `${base(s)}nodegroups/${cluster}/`,
  nodegroup: (s: EksScope, cluster: string, name: string) => `${base(s)}nodegroups/${cluster}/${name}`,
  fargateProfiles: (s: EksScope, cluster: string) => `${base(s)}fargate-profiles/${cluster}/`,
  fargateProfile: (s: EksScope, cluster: string, name: string) => `${base(s)}fargate-profiles/${cluster}/${name}`,
  accessEntries: (s: EksScope, cluster: string) => `${base(s)}access-entries/${cluster}/`,
  accessEntry: (s: EksScope, cluster: string, principalArn: string) => `${base(s)}access-entries/${cluster}/${encodeURIComponent(principalArn)}`,
  updates: (s: EksScope, cluster: string) => `${base(s)}updates/${cluster}/`,
  update: (s: EksScope, cluster: string, id: string) => `${base(s)}updates/${cluster}/${id}`,
  /** Everything of one cluster but its record (deleted with it). */
  clusterChildren: (s: EksScope, cluster: string) => [
    `${base(s)}nodegroups/${cluster}/`, `${base(s)}fargate-profiles/${cluster}/`, `${base(s)}access-entries/${cluster}/`, `${base(s)}updates/${cluster}/`,
  ],
} as const;

/** The scope of a cluster key (`/eks/<account>/<region>/clusters/<name>`), or undefined for any other key. */
export function clusterKeyScope(key: string): (EksScope & { name: string }) | undefined {
  const m = /^\/eks\/([^/]+)\/([^/]+)\/clusters\/([^/]+)$/.exec(key);
  return m ? { account: m[1]!, region: m[2]!, name: m[3]! } : undefined;
}
