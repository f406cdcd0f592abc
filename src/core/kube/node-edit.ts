/**
 * What a Kubernetes write of a Node changes on its container instance (pure). A user may
 * change what they could on a real node that Berth does not derive:
 *
 * - labels other than the derived ones (derivedLabels) become the instance's custom ECS
 *   attributes, so placement constraints and nodeSelectors select the same hosts; a label ECS
 *   cannot keep (a name over 128 characters, an `ecs.` name, more than ECS's custom attribute
 *   quota) is the API server's 422 Invalid. An empty label value is an attribute without one.
 *   Changing or removing a derived label is 422 too: Berth reads those from the host.
 * - annotations (the derived instance annotation is kept whatever is sent), taints and
 *   `spec.unschedulable` (kubectl cordon) are the instance's `kubeNode` fields. A cordon is
 *   the node's alone: ECS's DRAINING, which moves services' tasks, is not set. An instance
 *   DRAINING in ECS is a cordoned node and cannot be uncordoned from Kubernetes (422: set it
 *   ACTIVE in ECS).
 * - status, and the spec fields Berth derives (providerID), are the view's: status is ignored
 *   (the API server resets a client's status on the main resource), a changed providerID is
 *   the server's Forbidden.
 * - finalizers, owner references and managedFields are not kept: nothing holds a node's
 *   deletion, and field ownership of nodes is not tracked.
 */
import { isCustom, MAX_CUSTOM_ATTRIBUTES, type Attribute, type ContainerInstanceRecord, type KubeNodeFields, type NodeTaint } from '../ecs/container-instance.ts';
import { labelErrors, type FieldError } from './names.ts';
import { derivedLabels, INSTANCE_ANNOTATION, isLabelAttribute, kubeFieldsOf, nodeView, UNSCHEDULABLE_TAINT, type NodeFacts } from './node-view.ts';

/** Longest ECS attribute name (and value): a label kept as one can be no longer. */
export const ATTRIBUTE_MAX = 128;
/** The API server's limit on all of an object's annotations together. */
export const ANNOTATIONS_MAX_BYTES = 256 * 1024;

/**
 * A written node's annotations that are the user's (those `derived` names are Berth's own and
 * are dropped), checked as the API server checks them: string values, their total size bounded.
 */
export function userAnnotations(written: Record<string, unknown> | undefined, derived: (key: string) => boolean, errors: FieldError[]): Record<string, string> {
  const annotations: Record<string, string> = {};
  let bytes = 0;
  for (const [key, value] of Object.entries(written ?? {})) {
    if (derived(key)) continue;
    if (typeof value !== 'string') {
      errors.push({ reason: 'FieldValueInvalid', field: 'metadata.annotations', message: `Invalid value: ${JSON.stringify(String(value))}: an annotation value must be a string` });
      continue;
    }
    annotations[key] = value;
    bytes += key.length + value.length;
  }
  if (bytes > ANNOTATIONS_MAX_BYTES) errors.push({ reason: 'FieldValueTooLong', field: 'metadata.annotations', message: `Too long: must have at most ${ANNOTATIONS_MAX_BYTES} bytes` });
  return annotations;
}
/** Taints per node Berth keeps (a node has a handful; the bound keeps the instance record small). */
export const MAX_TAINTS = 50;

const EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];

export interface NodeWrite {
  readonly metadata: { labels?: Record<string, unknown>; annotations?: Record<string, unknown> };
  readonly spec?: { unschedulable?: unknown; taints?: unknown; providerID?: unknown };
}

const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const forbidden = (field: string, message: string): FieldError => ({ reason: 'FieldValueForbidden', field, message: `Forbidden: ${message}` });

