/**
 * A pod update as the API server allows it (ValidatePodUpdate): metadata may change, the
 * spec only in its images, activeDeadlineSeconds, tolerations (additions only) and a
 * negative terminationGracePeriodSeconds set to 1. Anything else is refused on `spec` with
 * the server's words and a diff of what changed. Pure; run on the defaulted new pod.
 */
import type { FieldError } from '../names.ts';
import { forbidden, required } from './field-errors.ts';
import type { Pod, PodSpec } from './types.ts';

/** The server's list of what a pod update may change (InPlacePodVerticalScaling is off in 1.32). */
export const UPDATABLE_POD_SPEC_FIELDS = [
  '`spec.containers[*].image`',
  '`spec.initContainers[*].image`',
  '`spec.activeDeadlineSeconds`',
  '`spec.tolerations` (only additions to existing tolerations)',
  '`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)',
];

/** Longest diff quoted in the message: a pod spec can be large and the message is read by people. */
const MAX_DIFF_LINES = 40;

const same = (a: unknown, b: unknown): boolean => JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));

/** `v` with object keys sorted, so key order never counts as a change. */
function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v !== null && typeof v === 'object') {
    return Object.fromEntries(Object.keys(v).sort().map((k) => [k, canonical((v as Record<string, unknown>)[k])]));
  }
  return v;
}

/** The new spec with what an update may change set back to the old (the server's "munged" spec). */
function munged(next: PodSpec, old: PodSpec): PodSpec {
  const m = structuredClone(next);
  const images = (list: PodSpec['containers'] | undefined, from: PodSpec['containers'] | undefined) => {
    for (const [i, c] of (list ?? []).entries()) if (from?.[i] !== undefined) c.image = from[i]!.image;
  };
  images(m.containers, old.containers);
  images(m.initContainers, old.initContainers);
  m.activeDeadlineSeconds = old.activeDeadlineSeconds;
  // Tolerations may only grow: the old ones must all still be there.
  const oldTolerations = old.tolerations ?? [];
  if (oldTolerations.every((t) => (m.tolerations ?? []).some((n) => same(n, t)))) m.tolerations = old.tolerations;
  if ((old.terminationGracePeriodSeconds ?? 0) < 0 && m.terminationGracePeriodSeconds === 1) m.terminationGracePeriodSeconds = old.terminationGracePeriodSeconds;
  for (const k of Object.keys(m) as (keyof PodSpec)[]) if (m[k] === undefined) delete m[k];
  return m;
}

/** A short diff of two specs by top-level field, in the shape of the server's (`- \tField: old`, `+ \tField: new`). */
function diff(old: PodSpec, next: PodSpec): string {
  const lines = ['  core.PodSpec{'];
  const keys = [...new Set([...Object.keys(old), ...Object.keys(next)])].sort() as (keyof PodSpec)[];
  for (const k of keys) {
    if (same(old[k], next[k])) continue;
    const field = k.charAt(0).toUpperCase() + k.slice(1);
    if (old[k] !== undefined) lines.push(`- \t${field}: ${JSON.stringify(old[k])},`);
    if (next[k] !== undefined) lines.push(`+ \t${field}: ${JSON.stringify(next[k])},`);
  }
  lines.push('  }');
  return (lines.length > MAX_DIFF_LINES ? [...lines.slice(0, MAX_DIFF_LINES - 1), '  ...'] : lines).join('\n');
}

/** What the API server refuses in an update of `old` to `next`; empty when it is allowed. */
export function podUpdateErrors(next: Pod, old: Pod): FieldError[] {
  const errors: FieldError[] = [];
  const n = next.spec ?? { containers: [] };
  const o = old.spec ?? { containers: [] };
  for (const list of ['containers', 'initContainers'] as const) {
    for (const [i, c] of (n[list] ?? []).entries()) if (!c.image) errors.push(required(`spec.${list}[${i}].image`));
  }
  const m = munged(n, o);
  if (!same(m, o)) errors.push(forbidden('spec', `pod updates may not change fields other than ${UPDATABLE_POD_SPEC_FIELDS.join(',')}\n${diff(o, m)}`));
  return errors;
}
