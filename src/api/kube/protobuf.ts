/**
 * Request bodies in the API server's protobuf encoding (`application/vnd.kubernetes.protobuf`),
 * which kubectl's typed commands send (`kubectl create configmap|secret|namespace|serviceaccount|token`):
 * the `k8s\0` magic, a runtime.Unknown envelope (typeMeta, raw), and the object's message in
 * raw. Decoded to the object's JSON form from a table of field numbers per message (the API's
 * generated.proto); answers stay JSON, which every client also accepts. Kinds without a table
 * answer 415, as they would for any unknown body format.
 */
import { badRequest, StatusError } from './status.ts';

/** How a field's value is read: scalar kinds, a nested message, a map, or a repeated field. */
type FieldType =
  /** `flag`: a non-pointer bool, which JSON omits when false (omitempty); `intOrString`: an IntOrString message. */
  | 'string' | 'bytes' | 'bool' | 'flag' | 'int' | 'time' | 'microtime' | 'intOrString'
  | { readonly message: string }
  | { readonly map: 'string' | 'bytes' }
  | { readonly repeated: 'string' | { readonly message: string } };

type Message = Readonly<Record<number, readonly [string, FieldType]>>;

const OBJECT_REFERENCE: Message = { 1: ['kind', 'string'], 2: ['namespace', 'string'], 3: ['name', 'string'], 4: ['uid', 'string'], 5: ['apiVersion', 'string'], 6: ['resourceVersion', 'string'], 7: ['fieldPath', 'string'] };

