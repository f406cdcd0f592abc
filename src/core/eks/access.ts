/**
 * Access entries (EKS's API authentication mode): which IAM principals may use a cluster,
 * as which Kubernetes user, in which groups, with which access policies; and how the
 * principal behind a verified token becomes that user. Pure.
 *
 *   token's principal (root, IAM user, assumed role) ─▶ its entry's principalArn
 *     ─▶ access entry ─▶ username (templated: {{SessionName}}), kubernetesGroups (bound by RBAC)
 *     ─▶ associated policies ─▶ accessPolicies: the ClusterRole each stands for, and its scope
 *
 * EKS authorizes access policies in an authorizer of its own beside RBAC, each with the
 * permissions of a Kubernetes user-facing role (AmazonEKSClusterAdminPolicy: cluster-admin,
 * AmazonEKSAdminPolicy: admin, AmazonEKSEditPolicy: edit, AmazonEKSViewPolicy: view) over the
 * cluster or the scope's namespaces; the API server's authorizer (src/api/kube/rbac) does the
 * same. No user is put in system:masters: the cluster creator is an admin through the
 * AmazonEKSClusterAdminPolicy its entry gets (bootstrapClusterCreatorAdminPermissions).
 */
import { ApiError } from '../errors.ts';
import type { AccessPolicyGrant, KubeUser } from '../kube/user.ts';

export type AccessEntryType = 'STANDARD' | 'EC2_LINUX' | 'EC2_WINDOWS' | 'FARGATE_LINUX' | 'EC2' | 'HYBRID_LINUX' | 'HYPERPOD_LINUX';
const TYPES: readonly AccessEntryType[] = ['STANDARD', 'EC2_LINUX', 'EC2_WINDOWS', 'FARGATE_LINUX', 'EC2', 'HYBRID_LINUX', 'HYPERPOD_LINUX'];

/** The access policies EKS offers (ListAccessPolicies), by name. */
export const ACCESS_POLICIES = ['AmazonEKSAdminPolicy', 'AmazonEKSClusterAdminPolicy', 'AmazonEKSEditPolicy', 'AmazonEKSViewPolicy'] as const;
/** The Kubernetes ClusterRole whose permissions each access policy grants, as EKS documents them. */
export const POLICY_CLUSTER_ROLES: Readonly<Record<(typeof ACCESS_POLICIES)[number], AccessPolicyGrant['clusterRole']>> = {
  AmazonEKSClusterAdminPolicy: 'cluster-admin', AmazonEKSAdminPolicy: 'admin', AmazonEKSEditPolicy: 'edit', AmazonEKSViewPolicy: 'view',
};
export const POLICY_ARN_PREFIX = 'arn:aws:eks::aws:cluster-access-policy/';
/** Kubernetes groups an entry may name: not system: ones (EKS refuses them), at most this many (EKS: 100 groups per entry). */
export const MAX_KUBERNETES_GROUPS = 100;

export interface AccessScope {
  readonly type: 'cluster' | 'namespace';
  readonly namespaces?: readonly string[];
}

export interface AssociatedPolicy {
  readonly policyArn: string;
  readonly accessScope: AccessScope;
  readonly associatedAt: number;
  readonly modifiedAt: number;
}

export interface AccessEntryRecord {
  readonly clusterName: string;
  readonly principalArn: string;
  readonly kubernetesGroups: readonly string[];
  readonly accessEntryArn: string;
  readonly createdAt: number;
  readonly modifiedAt: number;
  readonly tags: Readonly<Record<string, string>>;
  readonly username: string;
  readonly type: AccessEntryType;
  readonly policies: readonly AssociatedPolicy[];
}

const ROLE = /^arn:aws[a-z-]*:iam::(\d{12}):role\/(?:[\w+=,.@-]+\/)*([\w+=,.@-]+)$/;
const USER = /^arn:aws[a-z-]*:iam::(\d{12}):user\/(?:[\w+=,.@-]+\/)*([\w+=,.@-]+)$/;
const ROOT = /^arn:aws[a-z-]*:iam::(\d{12}):root$/;

