/**
 * The core/v1 Service strategy of the API server, pure: defaults (type ClusterIP, session
 * affinity None, ports' protocol TCP and targetPort = port, single-stack IPv4, traffic
 * policies), what an update carries over that the client left out (the allocated cluster IP
 * and node ports, as the server's service REST does for `kubectl apply` and `replace`), and
 * validation with the server's messages. Addresses and node ports themselves are allocated by
 * service-allocation.ts, atomically with the write.
 */
import { isIP } from 'node:net';
import { labelErrors, nameErrors, type FieldError } from '../../core/kube/names.ts';

export interface ServicePort {
  name?: string;
  protocol?: string;
  port?: unknown;
  targetPort?: unknown;
  nodePort?: unknown;
  appProtocol?: string;
}

export interface ServiceSpec {
  type?: string;
  clusterIP?: string;
  clusterIPs?: string[];
  ports?: ServicePort[];
  selector?: Record<string, string>;
  sessionAffinity?: string;
  ipFamilies?: string[];
  ipFamilyPolicy?: string;
  internalTrafficPolicy?: string;
  externalTrafficPolicy?: string;
  externalName?: string;
  [field: string]: unknown;
}

export const SERVICE_TYPES = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'] as const;
const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];
const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Whether a service of this spec gets a cluster IP (not headless, not ExternalName). */
export function needsClusterIP(spec: ServiceSpec): boolean {
  return spec.type !== 'ExternalName' && spec.clusterIP !== 'None';
}

/** Whether its ports get node ports. */
export function needsNodePorts(spec: ServiceSpec): boolean {
  return spec.type === 'NodePort' || spec.type === 'LoadBalancer';
}

/** The service's spec with the API server's defaults; `old` is the stored service on an update. */
export function defaultService(spec: ServiceSpec, old: ServiceSpec | undefined): ServiceSpec {
  spec.type ??= 'ClusterIP';
  spec.sessionAffinity ??= 'None';
  if (old && spec.clusterIP !== old.clusterIP && JSON.stringify(spec.clusterIPs) === JSON.stringify(old.clusterIPs)) {
    // A change of clusterIP alone is a change of clusterIPs[0] (the server normalizes the pair).
    spec.clusterIPs = spec.clusterIP !== undefined && spec.clusterIP !== '' ? [spec.clusterIP] : undefined;
  }
  if (old && needsClusterIP(old) && needsClusterIP(spec)) {
    // An update that leaves the allocated address out keeps it (kubectl apply never sends it).
    if (spec.clusterIP === undefined || spec.clusterIP === '') spec.clusterIP = old.clusterIP;
    if (spec.clusterIPs === undefined || spec.clusterIPs.length === 0) spec.clusterIPs = old.clusterIPs;
  }
  if (spec.clusterIP === 'None' && (spec.clusterIPs === undefined || spec.clusterIPs.length === 0)) spec.clusterIPs = ['None'];
  if (spec.clusterIP === undefined && spec.clusterIPs !== undefined && spec.clusterIPs.length > 0) spec.clusterIP = spec.clusterIPs[0];
  if (spec.type !== 'ExternalName') {
    spec.ipFamilies ??= ['IPv4'];
    spec.ipFamilyPolicy ??= 'SingleStack';
    spec.internalTrafficPolicy ??= 'Cluster';
  }
  if (needsNodePorts(spec)) spec.externalTrafficPolicy ??= 'Cluster';
  for (const p of Array.isArray(spec.ports) ? spec.ports : []) {
    if (!isObj(p)) continue;
    p.protocol ??= 'TCP';
    if (p.targetPort === undefined || p.targetPort === 0 || p.targetPort === '') p.targetPort = p.port;
    if (old && needsNodePorts(spec) && (p.nodePort === undefined || p.nodePort === 0)) {
      // The node port a port had keeps with it (same port and protocol), as the server patches it back.
      const was = (old.ports ?? []).find((o) => o.port === p.port && (o.protocol ?? 'TCP') === p.protocol);
      if (typeof was?.nodePort === 'number') p.nodePort = was.nodePort;
    }
  }
  return spec;
}

const portNumberError = (field: string, v: unknown): FieldError | undefined =>
  typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= 65535 ? undefined
    : { reason: 'FieldValueInvalid', field, message: `Invalid value: ${JSON.stringify(v ?? 0)}: must be between 1 and 65535, inclusive` };

