import type { EksScope } from '../../core/eks/keys.ts';
import type { Store } from '../../store/store.ts';
import type { SigningKey } from '../../identity/service-account-token.ts';
import type { RequestContext } from '../aws/service.ts';

/** What the EKS operation modules need from the server. */
export interface EksDeps {
  readonly store: Store;
  /** The host names and IPs the clusters' API servers are dialled by (the control plane's address): their certificates name them. */
  readonly apiHosts: readonly string[];
  /** A new cluster's private keys (PEM) and certificate serials: cluster-keys.ts. */
  newClusterKeys(): ClusterKeys;
  /** A new cluster's service account signing key (RS256: identity/service-account-token.ts newSigningKey). */
  newServiceAccountKey(): Promise<SigningKey>;
  /** A random uuid (cluster uids, update ids). */
  newId(): string;
  /** 32 random hex digits (OIDC issuer ids, ARN suffixes). */
  newHex(): string;
}

export interface ClusterKeys {
  readonly caKey: string;
  readonly servingKey: string;
  readonly caSerial: string;
  readonly servingSerial: string;
}

/** What a cluster's API server needs that no answer shows: its keys and certificates. */
export interface ClusterSecrets {
  readonly caKey: string;
  readonly caCert: string;
  readonly servingKey: string;
  readonly servingCert: string;
  /**
   * The key service account tokens are signed with (TokenRequest, pods' projected tokens) and
   * checked against. Absent in clusters made before tokens: the cluster controller adds one
   * when it opens the cluster's API server (eks-cluster-job.ts).
   */
  readonly serviceAccountKey?: SigningKey;
}

export function scopeOf(ctx: RequestContext): EksScope {
  return { account: ctx.accountId, region: ctx.region };
}
