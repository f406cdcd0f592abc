/**
 * A pod's volumes as task volumes: emptyDir → scratch, hostPath → hostPath, and configMap,
 * secret, downwardAPI and projected → files the control plane writes before any container
 * starts (items or every key, each file's mode the item's or the volume's defaultMode). A
 * ConfigMap or Secret that does not exist leaves its volume empty and the containers that
 * mount it waiting in ContainerCreating, with the kubelet's message, until the spec is made
 * again. Pure: reads and tokens are the caller's functions.
 */
import type { UnresolvedRef } from '../../workload/kube.ts';
import type { FileItem, VolumeSpec } from '../../workload/spec.ts';
import { DEFAULT_VOLUME_MODE } from './defaults.ts';
import { podFieldValue, resourceValue, type Lookups, type PodFields } from './env.ts';
import type { Container, DownwardAPIVolumeFile, KeyToPath, PodSpec, Volume } from './types.ts';

/** What a projected serviceAccountToken asks the token issuer for. */
export interface TokenRequest {
  namespace: string;
  serviceAccountName: string;
  podName: string;
  podUid: string;
  /** Empty: the API server's own audience. */
  audience: string;
  expirationSeconds: number;
}

export interface VolumeInputs extends Lookups {
  /** Issues a service account token bound to the pod (a JWT the Kubernetes API accepts). */
  token(request: TokenRequest): string;
}

const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');

interface Source { kind: 'configmap' | 'secret'; name: string; optional: boolean; items?: KeyToPath[] }

/** The files of one ConfigMap or Secret source, or a message when it cannot be read. */
function dataFiles(src: Source, mode: number, lookups: Lookups): { files: FileItem[]; error?: string } {
  const obj = src.kind === 'secret' ? lookups.secret(src.name) : lookups.configMap(src.name);
  if (!obj) return src.optional ? { files: [] } : { files: [], error: `${src.kind} "${src.name}" not found` };
  // Secret data is base64 already; a ConfigMap's data is text and its binaryData base64.
  const all = new Map<string, string>();
  for (const [k, v] of Object.entries(obj.data ?? {})) all.set(k, src.kind === 'secret' ? v : b64(v));
  for (const [k, v] of Object.entries(obj.binaryData ?? {})) all.set(k, v);
  if (!src.items) return { files: [...all].map(([path, content]) => ({ path, content, mode })) };
  const files: FileItem[] = [];
  for (const item of src.items) {
    const content = all.get(item.key);
    if (content === undefined) {
      if (!src.optional) return { files: [], error: `${src.kind} references non-existent config key: ${item.key}` };
      continue;
    }
    files.push({ path: item.path, content, mode: item.mode ?? mode });
  }
  return { files };
}

export interface VolumesResult {
  volumes: VolumeSpec[];
  unresolved: UnresolvedRef[];
}

/** The task volumes of a pod's (defaulted, validated) spec. */
export function podVolumes(spec: PodSpec, pod: PodFields, inputs: VolumeInputs): VolumesResult {
  const volumes: VolumeSpec[] = [];
  const unresolved: UnresolvedRef[] = [];
  const all = [...(spec.initContainers ?? []), ...spec.containers];
  const fail = (v: Volume, error: string) => {
    for (const c of all) {
      if ((c.volumeMounts ?? []).some((m) => m.name === v.name)) {
        unresolved.push({ container: c.name, reason: 'ContainerCreating', message: `MountVolume.SetUp failed for volume "${v.name}" : ${error}` });
      }
    }
  };
  for (const v of spec.volumes ?? []) {
    if (v.emptyDir) volumes.push({ name: v.name, scratch: {} });
    else if (v.hostPath) volumes.push({ name: v.name, hostPath: { path: v.hostPath.path } });
    else {
      const items: FileItem[] = [];
      const add = (r: { files: FileItem[]; error?: string }) => {
        if (r.error) fail(v, r.error);
        items.push(...r.files);
      };
      const fieldFile = (path: string, fieldPath: string, mode: number | undefined, defaultMode: number) =>
        ({ path, content: b64(podFieldValue(fieldPath, pod, undefined) ?? ''), mode: mode ?? defaultMode });
      const downwardFiles = (list: readonly DownwardAPIVolumeFile[] | undefined, defaultMode: number) => {
        for (const i of list ?? []) {
          if (i.fieldRef) items.push(fieldFile(i.path, i.fieldRef.fieldPath, i.mode, defaultMode));
          else if (i.resourceFieldRef) items.push(resourceFile(i, all, defaultMode));
        }
      };
      if (v.configMap) {
        const mode = v.configMap.defaultMode ?? DEFAULT_VOLUME_MODE;
        add(dataFiles({ kind: 'configmap', name: v.configMap.name ?? '', optional: v.configMap.optional === true, ...(v.configMap.items && { items: v.configMap.items }) }, mode, inputs));
      } else if (v.secret) {
        const mode = v.secret.defaultMode ?? DEFAULT_VOLUME_MODE;
        add(dataFiles({ kind: 'secret', name: v.secret.secretName ?? '', optional: v.secret.optional === true, ...(v.secret.items && { items: v.secret.items }) }, mode, inputs));
      } else if (v.downwardAPI) {
        const mode = v.downwardAPI.defaultMode ?? DEFAULT_VOLUME_MODE;
        downwardFiles(v.downwardAPI.items, mode);
      } else if (v.projected) {
        const mode = v.projected.defaultMode ?? DEFAULT_VOLUME_MODE;
        for (const s of v.projected.sources ?? []) {
          if (s.configMap) add(dataFiles({ kind: 'configmap', name: s.configMap.name ?? '', optional: s.configMap.optional === true, ...(s.configMap.items && { items: s.configMap.items }) }, mode, inputs));
          if (s.secret) add(dataFiles({ kind: 'secret', name: s.secret.name ?? '', optional: s.secret.optional === true, ...(s.secret.items && { items: s.secret.items }) }, mode, inputs));
          downwardFiles(s.downwardAPI?.items, mode);
          const t = s.serviceAccountToken;
          if (t) {
            const token = inputs.token({
              namespace: pod.namespace, serviceAccountName: pod.serviceAccountName, podName: pod.name, podUid: pod.uid,
              audience: t.audience ?? '', expirationSeconds: t.expirationSeconds ?? 3600,
            });
            items.push({ path: t.path, content: b64(token), mode });
          }
        }
      }
      volumes.push({ name: v.name, files: { items } });
    }
  }
  return { volumes, unresolved };
}

/**
 * A downwardAPI resourceFieldRef item's file: its value now when the container sets what it
 * reads, else a file the agent fills in once placed (the node's allocatable stands in for an
 * unset limit: `resourceField`).
 */
function resourceFile(i: DownwardAPIVolumeFile, all: readonly Container[], defaultMode: number): FileItem {
  const rf = i.resourceFieldRef!;
  const c = all.find((x) => x.name === rf.containerName);
  const mode = i.mode ?? defaultMode;
  const value = c ? resourceValue(c, rf.resource, rf.divisor, undefined) : '';
  if (value !== undefined) return { path: i.path, content: b64(value), mode };
  const divisor = rf.divisor === undefined ? undefined : String(rf.divisor as string | number);
  return { path: i.path, content: '', mode, resourceField: { container: rf.containerName ?? '', resource: rf.resource, ...(divisor !== undefined && { divisor }) } };
}