/** Errors of a service's spec (after defaulting), on create (`old` undefined) or update. */
export function serviceErrors(spec: ServiceSpec, old: ServiceSpec | undefined): FieldError[] {
  const errors: FieldError[] = [];
  const type = spec.type ?? 'ClusterIP';
  if (!(SERVICE_TYPES as readonly string[]).includes(type)) {
    errors.push({ reason: 'FieldValueNotSupported', field: 'spec.type', message: `Unsupported value: ${JSON.stringify(type)}: supported values: ${SERVICE_TYPES.map((t) => JSON.stringify(t)).join(', ')}` });
  }
  const ip = spec.clusterIP;
  if (ip !== undefined && ip !== '' && ip !== 'None' && isIP(ip) === 0) {
    errors.push({ reason: 'FieldValueInvalid', field: 'spec.clusterIPs[0]', message: `Invalid value: ${JSON.stringify(ip)}: must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)` });
  }
  if (ip === 'None' && needsNodePorts(spec)) {
    errors.push({ reason: 'FieldValueInvalid', field: 'spec.clusterIPs[0]', message: `Invalid value: "None": may not be set to 'None' for ${type} services` });
  }
  if (type === 'ExternalName' && (spec.externalName ?? '') === '') {
    errors.push({ reason: 'FieldValueRequired', field: 'spec.externalName', message: 'Required value' });
  }
  const ports = Array.isArray(spec.ports) ? spec.ports : [];
  if (ports.length === 0 && type !== 'ExternalName' && ip !== 'None') errors.push({ reason: 'FieldValueRequired', field: 'spec.ports', message: 'Required value' });
  const names = new Set<string>();
  ports.forEach((p, i) => {
    const at = `spec.ports[${i}]`;
    if (p === null || typeof p !== 'object') return;
    if (ports.length > 1 && (p.name ?? '') === '') errors.push({ reason: 'FieldValueRequired', field: `${at}.name`, message: 'Required value' });
    if (p.name !== undefined && p.name !== '') {
      errors.push(...nameErrors('label', p.name, `${at}.name`));
      if (names.has(p.name)) errors.push({ reason: 'FieldValueDuplicate', field: `${at}.name`, message: `Duplicate value: ${JSON.stringify(p.name)}` });
      names.add(p.name);
    }
    const portError = portNumberError(`${at}.port`, p.port);
    if (portError) errors.push(portError);
    if (!PROTOCOLS.includes(p.protocol ?? 'TCP')) {
      errors.push({ reason: 'FieldValueNotSupported', field: `${at}.protocol`, message: `Unsupported value: ${JSON.stringify(p.protocol)}: supported values: ${PROTOCOLS.map((x) => JSON.stringify(x)).join(', ')}` });
    }
    if (typeof p.targetPort === 'number') {
      const e = portNumberError(`${at}.targetPort`, p.targetPort);
      if (e) errors.push(e);
    } else if (typeof p.targetPort === 'string' && !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(p.targetPort)) {
      errors.push({ reason: 'FieldValueInvalid', field: `${at}.targetPort`, message: `Invalid value: ${JSON.stringify(p.targetPort)}: must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)` });
    }
    if (p.nodePort !== undefined && p.nodePort !== 0 && !needsNodePorts(spec)) {
      errors.push({ reason: 'FieldValueForbidden', field: `${at}.nodePort`, message: `Forbidden: may not be used when \`type\` is '${type}'` });
    }
  });
  if (spec.selector !== undefined) errors.push(...labelErrors(spec.selector, 'spec.selector'));
  if (spec.sessionAffinity !== undefined && !['None', 'ClientIP'].includes(spec.sessionAffinity)) {
    errors.push({ reason: 'FieldValueNotSupported', field: 'spec.sessionAffinity', message: `Unsupported value: ${JSON.stringify(spec.sessionAffinity)}: supported values: "ClientIP", "None"` });
  }
  if (old && type !== 'ExternalName' && old.type !== 'ExternalName') {
    const before = old.clusterIPs ?? (old.clusterIP ? [old.clusterIP] : []);
    const after = spec.clusterIPs ?? (spec.clusterIP ? [spec.clusterIP] : []);
    if (before.length > 0 && after.length > 0 && before[0] !== after[0]) {
      errors.push({ reason: 'FieldValueInvalid', field: 'spec.clusterIPs[0]', message: `Invalid value: []string{${after.map((a) => JSON.stringify(a)).join(', ')}}: may not change once set` });
    }
  }
  return errors;
}
