/**
 * The env vars only a placed, networked pod has, filled in where the kubelet would: on its
 * node, once the pod's network is up. The pod's spec is made before placement
 * (to-spec.ts), so a var reading spec.nodeName, status.hostIP(s), status.podIP(s) or a limit
 * the node's allocatable stands in for is left out of the container's env then
 * (`needsPlacement`); the agent, which knows its node, its address and the pod's, calls this
 * before it creates each container. Pure.
 *
 *   stored podSpec container env ─ in order ─▶ value       : `$(VAR)` expanded again
 *                                              fieldRef    : podFieldValue(…, placed)
 *                                              resourceRef : resourceValue(…, placed)
 *                                              key refs    : as resolved at create (the env made then)
 */
import type { TaskSpec, VolumeSpec } from '../../workload/spec.ts';
import { expand, podFieldValue, resourceValue, type PlacedFacts, type PodFields } from './env.ts';
import { podUid } from './to-spec.ts';

/** The pod's own fields, as the spec keeps them (the pod's uid is its task id's dashed form). */
type EnvVarSpec = TaskSpec['containers'][number]['env'][number];

export function podFieldsOf(spec: TaskSpec): PodFields | undefined {
  const k = spec.kube;
  if (!k) return undefined;
  return {
    name: k.name, namespace: k.namespace, uid: podUid(spec.id), labels: k.labels ?? {}, annotations: k.annotations ?? {},
    serviceAccountName: k.podSpec.serviceAccountName ?? 'default',
  };
}

/**
 * Container `name`'s environment with the placement-only vars filled in: `made` is the env the
 * spec was made with (ConfigMap and Secret values as read then). An ECS task's, or a
 * container the pod spec does not name, is `made` unchanged.
 */
export function placedEnv(spec: TaskSpec, name: string, made: readonly EnvVarSpec[], placed: PlacedFacts): EnvVarSpec[] {
  const pod = podFieldsOf(spec);
  const podSpec = spec.kube?.podSpec;
  const all = [...(podSpec?.initContainers ?? []), ...(podSpec?.containers ?? [])];
  const c = all.find((x) => x.name === name);
  if (!pod || !c) return [...made];
  const final = new Map(made.map((e) => [e.name, e.value]));
  const fromEnv = new Set((c.env ?? []).map((e) => e.name));
  // What envFrom set comes first, as containerEnv makes it; then env in order, as the kubelet does.
  const vars = new Map([...final].filter(([n]) => !fromEnv.has(n)));
  for (const e of c.env ?? []) {
    const from = e.valueFrom;
    let value: string | undefined;
    if (!from) value = expand(e.value ?? '', vars);
    else if (from.fieldRef) value = podFieldValue(from.fieldRef.fieldPath, pod, placed);
    else if (from.resourceFieldRef) {
      const rf = from.resourceFieldRef;
      const target = rf.containerName ? all.find((x) => x.name === rf.containerName) ?? c : c;
      value = resourceValue(target, rf.resource, rf.divisor, placed);
    } else value = final.get(e.name);
    if (value !== undefined) vars.set(e.name, value);
  }
  return [...vars].map(([n, value]) => ({ name: n, value }));
}

/**
 * The pod's volumes with the downwardAPI files only a placed pod can answer filled in (a
 * resourceFieldRef of a limit its container does not set reads as the node's allocatable),
 * as the kubelet writes them; every other volume and file as made. An ECS task's are unchanged.
 */
export function placedVolumes(spec: TaskSpec, placed: PlacedFacts): VolumeSpec[] {
  const podSpec = spec.kube?.podSpec;
  if (!podSpec) return spec.volumes;
  const all = [...(podSpec.initContainers ?? []), ...podSpec.containers];
  return spec.volumes.map((v) => {
    if (!('files' in v) || !v.files.items.some((i) => i.resourceField)) return v;
    const items = v.files.items.map((i) => {
      const rf = i.resourceField;
      const c = rf && all.find((x) => x.name === rf.container);
      if (!rf || !c) return i;
      return { ...i, content: Buffer.from(resourceValue(c, rf.resource, rf.divisor, placed) ?? '', 'utf8').toString('base64') };
    });
    return { ...v, files: { ...v.files, items } };
  });
}
