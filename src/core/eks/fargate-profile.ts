/**
 * Fargate profiles: which pods run on Fargate capacity (each in its own sandbox). A pod
 * matches a selector when its namespace is the selector's and it has every label the
 * selector names; a pod matching several profiles takes the first by name (EKS: "picks
 * one at random" is not what users can rely on; the name order is stable).
 *
 *   CreateFargateProfile ─▶ CREATING ─▶ ACTIVE      DeleteFargateProfile ─▶ DELETING ─▶ gone
 */
import { ApiError } from '../errors.ts';
import { checkChildName } from './names.ts';

export type FargateProfileStatus = 'CREATING' | 'ACTIVE' | 'DELETING' | 'CREATE_FAILED' | 'DELETE_FAILED';

/** EKS: at most 5 selectors per profile, at most 5 labels per selector. */
export const MAX_SELECTORS = 5;
export const MAX_SELECTOR_LABELS = 5;

export interface FargateSelector {
  readonly namespace: string;
  readonly labels?: Readonly<Record<string, string>>;
}

export interface FargateProfileRecord {
  readonly fargateProfileName: string;
  readonly fargateProfileArn: string;
  readonly clusterName: string;
  readonly createdAt: number;
  readonly podExecutionRoleArn: string;
  readonly subnets: readonly string[];
  readonly selectors: readonly FargateSelector[];
  readonly status: FargateProfileStatus;
  readonly tags: Readonly<Record<string, string>>;
}

export interface CreateFargateProfileInput {
  readonly fargateProfileName: string;
  readonly podExecutionRoleArn: string;
  readonly subnets?: string[];
  readonly selectors?: { namespace?: string; labels?: Record<string, string> }[];
  readonly tags?: Record<string, string>;
}

export function newFargateProfile(cluster: { name: string; arn: string }, input: CreateFargateProfileInput, id: string, now: number): FargateProfileRecord {
  const clusterName = cluster.name;
  const fargateProfileName = input.fargateProfileName;
  checkChildName('fargateProfileName', fargateProfileName, clusterName);
  const bad = (m: string) => new ApiError('InvalidParameterException', m, { clusterName, fargateProfileName });
  const selectors = input.selectors ?? [];
  if (selectors.length === 0) throw bad('A Fargate profile needs at least one selector: give selectors with a namespace (and optional labels).');
  if (selectors.length > MAX_SELECTORS) throw bad(`A Fargate profile can have at most ${MAX_SELECTORS} selectors; this one has ${selectors.length}.`);
  const checked = selectors.map((s, i): FargateSelector => {
    if (!s.namespace) throw bad(`selectors[${i}].namespace is required.`);
    const labels = s.labels ?? {};
    if (Object.keys(labels).length > MAX_SELECTOR_LABELS) throw bad(`selectors[${i}] has ${Object.keys(labels).length} labels; a selector can have at most ${MAX_SELECTOR_LABELS}.`);
    return Object.keys(labels).length > 0 ? { namespace: s.namespace, labels } : { namespace: s.namespace };
  });
  if (!/^arn:aws[a-z-]*:iam::\d{12}:role\/.+/.test(input.podExecutionRoleArn)) throw bad(`podExecutionRoleArn '${input.podExecutionRoleArn}' is not an IAM role ARN.`);
  return {
    fargateProfileName,
    fargateProfileArn: `${cluster.arn.replace(':cluster/', ':fargateprofile/')}/${fargateProfileName}/${id}`,
    clusterName,
    createdAt: now,
    podExecutionRoleArn: input.podExecutionRoleArn,
    subnets: input.subnets ?? [],
    selectors: checked,
    status: 'CREATING',
    tags: input.tags ?? {},
  };
}

/** Whether a pod of `namespace` with `labels` matches the selector. */
export function selectorMatches(s: FargateSelector, namespace: string, labels: Readonly<Record<string, string>>): boolean {
  if (s.namespace !== namespace) return false;
  return Object.entries(s.labels ?? {}).every(([k, v]) => labels[k] === v);
}

/**
 * The ACTIVE profile a pod runs on, or undefined when none matches (it runs on the node
 * groups' hosts). Profiles are tried in name order.
 */
export function fargateProfileFor(namespace: string, labels: Readonly<Record<string, string>>, profiles: readonly FargateProfileRecord[]): FargateProfileRecord | undefined {
  return [...profiles]
    .filter((p) => p.status === 'ACTIVE')
    .sort((a, b) => (a.fargateProfileName < b.fargateProfileName ? -1 : a.fargateProfileName > b.fargateProfileName ? 1 : 0))
    .find((p) => p.selectors.some((s) => selectorMatches(s, namespace, labels)));
}

export function fargateProfileView(p: FargateProfileRecord): Record<string, unknown> {
  return {
    fargateProfileName: p.fargateProfileName, fargateProfileArn: p.fargateProfileArn, clusterName: p.clusterName,
    createdAt: p.createdAt / 1000, podExecutionRoleArn: p.podExecutionRoleArn, subnets: p.subnets, selectors: p.selectors,
    status: p.status, tags: p.tags, health: { issues: [] },
  };
}

export function fargateProfileNotFound(clusterName: string, name: string): ApiError {
  return new ApiError('ResourceNotFoundException', `No Fargate Profile found with name: ${name}.`, { clusterName, fargateProfileName: name });
}