/** The username EKS gives an entry when none is said: the session ARN of a role (templated), the ARN of a user. */
export function defaultUsername(principalArn: string, type: AccessEntryType): string {
  if (type === 'EC2_LINUX' || type === 'EC2_WINDOWS' || type === 'HYBRID_LINUX') return 'system:node:{{EC2PrivateDNSName}}';
  if (type === 'FARGATE_LINUX') return 'system:node:{{SessionName}}';
  const role = ROLE.exec(principalArn);
  if (role) return `arn:aws:sts::${role[1]}:assumed-role/${role[2]}/{{SessionName}}`;
  return principalArn;
}

export interface NewAccessEntryInput {
  readonly principalArn: string;
  readonly kubernetesGroups?: readonly string[];
  readonly username?: string;
  readonly type?: string;
  readonly tags?: Record<string, string>;
}

export function newAccessEntry(clusterName: string, clusterArn: string, uid: string, input: NewAccessEntryInput, now: number): AccessEntryRecord {
  const type = (input.type ?? 'STANDARD') as AccessEntryType;
  if (!TYPES.includes(type)) throw new ApiError('InvalidParameterException', `type '${input.type}' is not valid. Use one of: ${TYPES.join(', ')}.`, { clusterName });
  if (!ROLE.test(input.principalArn) && !USER.test(input.principalArn) && !ROOT.test(input.principalArn)) {
    throw new ApiError('InvalidParameterException', `The principalArn '${input.principalArn}' is not an IAM role or user ARN.`, { clusterName });
  }
  const groups = checkGroups(input.kubernetesGroups ?? [], type, clusterName);
  const username = input.username ?? defaultUsername(input.principalArn, type);
  if (type === 'STANDARD' && username.startsWith('system:')) {
    throw new ApiError('InvalidParameterException', `The username '${username}' uses the reserved system: prefix; choose another name.`, { clusterName });
  }
  const [, , , , , resource] = clusterArn.split(':', 6) as string[];
  const id = uid.slice(0, 8);
  return {
    clusterName,
    principalArn: input.principalArn,
    kubernetesGroups: groups,
    accessEntryArn: `${clusterArn.replace(`:${resource}`, ':access-entry')}/${clusterName}/${principalKind(input.principalArn)}/${accountOf(input.principalArn)}/${nameOf(input.principalArn)}/${id}`,
    createdAt: now,
    modifiedAt: now,
    tags: input.tags ?? {},
    username,
    type,
    policies: [],
  };
}

export function checkGroups(groups: readonly string[], type: AccessEntryType, clusterName: string): string[] {
  if (groups.length > 0 && type !== 'STANDARD') {
    throw new ApiError('InvalidParameterException', `kubernetesGroups can be given only for access entries of type STANDARD; EKS sets the groups of ${type} entries.`, { clusterName });
  }
  if (groups.length > MAX_KUBERNETES_GROUPS) throw new ApiError('InvalidParameterException', `An access entry can have at most ${MAX_KUBERNETES_GROUPS} kubernetesGroups.`, { clusterName });
  for (const g of groups) {
    if (g.startsWith('system:')) throw new ApiError('InvalidParameterException', `The kubernetes group '${g}' uses the reserved system: prefix; name a group of your own and bind it with RBAC.`, { clusterName });
  }
  return [...new Set(groups)];
}

export function checkPolicyArn(policyArn: string, clusterName: string): void {
  if (!(ACCESS_POLICIES as readonly string[]).includes(policyArn.slice(POLICY_ARN_PREFIX.length)) || !policyArn.startsWith(POLICY_ARN_PREFIX)) {
    throw new ApiError('InvalidParameterException', `The policyArn '${policyArn}' is not an EKS access policy. Use one of ListAccessPolicies: ${ACCESS_POLICIES.map((p) => POLICY_ARN_PREFIX + p).join(', ')}.`, { clusterName });
  }
}

