/**
 * The seams between the three parts of Berth's Kubernetes front door, fixed first so each
 * can be built on its own (issue 17):
 *
 *   src/api/eks/ + src/core/eks/   the EKS API: clusters, their CA and endpoint, tokens
 *          │  opens one KubeApi per ACTIVE cluster through a KubeApiHost
 *          ▼
 *   src/api/kube/                  the Kubernetes API server of one cluster: HTTPS, discovery,
 *          │                       storage, watch, tables, Status errors
 *          │  asks the cluster's schemas for OpenAPI, validation and patches
 *          ▼
 *   src/api/kube/schema/           OpenAPI v2/v3, field validation, strategic merge patch,
 *                                  server-side apply and managedFields (pure)
 */
import type { Store } from '../../store/store.ts';
import type { SigningKey } from '../../identity/service-account-token.ts';

/** Who a request is from (the API server's user.Info): core's, shared with the token issuers. */
export type { KubeUser } from '../../core/kube/user.ts';
import type { KubeUser } from '../../core/kube/user.ts';

/**
 * Resolves a bearer token (an `aws eks get-token` token `k8s-aws-v1.…`, or a service account
 * token) to a user of this cluster, or undefined when it proves nothing (the server answers
 * 401). `now` is epoch milliseconds.
 */
export type Authenticate = (bearerToken: string, now: number) => Promise<KubeUser | undefined>;

/** One EKS cluster as its Kubernetes API server needs to know it. */
export interface KubeClusterRef {
  readonly account: string;
  readonly region: string;
  /** The EKS cluster name. */
  readonly name: string;
  /** A stable id of this cluster's life (a new cluster of the same name has another): its store keys use it. */
  readonly uid: string;
  /** The Kubernetes minor version it serves, as EKS names it: "1.32". */
  readonly version: string;
  /**
   * The range Services' cluster IPs come from (EKS's `kubernetesNetworkConfig.serviceIpv4Cidr`);
   * absent: EKS's default, 10.100.0.0/16.
   */
  readonly serviceIpv4Cidr?: string;
}

export interface KubeApiOptions {
  readonly cluster: KubeClusterRef;
  /**
   * PEM: the serving certificate (signed by the cluster's CA, with the listener's names and IPs)
   * and its key; `ca`, the cluster's CA certificate, which the controllers publish to every
   * namespace as `kube-root-ca.crt` (none given: not published).
   */
  readonly tls: { readonly cert: string; readonly key: string; readonly ca?: string };
  /** Where to listen. Port 0 picks a free one. */
  readonly host: string;
  readonly port: number;
  /**
   * The address pods reach the API server at (the `kubernetes` Service's endpoint): the server
   * listens there too, on the same port, once the address exists (an agent's pod bridge comes
   * up after the control plane). Absent: pods are sent to `host` (loopback for a wildcard),
   * which only the machine's own processes reach.
   */
  readonly inClusterHost?: string;
  readonly authenticate: Authenticate;
  /**
   * The cluster's service account token issuer: its signing key, and its issuer URL for the
   * port the server listens on (the cluster's endpoint, where the server answers OpenID
   * discovery). Absent: no TokenRequest, and only `authenticate`'s tokens are accepted.
   */
  readonly serviceAccounts?: ServiceAccountIssuer;
  readonly store: Store;
  /** Epoch milliseconds. */
  readonly now: () => number;
}

export interface ServiceAccountIssuer {
  readonly key: SigningKey;
  /** `https://<advertised host>:<port>`: the `iss` of every token, and DescribeCluster's `identity.oidc.issuer`. */
  issuerFor(port: number): string;
}

/** A running Kubernetes API server of one cluster. */
export interface KubeApi {
  /** `https://host:port`: the cluster's `endpoint` in DescribeCluster. */
  readonly url: string;
  close(): Promise<void>;
}

export type StartKubeApi = (options: KubeApiOptions) => Promise<KubeApi>;

/**
 * What the EKS side uses to serve its clusters: open a cluster's API server when it becomes
 * ACTIVE (and again at start-up for every ACTIVE cluster, on the port it had), close it
 * when the cluster is deleted.
 */
