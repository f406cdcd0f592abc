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
  | { ok: false; errors: FieldError[] };

/** A pod to create (named: generateName already resolved), as it will be stored, or why not. */
export function admitPodCreate(pod: Pod, admission: Admission): AdmitResult {
  const bad = quantityDecodeError(pod);
  if (bad) return { ok: false, badRequest: bad };
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
