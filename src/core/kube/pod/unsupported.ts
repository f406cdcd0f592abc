/**
 * What of a pod Berth cannot run yet, refused at create with a 422 naming the field and what
 * to do instead, rather than accepted and silently not done. One table: each entry is a test
 * on the defaulted pod and the sentence the user reads. When the agent learns one of these,
 * its row goes (and podToTaskSpec maps the field). Pure.
 */
import type { FieldError } from '../names.ts';
import { forbidden } from './field-errors.ts';
import { volumeTypes } from './validate.ts';
import type { Container, ContainerSecurityContext, Pod, PodSecurityContext } from './types.ts';

/** The volume types Berth has a backend for. */
export const SUPPORTED_VOLUMES = ['emptyDir', 'hostPath', 'configMap', 'secret', 'downwardAPI', 'projected'] as const;
/** Resources a container may ask for: what the placer reserves. */
const SUPPORTED_RESOURCES = new Set(['cpu', 'memory']);

const cannot = (field: string, what: string, instead: string): FieldError => forbidden(field, `Berth cannot run ${what} yet; ${instead}`);

function securityErrors(s: ContainerSecurityContext | undefined, field: string): FieldError[] {
  if (!s) return [];
  const errors: FieldError[] = [];
  if (s.allowPrivilegeEscalation === true && s.privileged !== true) errors.push(cannot(`${field}.allowPrivilegeEscalation`, 'privilege escalation outside a privileged container (no-new-privileges is always set)', 'remove it or set privileged'));
  if (s.seLinuxOptions) errors.push(cannot(`${field}.seLinuxOptions`, 'SELinux labels', 'remove seLinuxOptions'));
  if (s.windowsOptions) errors.push(cannot(`${field}.windowsOptions`, 'Windows containers', 'remove windowsOptions'));
  // The runtime always applies its default profile (Docker's): RuntimeDefault is what every container gets.
  if (s.seccompProfile?.type === 'Localhost' || s.seccompProfile?.type === 'Unconfined') {
    errors.push(cannot(`${field}.seccompProfile`, `a ${s.seccompProfile.type} seccomp profile (its default profile always applies)`, 'use RuntimeDefault'));
  }
  if (s.appArmorProfile && s.appArmorProfile.type !== 'RuntimeDefault') errors.push(cannot(`${field}.appArmorProfile`, 'an AppArmor profile other than RuntimeDefault', 'use RuntimeDefault'));
  if (s.procMount !== undefined && s.procMount !== 'Default') errors.push(cannot(`${field}.procMount`, 'an unmasked /proc', 'remove procMount'));
  return errors;
}

/**
 * The user a container runs as, from its security context over the pod's: Berth sets a
 * "uid:gid" and cannot read the image's user, so a group needs a user and runAsNonRoot needs
 * a non-zero runAsUser. Reported where the deciding field is written.
 */
function userErrors(c: Container, field: string, pod: PodSecurityContext | undefined): FieldError[] {
  const own = c.securityContext;
  const where = (k: 'runAsGroup' | 'runAsNonRoot') => (own?.[k] !== undefined ? `${field}.securityContext.${k}` : `spec.securityContext.${k}`);
  const user = own?.runAsUser ?? pod?.runAsUser;
  const group = own?.runAsGroup ?? pod?.runAsGroup;
  const nonRoot = own?.runAsNonRoot ?? pod?.runAsNonRoot;
  const errors: FieldError[] = [];
  if (group !== undefined && user === undefined) errors.push(cannot(where('runAsGroup'), 'a group without a user', 'set runAsUser too'));
  if (nonRoot === true && user === undefined) errors.push(cannot(where('runAsNonRoot'), "a check of the image's user", 'set runAsUser to a non-zero uid'));
  if (nonRoot === true && user === 0) errors.push(forbidden(where('runAsNonRoot'), 'runAsUser 0 breaks the non-root policy; set a non-zero runAsUser'));
  return errors;
}

function containerErrors(c: Container, field: string, pod: PodSecurityContext | undefined): FieldError[] {
  const errors: FieldError[] = [...userErrors(c, field, pod)];
  if (c.lifecycle) errors.push(cannot(`${field}.lifecycle`, 'postStart or preStop hooks', 'remove lifecycle (a container gets SIGTERM, then SIGKILL after terminationGracePeriodSeconds)'));
  if ((c.volumeDevices ?? []).length > 0) errors.push(cannot(`${field}.volumeDevices`, 'block volumes', 'remove volumeDevices'));
  if ((c.resources?.claims ?? []).length > 0) errors.push(cannot(`${field}.resources.claims`, 'dynamic resource claims', 'remove claims'));
  for (const [i, p] of (c.ports ?? []).entries()) {
    if (p.hostIP) errors.push(cannot(`${field}.ports[${i}].hostIP`, 'a host port bound to one address', 'remove hostIP'));
    if (p.protocol === 'SCTP') errors.push(cannot(`${field}.ports[${i}].protocol`, 'SCTP ports', 'use TCP or UDP'));
  }
  for (const [i, m] of (c.volumeMounts ?? []).entries()) {
    if (m.mountPropagation !== undefined && m.mountPropagation !== 'None') errors.push(cannot(`${field}.volumeMounts[${i}].mountPropagation`, `${m.mountPropagation} mount propagation`, 'remove mountPropagation'));
    if (m.recursiveReadOnly !== undefined && m.recursiveReadOnly !== 'Disabled') errors.push(cannot(`${field}.volumeMounts[${i}].recursiveReadOnly`, 'recursively read-only mounts', 'remove recursiveReadOnly'));
  }
  for (const [kind, list] of [['requests', c.resources?.requests], ['limits', c.resources?.limits]] as const) {
    for (const name of Object.keys(list ?? {})) {
      if (!SUPPORTED_RESOURCES.has(name)) errors.push(cannot(`${field}.resources.${kind}[${name}]`, `${name} as a resource (the placer reserves cpu and memory)`, `remove ${name}`));
    }
  }
  errors.push(...securityErrors(c.securityContext, `${field}.securityContext`));
  return errors;
}