export interface KubeApiHost {
  open(options: Omit<KubeApiOptions, 'store' | 'now'>): Promise<KubeApi>;
  close(clusterUid: string): Promise<void>;
  /** Closes it and removes every object it kept (DeleteCluster); a host that keeps nothing may leave it out. */
  purge?(clusterUid: string): Promise<void>;
}

// ---- the schema side (src/api/kube/schema/) ----

export interface GroupVersionKind {
  /** '' for the core group. */
  readonly group: string;
  readonly version: string;
  readonly kind: string;
}

/** `fieldValidation` of a write: unknown or duplicate fields fail it, warn, or pass silently. */
export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

/** One entry of `metadata.managedFields`, as the API server writes it. */
export interface ManagedFieldsEntry {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  time: string;
  fieldsType: 'FieldsV1';
  fieldsV1: Record<string, unknown>;
  subresource?: string;
}

/** A field another manager owns, named as the API server's conflict message names it. */
export interface ApplyConflict {
  readonly manager: string;
  /** `.spec.replicas`, `.spec.template.spec.containers[name="web"].image`. */
  readonly field: string;
  /** The apiVersion of the other manager's entry: the message says `conflict with "m" using v1` (always set by BerthKubeSchemas). */
  readonly apiVersion?: string;
  /** The other manager's entry's subresource, when it wrote through one (`status`). */
  readonly subresource?: string;
}

/**
 * The schemas of the kinds one server serves, and everything that needs them. Pure: no I/O.
 * Errors are thrown as {@link KubeSchemaError} and the server turns them into Status objects.
 */
export interface KubeSchemas {
  /** The kinds it knows, so the server can check it serves nothing without a schema. */
  knows(gvk: GroupVersionKind): boolean;
  /** `/openapi/v2` for `served`. */
  openapiV2(served: readonly GroupVersionKind[]): object;
  /** `/openapi/v3`: the index of group-versions, each with its `serverRelativeURL`. */
  openapiV3Index(served: readonly GroupVersionKind[]): object;
  /** `/openapi/v3/<api|apis/group>/<version>`, or undefined when nothing is served there. */
  openapiV3(groupVersion: string, served: readonly GroupVersionKind[]): object | undefined;
  /**
   * Fields of `object` the schema does not have, as paths the API server writes them in
   * `unknown field "spec.replica"` (no leading dot; `containers[0].imagee` for list items).
   * Duplicates are not visible in a parsed object: for a JSON body, `duplicateFields(text)`
   * (schema/validate.ts) finds them in the text; YAML parsers report them themselves.
   */
  unknownFields(gvk: GroupVersionKind, object: unknown): string[];
  /** A strategic merge patch applied to `original` (patchStrategy / patchMergeKey / $patch directives). */
  strategicMerge(gvk: GroupVersionKind, original: object, patch: object): object;
  /**
   * Server-side apply: `applied` (a partial object) merged into `live` (undefined: create) for
   * `manager`, with managedFields updated; conflicts unless `force`, with `message` the API
   * server's 409 message (`Apply failed with 1 conflict: conflict with "m" using v1: .data.a`).
   */
  apply(gvk: GroupVersionKind, live: object | undefined, applied: object, manager: string, force: boolean, now: Date, subresource?: string):
    { object: object } | { conflicts: ApplyConflict[]; message?: string };
  /** managedFields after an ordinary write (create, update, patch) by `manager`. */
  managedFieldsAfterUpdate(gvk: GroupVersionKind, before: object | undefined, after: object, manager: string, now: Date, subresource?: string): ManagedFieldsEntry[];
}

/** A request the schemas refuse: the server answers it with this code, reason and message. */
export class KubeSchemaError extends Error {
  readonly code: 400 | 409 | 415 | 422;
  readonly reason: 'BadRequest' | 'Conflict' | 'UnsupportedMediaType' | 'Invalid';
  constructor(code: KubeSchemaError['code'], reason: KubeSchemaError['reason'], message: string) {
    super(message);
    this.code = code;
    this.reason = reason;
  }
}