const MESSAGES: Readonly<Record<string, Message>> = {
  ObjectMeta: {
    1: ['name', 'string'], 2: ['generateName', 'string'], 3: ['namespace', 'string'], 5: ['uid', 'string'], 6: ['resourceVersion', 'string'],
    7: ['generation', 'int'], 8: ['creationTimestamp', 'time'], 9: ['deletionTimestamp', 'time'], 10: ['deletionGracePeriodSeconds', 'int'],
    11: ['labels', { map: 'string' }], 12: ['annotations', { map: 'string' }], 13: ['ownerReferences', { repeated: { message: 'OwnerReference' } }],
    14: ['finalizers', { repeated: 'string' }],
  },
  OwnerReference: { 1: ['kind', 'string'], 3: ['name', 'string'], 4: ['uid', 'string'], 5: ['apiVersion', 'string'], 6: ['controller', 'bool'], 7: ['blockOwnerDeletion', 'bool'] },
  ObjectReference: OBJECT_REFERENCE,
  LocalObjectReference: { 1: ['name', 'string'] },
  ConfigMap: { 1: ['metadata', { message: 'ObjectMeta' }], 2: ['data', { map: 'string' }], 3: ['binaryData', { map: 'bytes' }], 4: ['immutable', 'bool'] },
  Secret: { 1: ['metadata', { message: 'ObjectMeta' }], 2: ['data', { map: 'bytes' }], 3: ['type', 'string'], 4: ['stringData', { map: 'string' }], 5: ['immutable', 'bool'] },
  Namespace: { 1: ['metadata', { message: 'ObjectMeta' }], 2: ['spec', { message: 'NamespaceSpec' }], 3: ['status', { message: 'NamespaceStatus' }] },
  NamespaceSpec: { 1: ['finalizers', { repeated: 'string' }] },
  NamespaceStatus: { 1: ['phase', 'string'] },
  ServiceAccount: {
    1: ['metadata', { message: 'ObjectMeta' }], 2: ['secrets', { repeated: { message: 'ObjectReference' } }],
    3: ['imagePullSecrets', { repeated: { message: 'LocalObjectReference' } }], 4: ['automountServiceAccountToken', 'bool'],
  },
  Lease: { 1: ['metadata', { message: 'ObjectMeta' }], 2: ['spec', { message: 'LeaseSpec' }] },
  LeaseSpec: {
    1: ['holderIdentity', 'string'], 2: ['leaseDurationSeconds', 'int'], 3: ['acquireTime', 'microtime'], 4: ['renewTime', 'microtime'],
    5: ['leaseTransitions', 'int'], 6: ['strategy', 'string'], 7: ['preferredHolder', 'string'],
  },
  Event: {
    1: ['metadata', { message: 'ObjectMeta' }], 2: ['involvedObject', { message: 'ObjectReference' }], 3: ['reason', 'string'], 4: ['message', 'string'],
    5: ['source', { message: 'EventSource' }], 6: ['firstTimestamp', 'time'], 7: ['lastTimestamp', 'time'], 8: ['count', 'int'], 9: ['type', 'string'],
    10: ['eventTime', 'microtime'], 12: ['action', 'string'], 13: ['related', { message: 'ObjectReference' }], 14: ['reportingComponent', 'string'], 15: ['reportingInstance', 'string'],
  },
  EventSource: { 1: ['component', 'string'], 2: ['host', 'string'] },
  DeleteOptions: { 1: ['gracePeriodSeconds', 'int'], 2: ['preconditions', { message: 'Preconditions' }], 3: ['orphanDependents', 'bool'], 4: ['propagationPolicy', 'string'], 5: ['dryRun', { repeated: 'string' }] },
  Preconditions: { 1: ['uid', 'string'], 2: ['resourceVersion', 'string'] },
  Time: { 1: ['seconds', 'int'], 2: ['nanos', 'int'] },
  SelfSubjectAccessReview: { 1: ['metadata', { message: 'ObjectMeta' }], 2: ['spec', { message: 'SelfSubjectAccessReviewSpec' }] },
  SelfSubjectAccessReviewSpec: { 1: ['resourceAttributes', { message: 'ResourceAttributes' }], 2: ['nonResourceAttributes', { message: 'NonResourceAttributes' }] },
  ResourceAttributes: { 1: ['namespace', 'string'], 2: ['verb', 'string'], 3: ['group', 'string'], 4: ['version', 'string'], 5: ['resource', 'string'], 6: ['subresource', 'string'], 7: ['name', 'string'] },
  NonResourceAttributes: { 1: ['path', 'string'], 2: ['verb', 'string'] },
  SelfSubjectReview: { 1: ['metadata', { message: 'ObjectMeta' }] },
  // `kubectl create token` (authentication.k8s.io/v1 TokenRequest).
  TokenRequest: { 1: ['metadata', { message: 'ObjectMeta' }], 2: ['spec', { message: 'TokenRequestSpec' }], 3: ['status', { message: 'Empty' }] },
  TokenRequestSpec: { 1: ['audiences', { repeated: 'string' }], 3: ['boundObjectRef', { message: 'BoundObjectReference' }], 4: ['expirationSeconds', 'int'] },
  BoundObjectReference: { 1: ['kind', 'string'], 2: ['apiVersion', 'string'], 3: ['name', 'string'], 4: ['uid', 'string'] },
  // `kubectl create deployment|job|service`: the fields they fill (others are skipped).
  Service: { 1: ['metadata', { message: 'ObjectMeta' }], 2: ['spec', { message: 'ServiceSpec' }], 3: ['status', { message: 'Empty' }] },
  ServiceSpec: {
    1: ['ports', { repeated: { message: 'ServicePort' } }], 2: ['selector', { map: 'string' }], 3: ['clusterIP', 'string'], 4: ['type', 'string'],
    10: ['externalName', 'string'], 13: ['publishNotReadyAddresses', 'flag'],
  },
  ServicePort: { 1: ['name', 'string'], 2: ['protocol', 'string'], 3: ['port', 'int'], 4: ['targetPort', 'intOrString'], 5: ['nodePort', 'int'], 6: ['appProtocol', 'string'] },
  Deployment: { 1: ['metadata', { message: 'ObjectMeta' }], 2: ['spec', { message: 'DeploymentSpec' }], 3: ['status', { message: 'Empty' }] },
  DeploymentSpec: {
    1: ['replicas', 'int'], 2: ['selector', { message: 'LabelSelector' }], 3: ['template', { message: 'PodTemplateSpec' }], 4: ['strategy', { message: 'DeploymentStrategy' }],
    5: ['minReadySeconds', 'int'], 6: ['revisionHistoryLimit', 'int'], 7: ['paused', 'flag'], 9: ['progressDeadlineSeconds', 'int'],
  },
  DeploymentStrategy: { 1: ['type', 'string'], 2: ['rollingUpdate', { message: 'RollingUpdateDeployment' }] },
  RollingUpdateDeployment: { 1: ['maxUnavailable', 'intOrString'], 2: ['maxSurge', 'intOrString'] },
  Job: { 1: ['metadata', { message: 'ObjectMeta' }], 2: ['spec', { message: 'JobSpec' }], 3: ['status', { message: 'Empty' }] },
  JobSpec: {
    1: ['parallelism', 'int'], 2: ['completions', 'int'], 3: ['activeDeadlineSeconds', 'int'], 4: ['selector', { message: 'LabelSelector' }], 5: ['manualSelector', 'bool'],
    6: ['template', { message: 'PodTemplateSpec' }], 7: ['backoffLimit', 'int'], 8: ['ttlSecondsAfterFinished', 'int'], 9: ['completionMode', 'string'], 10: ['suspend', 'bool'],
  },
  LabelSelector: { 1: ['matchLabels', { map: 'string' }], 2: ['matchExpressions', { repeated: { message: 'LabelSelectorRequirement' } }] },
  LabelSelectorRequirement: { 1: ['key', 'string'], 2: ['operator', 'string'], 3: ['values', { repeated: 'string' }] },
  PodTemplateSpec: { 1: ['metadata', { message: 'ObjectMeta' }], 2: ['spec', { message: 'PodSpec' }] },
  PodSpec: {
    2: ['containers', { repeated: { message: 'Container' } }], 3: ['restartPolicy', 'string'], 4: ['terminationGracePeriodSeconds', 'int'], 5: ['activeDeadlineSeconds', 'int'],
    6: ['dnsPolicy', 'string'], 7: ['nodeSelector', { map: 'string' }], 8: ['serviceAccountName', 'string'], 10: ['nodeName', 'string'], 11: ['hostNetwork', 'flag'],
    12: ['hostPID', 'flag'], 13: ['hostIPC', 'flag'], 16: ['hostname', 'string'], 17: ['subdomain', 'string'], 19: ['schedulerName', 'string'],
    20: ['initContainers', { repeated: { message: 'Container' } }], 24: ['priorityClassName', 'string'],
  },
  Container: {
    1: ['name', 'string'], 2: ['image', 'string'], 3: ['command', { repeated: 'string' }], 4: ['args', { repeated: 'string' }], 5: ['workingDir', 'string'],
    6: ['ports', { repeated: { message: 'ContainerPort' } }], 7: ['env', { repeated: { message: 'EnvVar' } }], 8: ['resources', { message: 'Empty' }],
    13: ['terminationMessagePath', 'string'], 14: ['imagePullPolicy', 'string'], 16: ['stdin', 'flag'], 17: ['stdinOnce', 'flag'], 18: ['tty', 'flag'], 20: ['terminationMessagePolicy', 'string'],
  },
  ContainerPort: { 1: ['name', 'string'], 2: ['hostPort', 'int'], 3: ['containerPort', 'int'], 4: ['protocol', 'string'], 5: ['hostIP', 'string'] },
  EnvVar: { 1: ['name', 'string'], 2: ['value', 'string'] },
  IntOrString: { 1: ['type', 'int'], 2: ['intVal', 'int'], 3: ['strVal', 'string'] },
  /** A message whose fields these commands never fill (a status, empty resources): decoded as {}. */
  Empty: {},
  // `kubectl auth can-i --list`, and reviews of another user.
  SelfSubjectRulesReview: { 1: ['metadata', { message: 'ObjectMeta' }], 2: ['spec', { message: 'SelfSubjectRulesReviewSpec' }] },
  SelfSubjectRulesReviewSpec: { 1: ['namespace', 'string'] },
  SubjectAccessReview: { 1: ['metadata', { message: 'ObjectMeta' }], 2: ['spec', { message: 'SubjectAccessReviewSpec' }] },
  SubjectAccessReviewSpec: {
    1: ['resourceAttributes', { message: 'ResourceAttributes' }], 2: ['nonResourceAttributes', { message: 'NonResourceAttributes' }], 3: ['user', 'string'],
    4: ['groups', { repeated: 'string' }], 6: ['uid', 'string'],
  },
  // rbac.authorization.k8s.io/v1 (`kubectl create role|clusterrole|rolebinding|clusterrolebinding`).
  PolicyRule: { 1: ['verbs', { repeated: 'string' }], 2: ['apiGroups', { repeated: 'string' }], 3: ['resources', { repeated: 'string' }], 4: ['resourceNames', { repeated: 'string' }], 5: ['nonResourceURLs', { repeated: 'string' }] },
  Role: { 1: ['metadata', { message: 'ObjectMeta' }], 2: ['rules', { repeated: { message: 'PolicyRule' } }] },
  ClusterRole: { 1: ['metadata', { message: 'ObjectMeta' }], 2: ['rules', { repeated: { message: 'PolicyRule' } }], 3: ['aggregationRule', { message: 'AggregationRule' }] },
  AggregationRule: { 1: ['clusterRoleSelectors', { repeated: { message: 'LabelSelector' } }] },
  Subject: { 1: ['kind', 'string'], 2: ['apiGroup', 'string'], 3: ['name', 'string'], 4: ['namespace', 'string'] },
  RoleRef: { 1: ['apiGroup', 'string'], 2: ['kind', 'string'], 3: ['name', 'string'] },
  RoleBinding: { 1: ['metadata', { message: 'ObjectMeta' }], 2: ['subjects', { repeated: { message: 'Subject' } }], 3: ['roleRef', { message: 'RoleRef' }] },
  ClusterRoleBinding: { 1: ['metadata', { message: 'ObjectMeta' }], 2: ['subjects', { repeated: { message: 'Subject' } }], 3: ['roleRef', { message: 'RoleRef' }] },
};

