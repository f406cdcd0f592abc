/**
 * An EKS cluster as Berth keeps it, and how it answers DescribeCluster. Pure: ids, times
 * and certificates come in as arguments.
 *
 *   CreateCluster ─▶ CREATING ──(controller: API server listening)──▶ ACTIVE
 *                                                   UpdateClusterVersion ─▶ UPDATING ─▶ ACTIVE
 *   DeleteCluster (no node groups, no Fargate profiles) ─▶ DELETING ──(controller: closed)──▶ gone
 */
import { ApiError } from '../errors.ts';
import { checkClusterName, checkVersion, DEFAULT_KUBERNETES_VERSION, PLATFORM_VERSION } from './names.ts';
import type { EksScope } from './keys.ts';

export type ClusterStatus = 'CREATING' | 'ACTIVE' | 'DELETING' | 'FAILED' | 'UPDATING' | 'PENDING';
export type AuthenticationMode = 'API' | 'API_AND_CONFIG_MAP' | 'CONFIG_MAP';

/** The default service range of a cluster (EKS: 10.100.0.0/16 or 172.20.0.0/16 by VPC; Berth has no VPC to avoid). */
export const DEFAULT_SERVICE_CIDR = '10.100.0.0/16';
/** EKS's default for clusters made through the API without accessConfig. */
export const DEFAULT_AUTHENTICATION_MODE: AuthenticationMode = 'API_AND_CONFIG_MAP';
/** EKS's quota of clusters per account and region. */
export const MAX_CLUSTERS_PER_REGION = 100;
/** EKS's quotas per cluster: managed node groups, Fargate profiles. */
export const MAX_NODEGROUPS_PER_CLUSTER = 30;
export const MAX_FARGATE_PROFILES_PER_CLUSTER = 10;
/** Tags per resource (EKS: 50). */
export const MAX_TAGS = 50;

export interface VpcConfig {
  readonly subnetIds: readonly string[];
  readonly securityGroupIds: readonly string[];
  readonly clusterSecurityGroupId: string;
  readonly vpcId: string;
  readonly endpointPublicAccess: boolean;
  readonly endpointPrivateAccess: boolean;
  readonly publicAccessCidrs: readonly string[];
}

export interface ClusterRecord {
  readonly name: string;
  readonly arn: string;
  /** A stable id of this cluster's life (KubeClusterRef.uid; EKS's `id` is its own). */
  readonly uid: string;
  readonly createdAt: number;
  readonly version: string;
  readonly platformVersion: string;
  readonly roleArn: string;
  readonly status: ClusterStatus;
  /** `https://host:port` once the API server listens. */
  readonly endpoint?: string;
  /** The port the API server listens on, kept so a restart reopens it where clients know it. */
  readonly port?: number;
  /** base64 of the CA's PEM, as DescribeCluster answers it. */
  readonly caData: string;
  readonly resourcesVpcConfig: VpcConfig;
  readonly serviceIpv4Cidr: string;
  readonly logging: unknown;
  readonly bootstrapClusterCreatorAdminPermissions: boolean;
  readonly authenticationMode: AuthenticationMode;
  /** The IAM ARN of who created it: the first admin when bootstrapClusterCreatorAdminPermissions. */
  readonly creatorArn: string;
  /**
   * The service account token issuer (DescribeCluster's identity.oidc.issuer): EKS's form
   * until the API server listens, then its endpoint, where it answers OpenID discovery.
   */
  readonly oidcIssuer: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly clientRequestToken?: string;
  /** The id of the version update in progress (status UPDATING): the controller finishes it. */
  readonly pendingUpdate?: string;
}

/** The parts of CreateClusterRequest Berth keeps (validated by the model first). */
export interface CreateClusterInput {
  readonly name: string;
  readonly version?: string;
  readonly roleArn: string;
  readonly resourcesVpcConfig: { subnetIds?: string[]; securityGroupIds?: string[]; endpointPublicAccess?: boolean; endpointPrivateAccess?: boolean; publicAccessCidrs?: string[] };
  readonly kubernetesNetworkConfig?: { serviceIpv4Cidr?: string; ipFamily?: string };
  readonly logging?: unknown;
  readonly accessConfig?: { bootstrapClusterCreatorAdminPermissions?: boolean; authenticationMode?: AuthenticationMode };
  readonly tags?: Record<string, string>;
  readonly clientRequestToken?: string;
}

export interface NewClusterFacts {
  readonly scope: EksScope;
  readonly uid: string;
  /** 32 hex: the OIDC issuer's id and the VPC/security group ids Berth makes up. */
  readonly hexId: string;
  readonly now: number;
  readonly creatorArn: string;
  readonly caPem: string;
}

/** Service CIDRs EKS allows: an RFC 1918 block between /12 and /24 (EKS user guide). */
const CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

export function checkCreateCluster(input: CreateClusterInput): void {
  checkClusterName(input.name);
  if (input.version !== undefined) checkVersion(input.version, input.name);
  if (!/^arn:aws[a-z-]*:iam::\d{12}:role\/.+/.test(input.roleArn)) {
    throw new ApiError('InvalidParameterException', `roleArn '${input.roleArn}' is not an IAM role ARN (arn:aws:iam::<account>:role/<name>).`, { clusterName: input.name });
  }
  const cidr = input.kubernetesNetworkConfig?.serviceIpv4Cidr;
  if (cidr !== undefined) checkServiceCidr(cidr, input.name);
  checkTags(input.tags ?? {});
}

