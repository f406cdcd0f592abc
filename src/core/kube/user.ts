/**
 * Who a Kubernetes request is from, once its bearer token is verified (the API server's
 * user.Info): what EKS tokens (src/core/eks/access.ts) and service account tokens
 * (src/identity/service-account-token.ts) both resolve to, and the API server authorizes.
 */
export interface KubeUser {
  readonly username: string;
  readonly uid?: string;
  readonly groups: readonly string[];
  /** The IAM ARN behind an EKS token, as `arn` (and `accessKeyId`, `sessionName`), as EKS sets them. */
  readonly extra?: Readonly<Record<string, readonly string[]>>;
  /**
   * The EKS access policies of the user's access entry, each as the Kubernetes ClusterRole it
   * stands for and its scope. EKS authorizes them in an authorizer of its own beside RBAC (not
   * through the cluster's RoleBindings), so they are part of who the user is, not objects.
   */
  readonly accessPolicies?: readonly AccessPolicyGrant[];
}

/** One associated access policy: the ClusterRole's permissions cluster-wide (no namespaces) or in these namespaces. */
export interface AccessPolicyGrant {
  readonly clusterRole: 'cluster-admin' | 'admin' | 'edit' | 'view';
  readonly namespaces?: readonly string[];
}