export const PROTOBUF = 'application/vnd.kubernetes.protobuf';
const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

class Reader {
  pos = 0;
  readonly buf: Buffer;
  readonly end: number;
  constructor(buf: Buffer, start = 0, end = buf.length) {
    this.buf = buf;
    this.pos = start;
    this.end = end;
  }
  varint(): bigint {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (this.pos >= this.end) throw badRequest('protobuf: unexpected end of a varint');
      const b = this.buf[this.pos++]!;
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
    }
  }
  bytes(): Buffer {
    const len = Number(this.varint());
    if (this.pos + len > this.end) throw badRequest('protobuf: a field runs past the end of its message');
    const out = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return out;
  }
  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 1) this.pos += 8;
    else if (wire === 2) this.bytes();
    else if (wire === 5) this.pos += 4;
    else throw badRequest(`protobuf: unsupported wire type ${wire}`);
  }
}

/** Each (field number, wire type, reader at the value) of a message. */
function* fields(buf: Buffer): Generator<{ num: number; wire: number; r: Reader }> {
  const r = new Reader(buf);
  while (r.pos < r.end) {
    const tag = Number(r.varint());
    yield { num: tag >>> 3, wire: tag & 7, r };
  }
}

function toInt(v: bigint): number {
  return Number(BigInt.asIntN(64, v));
}