/** The refusals for `pod` (defaulted): empty when Berth can run all of it. */
export function unsupportedErrors(pod: Pod): FieldError[] {
  const spec = pod.spec;
  if (!spec) return [];
  const errors: FieldError[] = [];
  const flags = [['hostPID', 'a shared host PID namespace'], ['hostIPC', 'a shared host IPC namespace'], ['shareProcessNamespace', 'a PID namespace shared by the pod'],
    ['setHostnameAsFQDN', 'a fully qualified hostname']] as const;
  if (spec.subdomain) errors.push(cannot('spec.subdomain', 'pod DNS names under a subdomain', 'remove subdomain'));
  for (const [f, what] of flags) if (spec[f] === true) errors.push(cannot(`spec.${f}`, what, `remove ${f}`));
  if (spec.hostUsers === false) errors.push(cannot('spec.hostUsers', 'a pod user namespace', 'remove hostUsers'));
  const fields = [['runtimeClassName', 'runtime classes'], ['topologySpreadConstraints', 'topology spread constraints'], ['readinessGates', 'readiness gates'],
    ['schedulingGates', 'scheduling gates'], ['resourceClaims', 'dynamic resource claims'], ['activeDeadlineSeconds', 'a pod deadline'], ['resources', 'pod-level resources']] as const;
  for (const [f, what] of fields) {
    const v = spec[f];
    if (v !== undefined && !(Array.isArray(v) && v.length === 0)) errors.push(cannot(`spec.${f}`, what, `remove ${f}`));
  }
  if (spec.os?.name !== undefined && spec.os.name !== 'linux') errors.push(cannot('spec.os.name', `${spec.os.name} pods (Berth's hosts are Linux)`, 'use linux'));
  if ((spec.dnsConfig?.options ?? []).length > 0) errors.push(cannot('spec.dnsConfig.options', 'resolver options', 'remove dnsConfig.options'));
  const ps = spec.securityContext;
  if (ps) {
    if (ps.fsGroup !== undefined || ps.fsGroupChangePolicy !== undefined) errors.push(cannot('spec.securityContext.fsGroup', 'volume ownership by group', 'remove fsGroup and make the files readable by runAsUser'));
    if ((ps.supplementalGroups ?? []).length > 0 || ps.supplementalGroupsPolicy !== undefined) errors.push(cannot('spec.securityContext.supplementalGroups', 'supplemental groups', 'remove supplementalGroups'));
    if (ps.seLinuxChangePolicy !== undefined) errors.push(cannot('spec.securityContext.seLinuxChangePolicy', 'SELinux relabelling', 'remove seLinuxChangePolicy'));
    errors.push(...securityErrors(ps, 'spec.securityContext'));
  }
  for (const [i, v] of (spec.volumes ?? []).entries()) {
    const field = `spec.volumes[${i}]`;
    for (const t of volumeTypes(v)) {
      if (!(SUPPORTED_VOLUMES as readonly string[]).includes(t)) errors.push(cannot(`${field}.${t}`, `${t} volumes`, `use one of ${SUPPORTED_VOLUMES.join(', ')}`));
    }
    if (v.emptyDir?.medium === 'Memory' || v.emptyDir?.medium === 'HugePages') errors.push(cannot(`${field}.emptyDir.medium`, 'memory-backed emptyDir volumes', 'remove medium (the volume is on the host disk)'));
    if (v.emptyDir?.sizeLimit !== undefined) errors.push(cannot(`${field}.emptyDir.sizeLimit`, 'a size limit on emptyDir', 'remove sizeLimit'));
    if (v.hostPath?.type) errors.push(cannot(`${field}.hostPath.type`, `hostPath type checks (${v.hostPath.type})`, 'remove type: the path is bound as it is'));
    for (const [j, s] of (v.projected?.sources ?? []).entries()) {
      if (s.clusterTrustBundle) errors.push(cannot(`${field}.projected.sources[${j}].clusterTrustBundle`, 'cluster trust bundles', 'project a configMap instead'));
    }
  }
  for (const [list, cs] of [['initContainers', spec.initContainers], ['containers', spec.containers]] as const) {
    for (const [i, c] of (cs ?? []).entries()) errors.push(...containerErrors(c, `spec.${list}[${i}]`, spec.securityContext));
  }
  return errors;
}