/** The instance record after `next` is written to its node, or the field errors that refuse it. */
export function editNode(ci: ContainerInstanceRecord, facts: NodeFacts, next: NodeWrite): { record: ContainerInstanceRecord } | { errors: FieldError[] } {
  const errors: FieldError[] = [];
  const current = nodeView(ci, facts);
  const labels = next.metadata.labels ?? {};
  errors.push(...labelErrors(labels));
  const derived = derivedLabels(ci, facts);
  for (const [key, value] of Object.entries(derived)) {
    if (labels[key] !== value) errors.push(forbidden('metadata.labels', `label ${JSON.stringify(key)} is set by Berth from the container instance and cannot be changed or removed`));
  }
  const added: Attribute[] = [];
  for (const [key, value] of Object.entries(labels)) {
    if (key in derived || typeof value !== 'string') continue;
    if (!isCustom(key)) errors.push(forbidden('metadata.labels', `label ${JSON.stringify(key)} names an attribute ECS sets itself; labels are kept as the container instance's custom ECS attributes: choose another name`));
    else if (key.length > ATTRIBUTE_MAX) errors.push({ reason: 'FieldValueInvalid', field: 'metadata.labels', message: `Invalid value: ${JSON.stringify(key)}: must be no more than ${ATTRIBUTE_MAX} characters to be kept as the container instance's custom ECS attribute` });
    else added.push({ name: key, ...(value !== '' && { value }) });
  }
  // Attributes not shown as labels (ECS's own, the node group's, ones no label can spell) stay as they are.
  const attributes = [...ci.attributes.filter((a) => !isLabelAttribute(a, derived)), ...added];
  const customCount = attributes.filter((a) => isCustom(a.name)).length;
  if (customCount > MAX_CUSTOM_ATTRIBUTES) {
    errors.push(forbidden('metadata.labels', `labels are kept as the container instance's custom ECS attributes, of which it can have at most ${MAX_CUSTOM_ATTRIBUTES} (its node group's count too); this node would have ${customCount}: remove some labels, or attributes with aws ecs delete-attributes`));
  }

  const annotations = userAnnotations(next.metadata.annotations, (key) => key === INSTANCE_ANNOTATION, errors);

  const spec = isObj(next.spec) ? next.spec : {};
  if (spec.providerID !== undefined && spec.providerID !== current.spec.providerID) {
    errors.push(forbidden('spec.providerID', 'node updates may not change providerID except from "" to valid'));
  }
  const taints = taintsOf(spec.taints, errors);
  const wantsCordon = spec.unschedulable === true;
  if (spec.unschedulable !== undefined && typeof spec.unschedulable !== 'boolean') {
    errors.push({ reason: 'FieldValueInvalid', field: 'spec.unschedulable', message: `Invalid value: ${JSON.stringify(spec.unschedulable)}: must be a boolean` });
  }
  const kube = kubeFieldsOf(ci, facts.clusterUid);
  if (!wantsCordon && ci.status === 'DRAINING') {
    errors.push(forbidden('spec.unschedulable', `container instance ${ci.containerInstanceArn} is DRAINING in ECS, which keeps its node unschedulable: set it ACTIVE (aws ecs update-container-instances-state --status ACTIVE) to uncordon the node`));
  }
  if (errors.length > 0) return { errors };
  // While DRAINING the node shows unschedulable whatever the cordon: a write that carries it back keeps the cordon as it was.
  const unschedulable = ci.status === 'DRAINING' ? kube?.unschedulable === true : wantsCordon;
  const fields: KubeNodeFields = {
    clusterUid: facts.clusterUid,
    ...(Object.keys(annotations).length > 0 && { annotations }),
    ...(taints.length > 0 && { taints }),
    ...(unschedulable && { unschedulable: true }),
  };
  const { kubeNode: _old, ...rest } = ci;
  const keep = fields.annotations !== undefined || fields.taints !== undefined || fields.unschedulable === true;
  return { record: { ...rest, attributes, ...(keep && { kubeNode: fields }) } };
}

/** The taints a write gives, less the derived cordon taint; errors as the server words them. */
function taintsOf(given: unknown, errors: FieldError[]): NodeTaint[] {
  if (given === undefined || given === null) return [];
  if (!Array.isArray(given)) {
    errors.push({ reason: 'FieldValueInvalid', field: 'spec.taints', message: 'Invalid value: "": must be a list of taints' });
    return [];
  }
  const out: NodeTaint[] = [];
  const seen = new Set<string>();
  for (const [i, t] of given.entries()) {
    const field = `spec.taints[${i}]`;
    if (!isObj(t) || typeof t.key !== 'string') {
      errors.push({ reason: 'FieldValueRequired', field: `${field}.key`, message: 'Required value' });
      continue;
    }
    if (t.key === UNSCHEDULABLE_TAINT) continue;
    const value = typeof t.value === 'string' ? t.value : '';
    errors.push(...labelErrors({ [t.key]: value }, `${field}.key`));
    if (typeof t.effect !== 'string' || !EFFECTS.includes(t.effect)) {
      errors.push({ reason: 'FieldValueNotSupported', field: `${field}.effect`, message: `Unsupported value: ${JSON.stringify(t.effect ?? '')}: supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"` });
      continue;
    }
    const id = `${t.key}:${t.effect}`;
    if (seen.has(id)) {
      errors.push({ reason: 'FieldValueInvalid', field: `${field}`, message: `Invalid value: ${JSON.stringify(`${t.key}:${t.effect}`)}: taints must be unique by key and effect pair` });
      continue;
    }
    seen.add(id);
    out.push({ key: t.key, ...(value !== '' && { value }), effect: t.effect as NodeTaint['effect'], ...(typeof t.timeAdded === 'string' && { timeAdded: t.timeAdded }) });
  }
  if (out.length > MAX_TAINTS) errors.push({ reason: 'FieldValueInvalid', field: 'spec.taints', message: `Invalid value: ${out.length}: Berth keeps at most ${MAX_TAINTS} taints per node` });
  return out;
}
