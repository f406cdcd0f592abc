import { ApiError } from '../errors.ts';
import { parseArn } from '../arn.ts';
import type { Tag } from './tags.ts';
import { ecsArn, type Scope } from './scope.ts';
import { HOST_ATTRIBUTE } from './fargate.ts';

export interface Resource {
  name: string;
  type: 'INTEGER' | 'STRINGSET' | 'LONG' | 'DOUBLE';
  integerValue?: number;
  longValue?: number;
  doubleValue?: number;
  stringSetValue?: string[];
}

export interface Attribute {
  name: string;
  value?: string;
  targetType?: 'container-instance';
  targetId?: string;
}

export type InstanceStatus = 'ACTIVE' | 'DRAINING' | 'INACTIVE' | 'REGISTERING' | 'DEREGISTERING' | 'REGISTRATION_FAILED';

/** A container instance as stored: the ContainerInstance shape of the ECS API. */
export interface ContainerInstanceRecord {
  containerInstanceArn: string;
  ec2InstanceId: string;
  version: number;
  versionInfo: Record<string, string>;
  remainingResources: Resource[];
  registeredResources: Resource[];
  status: InstanceStatus;
  agentConnected: boolean;
  runningTasksCount: number;
  pendingTasksCount: number;
  attributes: Attribute[];
  registeredAt: number;
  attachments: unknown[];
  tags: Tag[];
  capacityProviderName?: string;
  /**
   * Epoch ms its agent's session ended, while it has none: the instance-health
   * reconciler's clock. Written by the agent gateway. (Berth's own; not in the API.)
   */
  agentDisconnectedAt?: number;
  /**
   * What a Kubernetes user set on this host as a node of the EKS cluster that claimed it
   * (src/core/kube/node-view.ts): kept on the instance so a node has one record, one
   * resourceVersion and one watch stream. Berth's own; not in the API.
   */
  kubeNode?: KubeNodeFields;
  /**
   * The host's own address, as its agent said at its last hello (agent/host-address.ts): its
   * node's InternalIP and its pods' hostIP. Berth's own; not in the API (EC2 has it, ECS not).
   */
  agentAddress?: string;
}

/** The Kubernetes-only parts of a node (labels are the instance's custom attributes). */
export interface KubeNodeFields {
  /** The uid of the EKS cluster whose node it is: fields of another cluster's are not shown. */
  readonly clusterUid: string;
  readonly annotations?: Readonly<Record<string, string>>;
  readonly taints?: readonly NodeTaint[];
  /** Cordoned (`kubectl cordon`): takes no new pods; ECS tasks are not moved. */
  readonly unschedulable?: boolean;
}

export interface NodeTaint {
  readonly key: string;
  readonly value?: string;
  readonly effect: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
  readonly timeAdded?: string;
}

/** The ContainerInstance shape of the API: the record less Berth's own fields. */
export function containerInstanceView(c: ContainerInstanceRecord): Omit<ContainerInstanceRecord, 'agentDisconnectedAt' | 'kubeNode' | 'agentAddress'> {
  const { agentDisconnectedAt: _at, kubeNode: _node, agentAddress: _address, ...view } = c;
  return view;
}

/** Ports the ECS agent reserves on every instance: SSH, Docker, the agent's own. */
export const RESERVED_PORTS = ['22', '2375', '2376', '51678', '51679'];
/** Custom attributes per container instance (ECS service quotas). */
export const MAX_CUSTOM_ATTRIBUTES = 10;
/** Attributes in one PutAttributes/DeleteAttributes call (ECS API reference). */
export const MAX_ATTRIBUTES_PER_CALL = 10;
const ATTRIBUTE_NAME = /^[a-zA-Z0-9_\-./\\]{1,128}$/;
const ATTRIBUTE_VALUE = /^[a-zA-Z0-9_\-.@/\\: ]{1,128}$/;

/** What an instance identity document (EC2's, or the one a Berth agent writes) tells. */
export interface IdentityDocument {
  instanceId?: string;
  instanceType?: string;
  availabilityZone?: string;
  imageId?: string;
  architecture?: string;
  region?: string;
}

export function parseIdentityDocument(text: string | undefined): IdentityDocument {
  if (!text) return {};
  try {
    const doc = JSON.parse(text) as unknown;
    if (typeof doc === 'object' && doc !== null && !Array.isArray(doc)) return doc as IdentityDocument;
  } catch { /* refused below */ }
  throw new ApiError('InvalidParameterException', 'instanceIdentityDocument must be a JSON object such as {"instanceId":"i-0abc…","availabilityZone":"us-east-1a","instanceType":"m5.large"}.');
}

/** The attributes ECS derives from the instance itself, before the agent's own. */
export function builtInAttributes(doc: IdentityDocument): Attribute[] {
  const out: Attribute[] = [{ name: 'ecs.os-type', value: 'linux' }, { name: 'ecs.os-family', value: 'LINUX' }];
  if (doc.instanceType) out.push({ name: 'ecs.instance-type', value: doc.instanceType });
  if (doc.availabilityZone) out.push({ name: 'ecs.availability-zone', value: doc.availabilityZone });
  if (doc.imageId) out.push({ name: 'ecs.ami-id', value: doc.imageId });
  if (doc.architecture) out.push({ name: 'ecs.cpu-architecture', value: doc.architecture === 'x86_64' ? 'x86_64' : doc.architecture });
  return out;
}