export function checkServiceCidr(cidr: string, clusterName: string): void {
  const m = CIDR.exec(cidr);
  const octets = m ? m.slice(1, 5).map(Number) : [];
  const prefix = m ? Number(m[5]) : -1;
  const private1918 = octets[0] === 10 || (octets[0] === 172 && octets[1]! >= 16 && octets[1]! <= 31) || (octets[0] === 192 && octets[1] === 168);
  if (!m || octets.some((o) => o > 255) || prefix < 12 || prefix > 24 || !private1918) {
    throw new ApiError('InvalidParameterException', `serviceIpv4Cidr '${cidr}' is not valid: give a block within 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16, between /12 and /24.`, { clusterName });
  }
}

export function checkTags(tags: Readonly<Record<string, string>>): void {
  const keys = Object.keys(tags);
  if (keys.length > MAX_TAGS) throw new ApiError('BadRequestException', `A resource can have at most ${MAX_TAGS} tags; this request has ${keys.length}.`);
  for (const k of keys) {
    if (k.length < 1 || k.length > 128) throw new ApiError('BadRequestException', `Tag key '${k}' must be 1 to 128 characters.`);
    if (k.toLowerCase().startsWith('aws:')) throw new ApiError('BadRequestException', `Tag key '${k}' uses the reserved prefix aws:.`);
    if ((tags[k] ?? '').length > 256) throw new ApiError('BadRequestException', `The value of tag '${k}' is longer than 256 characters.`);
  }
}

export function newClusterRecord(input: CreateClusterInput, f: NewClusterFacts): ClusterRecord {
  const vpc = input.resourcesVpcConfig;
  const short = f.hexId.slice(0, 17);
  return {
    name: input.name,
    arn: `arn:aws:eks:${f.scope.region}:${f.scope.account}:cluster/${input.name}`,
    uid: f.uid,
    createdAt: f.now,
    version: input.version ?? DEFAULT_KUBERNETES_VERSION,
    platformVersion: PLATFORM_VERSION,
    roleArn: input.roleArn,
    status: 'CREATING',
    caData: Buffer.from(f.caPem, 'utf8').toString('base64'),
    resourcesVpcConfig: {
      subnetIds: vpc.subnetIds ?? [],
      securityGroupIds: vpc.securityGroupIds ?? [],
      clusterSecurityGroupId: `sg-${short}`,
      vpcId: `vpc-${short}`,
      endpointPublicAccess: vpc.endpointPublicAccess ?? true,
      endpointPrivateAccess: vpc.endpointPrivateAccess ?? false,
      publicAccessCidrs: vpc.publicAccessCidrs ?? ['0.0.0.0/0'],
    },
    serviceIpv4Cidr: input.kubernetesNetworkConfig?.serviceIpv4Cidr ?? DEFAULT_SERVICE_CIDR,
    logging: input.logging ?? { clusterLogging: [{ types: ['api', 'audit', 'authenticator', 'controllerManager', 'scheduler'], enabled: false }] },
    bootstrapClusterCreatorAdminPermissions: input.accessConfig?.bootstrapClusterCreatorAdminPermissions ?? true,
    authenticationMode: input.accessConfig?.authenticationMode ?? DEFAULT_AUTHENTICATION_MODE,
    creatorArn: f.creatorArn,
    oidcIssuer: `https://oidc.eks.${f.scope.region}.amazonaws.com/id/${f.hexId.toUpperCase()}`,
    tags: input.tags ?? {},
    ...(input.clientRequestToken !== undefined && { clientRequestToken: input.clientRequestToken }),
  };
}

/** DescribeCluster's `cluster`: timestamps in epoch seconds, as REST-JSON answers them. */
export function clusterView(c: ClusterRecord): Record<string, unknown> {
  return {
    name: c.name,
    arn: c.arn,
    createdAt: c.createdAt / 1000,
    version: c.version,
    ...(c.endpoint !== undefined && c.status !== 'CREATING' && { endpoint: c.endpoint }),
    roleArn: c.roleArn,
    resourcesVpcConfig: c.resourcesVpcConfig,
    kubernetesNetworkConfig: { serviceIpv4Cidr: c.serviceIpv4Cidr, ipFamily: 'ipv4', elasticLoadBalancing: { enabled: false } },
    logging: c.logging,
    // The issuer is the API server's URL (it answers OpenID discovery), known once it listens.
    ...(c.status !== 'CREATING' && { identity: { oidc: { issuer: c.oidcIssuer } } }),
    status: c.status,
    certificateAuthority: { data: c.caData },
    ...(c.clientRequestToken !== undefined && { clientRequestToken: c.clientRequestToken }),
    platformVersion: c.platformVersion,
    tags: c.tags,
    health: { issues: [] },
    accessConfig: { bootstrapClusterCreatorAdminPermissions: c.bootstrapClusterCreatorAdminPermissions, authenticationMode: c.authenticationMode },
    upgradePolicy: { supportType: 'STANDARD' },
    deletionProtection: false,
  };
}

export function clusterNotFound(name: string): ApiError {
  return new ApiError('ResourceNotFoundException', `No cluster found for name: ${name}.`, { clusterName: name });
}