export function checkAccessScope(scope: { type?: string; namespaces?: string[] }, clusterName: string): AccessScope {
  if (scope.type !== 'cluster' && scope.type !== 'namespace') {
    throw new ApiError('InvalidParameterException', `accessScope.type must be cluster or namespace.`, { clusterName });
  }
  const namespaces = scope.namespaces ?? [];
  if (scope.type === 'namespace' && namespaces.length === 0) throw new ApiError('InvalidParameterException', 'An accessScope of type namespace needs at least one namespace.', { clusterName });
  if (scope.type === 'cluster' && namespaces.length > 0) throw new ApiError('InvalidParameterException', 'An accessScope of type cluster takes no namespaces.', { clusterName });
  return scope.type === 'namespace' ? { type: 'namespace', namespaces } : { type: 'cluster' };
}

/** The entry's policies after associating `policyArn` with `scope` (a second association replaces the scope). */
export function associatePolicy(entry: AccessEntryRecord, policyArn: string, scope: AccessScope, now: number): AccessEntryRecord {
  const existing = entry.policies.find((p) => p.policyArn === policyArn);
  const policy: AssociatedPolicy = { policyArn, accessScope: scope, associatedAt: existing?.associatedAt ?? now, modifiedAt: now };
  return { ...entry, modifiedAt: now, policies: [...entry.policies.filter((p) => p.policyArn !== policyArn), policy] };
}

/** The principal a token proved, as access entries name it. */
export interface TokenPrincipal {
  readonly kind: 'root' | 'assumed-role' | 'user';
  /** The caller's ARN (`arn:aws:sts::…:assumed-role/R/S`, a user's, the root's). */
  readonly arn: string;
  /** The entry's principalArn to look up: the role's ARN for an assumed role, else `arn`. */
  readonly entryArn: string;
  readonly accessKeyId: string;
  readonly sessionName?: string;
  /** aws:userid (`AROA…:session`, the account id for root). */
  readonly userId: string;
}

/** The Kubernetes user of a principal with this access entry, as EKS's authenticator shapes it. */
export function kubeUserOf(entry: AccessEntryRecord, p: TokenPrincipal): KubeUser {
  const session = p.sessionName ?? '';
  const username = entry.username.replaceAll('{{SessionName}}', session).replaceAll('{{AccessKeyID}}', p.accessKeyId).replaceAll('{{AccountID}}', accountOf(p.arn));
  const groups = [...entry.kubernetesGroups, 'system:authenticated'];
  const accessPolicies: AccessPolicyGrant[] = [];
  for (const x of entry.policies) {
    const clusterRole = POLICY_CLUSTER_ROLES[x.policyArn.slice(POLICY_ARN_PREFIX.length) as (typeof ACCESS_POLICIES)[number]];
    if (clusterRole === undefined) continue;
    accessPolicies.push(x.accessScope.type === 'cluster' ? { clusterRole } : { clusterRole, namespaces: [...(x.accessScope.namespaces ?? [])] });
  }
  return {
    username,
    uid: `aws-iam-authenticator:${accountOf(p.arn)}:${p.userId.split(':')[0]}`,
    groups,
    accessPolicies,
    extra: {
      accessKeyId: [p.accessKeyId],
      arn: [p.arn],
      canonicalArn: [p.entryArn],
      principalId: [p.userId.split(':')[0]!],
      ...(p.sessionName !== undefined && { sessionName: [p.sessionName] }),
    },
  };
}

function principalKind(arn: string): string {
  return ROLE.test(arn) ? 'role' : USER.test(arn) ? 'user' : 'root';
}

function accountOf(arn: string): string {
  return arn.split(':')[4] ?? '';
}

function nameOf(arn: string): string {
  const resource = arn.split(':').slice(5).join(':');
  return resource.slice(resource.lastIndexOf('/') + 1);
}

export function accessEntryView(e: AccessEntryRecord): Record<string, unknown> {
  return {
    clusterName: e.clusterName, principalArn: e.principalArn, kubernetesGroups: e.kubernetesGroups, accessEntryArn: e.accessEntryArn,
    createdAt: e.createdAt / 1000, modifiedAt: e.modifiedAt / 1000, tags: e.tags, username: e.username, type: e.type,
  };
}