/**
 * Registered resources with ECS's defaults: reserved ports added, UDP ports present, and
 * every resource with all three numeric values (0 when not given) as AWS answers them
 * (describe-container-instances in the AWS CLI examples).
 */
export function normaliseResources(given: readonly Resource[]): Resource[] {
  const byName = new Map(given.map((r) => [r.name, { ...r }]));
  const ports = byName.get('PORTS');
  byName.set('PORTS', { name: 'PORTS', type: 'STRINGSET', stringSetValue: [...new Set([...RESERVED_PORTS, ...(ports?.stringSetValue ?? [])])] });
  if (!byName.has('PORTS_UDP')) byName.set('PORTS_UDP', { name: 'PORTS_UDP', type: 'STRINGSET', stringSetValue: [] });
  for (const r of byName.values()) {
    if (r.type === 'INTEGER' && (r.integerValue === undefined || r.integerValue < 0)) throw new ApiError('InvalidParameterException', `Resource ${r.name} needs a non-negative integerValue.`);
  }
  return [...byName.values()].map((r) => ({
    name: r.name, type: r.type, doubleValue: r.doubleValue ?? 0, longValue: r.longValue ?? 0, integerValue: r.integerValue ?? 0,
    ...((r.type === 'STRINGSET' || r.stringSetValue !== undefined) && { stringSetValue: r.stringSetValue ?? [] }),
  }));
}

export function newContainerInstance(scope: Scope, cluster: string, id: string, input: {
  ec2InstanceId: string; resources: Resource[]; attributes: Attribute[]; versionInfo?: Record<string, string>; tags: Tag[];
}, nowSeconds: number): ContainerInstanceRecord {
  return {
    containerInstanceArn: ecsArn(scope, `container-instance/${cluster}/${id}`),
    ec2InstanceId: input.ec2InstanceId,
    version: 1,
    versionInfo: input.versionInfo ?? {},
    remainingResources: structuredClone(input.resources),
    registeredResources: input.resources,
    status: 'ACTIVE',
    agentConnected: false,
    runningTasksCount: 0,
    pendingTasksCount: 0,
    attributes: mergeAttributes([], input.attributes),
    registeredAt: nowSeconds,
    attachments: [],
    tags: input.tags,
  };
}

export function validateAttribute(a: Attribute): void {
  if (!ATTRIBUTE_NAME.test(a.name)) throw new ApiError('InvalidParameterException', `Attribute name '${a.name}' is not valid: use up to 128 letters, numbers, hyphens, underscores, slashes, back slashes or periods.`);
  if (a.value !== undefined && (!ATTRIBUTE_VALUE.test(a.value) || a.value.trim() !== a.value)) {
    throw new ApiError('InvalidParameterException', `The value of attribute '${a.name}' is not valid: use up to 128 letters, numbers, hyphens, underscores, periods, at signs, slashes, back slashes, colons or spaces, not starting or ending with a space.`);
  }
}

/**
 * Custom attributes are the ones ECS does not set itself; the host id Berth's agent sets
 * (HOST_ATTRIBUTE) is not one either, so it takes none of the user's MAX_CUSTOM_ATTRIBUTES.
 */
export function isCustom(name: string): boolean {
  return !name.startsWith('ecs.') && !name.startsWith('com.amazonaws.ecs.') && name !== HOST_ATTRIBUTE;
}

/**
 * Refuses an attribute only Berth's agent sets: the host id links an instance to the other
 * registration of its host (src/cluster/host-siblings.ts), whose capacity it then shares;
 * a caller who could set it could tie their instance to any host's Fargate capacity.
 */
export function refuseAgentAttribute(a: Attribute): void {
  if (a.name === HOST_ATTRIBUTE) {
    throw new ApiError('InvalidParameterException', `Attribute '${HOST_ATTRIBUTE}' is set by the Berth agent on its host's registrations and cannot be set or removed through the API: use another attribute name.`);
  }
}

export function mergeAttributes(existing: readonly Attribute[], add: readonly Attribute[]): Attribute[] {
  const byName = new Map(existing.map((a) => [a.name, a]));
  for (const a of add) byName.set(a.name, { name: a.name, ...(a.value !== undefined && { value: a.value }) });
  return [...byName.values()];
}

/** The instance id in a container-instance ARN or the id itself; and the cluster, when the ARN names one. */
export function parseInstanceRef(ref: string): { id: string; cluster?: string } {
  const arn = parseArn(ref);
  if (!arn) {
    if (!/^[a-zA-Z0-9-]{1,64}$/.test(ref)) throw new ApiError('InvalidParameterException', `'${ref}' is not a container instance id or ARN.`);
    return { id: ref };
  }
  const m = /^container-instance\/(?:([^/]+)\/)?([a-zA-Z0-9-]+)$/.exec(arn.resource);
  if (arn.service !== 'ecs' || !m) throw new ApiError('InvalidParameterException', `'${ref}' is not a container instance ARN: expected arn:aws:ecs:<region>:<account>:container-instance/<cluster>/<id>.`);
  return { id: m[2]!, ...(m[1] && { cluster: m[1] }) };
}
