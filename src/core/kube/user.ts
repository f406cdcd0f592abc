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
}