/** Go's zero time.Time (year 1), which it encodes for an unset timestamp. */
const GO_ZERO_TIME_SECONDS = -62135596800;

function timeOf(buf: Buffer, micro: boolean): string | undefined {
  const t = decodeMessage(buf, 'Time') as { seconds?: number; nanos?: number };
  if ((t.seconds ?? 0) <= GO_ZERO_TIME_SECONDS || t.seconds === undefined) return undefined;
  const ms = (t.seconds ?? 0) * 1000 + Math.floor((t.nanos ?? 0) / 1e6);
  const iso = new Date(ms).toISOString();
  return micro ? iso.replace(/\.(\d{3})Z$/, (_m, f: string) => `.${f}${String(Math.floor(((t.nanos ?? 0) / 1000) % 1000)).padStart(3, '0')}Z`) : iso.replace(/\.\d{3}Z$/, 'Z');
}

function decodeMessage(buf: Buffer, name: string): Record<string, unknown> {
  const spec = MESSAGES[name];
  if (!spec) throw new StatusError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml`);
  const out: Record<string, unknown> = {};
  for (const { num, wire, r } of fields(buf)) {
    const field = spec[num];
    if (!field) {
      r.skip(wire);
      continue;
    }
    const [key, type] = field;
    // Go encodes every non-pointer field, zero or not; its JSON omits the zero ones (omitempty).
    if (type === 'int') {
      const v = toInt(r.varint());
      if (v !== 0) out[key] = v;
    } else if (type === 'string') {
      const v = r.bytes().toString('utf8');
      if (v !== '') out[key] = v;
    } else if (type === 'time' || type === 'microtime') {
      const v = timeOf(r.bytes(), type === 'microtime');
      if (v !== undefined) out[key] = v;
    }
    else if (type === 'bool') out[key] = r.varint() !== 0n;
    else if (type === 'flag') {
      if (r.varint() !== 0n) out[key] = true;
    } else if (type === 'intOrString') {
      const v = decodeMessage(r.bytes(), 'IntOrString') as { type?: number; intVal?: number; strVal?: string };
      out[key] = v.type === 1 ? v.strVal ?? '' : v.intVal ?? 0;
    }
    else if (type === 'bytes') out[key] = r.bytes().toString('base64');
    else if ('message' in type) out[key] = decodeMessage(r.bytes(), type.message);
    else if ('map' in type) {
      const entry = r.bytes();
      let k = '';
      let v = '';
      for (const f of fields(entry)) {
        const b = f.r.bytes();
        if (f.num === 1) k = b.toString('utf8');
        else if (f.num === 2) v = type.map === 'bytes' ? b.toString('base64') : b.toString('utf8');
      }
      ((out[key] ??= {}) as Record<string, string>)[k] = v;
    } else {
      const item = type.repeated === 'string' ? r.bytes().toString('utf8') : decodeMessage(r.bytes(), type.repeated.message);
      ((out[key] ??= []) as unknown[]).push(item);
    }
  }
  return out;
}

/** The JSON form of a protobuf request body (apiVersion and kind from its envelope). */
export function decodeProtobuf(body: Buffer): Record<string, unknown> {
  if (body.length < MAGIC.length || !body.subarray(0, MAGIC.length).equals(MAGIC)) throw badRequest('protobuf: the body does not start with the k8s magic');
  let typeMeta: { apiVersion?: string; kind?: string } = {};
  let raw: Buffer | undefined;
  for (const { num, wire, r } of fields(body.subarray(MAGIC.length))) {
    if (num === 1 && wire === 2) {
      typeMeta = {};
      for (const f of fields(r.bytes())) {
        const s = f.r.bytes().toString('utf8');
        if (f.num === 1) typeMeta.apiVersion = s;
        else if (f.num === 2) typeMeta.kind = s;
      }
    } else if (num === 2 && wire === 2) raw = r.bytes();
    else r.skip(wire);
  }
  const object = decodeMessage(raw ?? Buffer.alloc(0), typeMeta.kind ?? '');
  return { ...(typeMeta.apiVersion && { apiVersion: typeMeta.apiVersion }), ...(typeMeta.kind && { kind: typeMeta.kind }), ...object };
}
