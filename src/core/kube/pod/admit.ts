/**
 * The whole of what the API server does to a pod before it is stored, in its order: decode
 * (quantities), defaulting, admission (create only), validation, and Berth's refusals. The
 * pods backend calls one of these and answers 400 BadRequest (`Pod in version "v1" cannot be
 * handled as a Pod: <badRequest>`) or 422 Invalid (api/kube/status.ts `invalid`) from the
 * result. Pure.
 */
import type { FieldError } from '../names.ts';
import { defaultPod, type Admission } from './defaults.ts';
import type { Pod } from './types.ts';
import { unsupportedErrors } from './unsupported.ts';
import { podUpdateErrors } from './update.ts';
import { podCreateErrors, quantityDecodeError } from './validate.ts';

export type AdmitResult =
  | { ok: true; pod: Pod }
  | { ok: false; badRequest: string }
  /** 403 Forbidden from an admission plugin: the whole message (`pods "x" is forbidden: …`). */
  | { ok: false; forbidden: string }
  | { ok: false; errors: FieldError[] };

/** The built-in PriorityClasses every cluster has (scheduling.k8s.io, SystemPriorityClasses). */
export const SYSTEM_PRIORITY_CLASSES: Readonly<Record<string, number>> = { 'system-node-critical': 2000001000, 'system-cluster-critical': 2000000000 };

/** What admission reads from the pod's namespace and cluster. */
export interface CreateInputs {
  rng: () => number;
  /** The namespace's ServiceAccount by name; undefined when it does not exist. */
  serviceAccount(name: string): { automountServiceAccountToken?: boolean } | undefined;
  /** A PriorityClass by name, other than the system ones; undefined when it does not exist. */
  priorityClass?(name: string): { value: number; preemptionPolicy?: 'Never' | 'PreemptLowerPriority' } | undefined;
}

/** A pod to create (named: generateName already resolved), as it will be stored, or why not. */
export function admitPodCreate(pod: Pod, inputs: CreateInputs): AdmitResult {
  const bad = quantityDecodeError(pod);
  if (bad) return { ok: false, badRequest: bad };
  const name = pod.metadata?.name ?? '';
  const namespace = pod.metadata?.namespace ?? 'default';
  const forbidden = (why: string): AdmitResult => ({ ok: false, forbidden: `pods ${JSON.stringify(name)} is forbidden: ${why}` });
  const saName = pod.spec?.serviceAccountName || pod.spec?.serviceAccount || 'default';
  const sa = inputs.serviceAccount(saName);
  if (!sa) return forbidden(`error looking up service account ${namespace}/${saName}: serviceaccount ${JSON.stringify(saName)} not found`);
  const className = pod.spec?.priorityClassName;
  let priorityClass: Admission['priorityClass'];
  if (className) {
    const system = SYSTEM_PRIORITY_CLASSES[className];
    priorityClass = system !== undefined ? { value: system } : inputs.priorityClass?.(className);
    if (!priorityClass) return forbidden(`no PriorityClass with name ${className} was found`);
  }
  const admission: Admission = {
    rng: inputs.rng,
    ...(sa.automountServiceAccountToken !== undefined && { serviceAccountAutomount: sa.automountServiceAccountToken }),
    ...(priorityClass && { priorityClass }),
  };
  const defaulted = defaultPod(pod, admission);
  const errors = podCreateErrors(defaulted);
  // Berth's refusals only for a pod the API server would take: its errors come first and alone.
  if (errors.length === 0) errors.push(...unsupportedErrors(defaulted));
  return errors.length > 0 ? { ok: false, errors } : { ok: true, pod: defaulted };
}

/** An update of pod `old` (as the view shows it: nodeName included) to `next`, as it will be stored, or why not. */
export function admitPodUpdate(next: Pod, old: Pod): AdmitResult {
  const bad = quantityDecodeError(next);
  if (bad) return { ok: false, badRequest: bad };
  const defaulted = defaultPod(next, undefined);
  const errors = podUpdateErrors(defaulted, old);
  return errors.length > 0 ? { ok: false, errors } : { ok: true, pod: defaulted };
}
