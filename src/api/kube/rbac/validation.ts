/**
 * What the API server's rbac strategies do before a write of a Role, ClusterRole, RoleBinding
 * or ClusterRoleBinding, pure: defaults (a subject's and a roleRef's apiGroup) and validation
 * with the server's messages (rules, subjects' kinds and apiGroups, roleRef, and roleRef's
 * immutability: `cannot change roleRef`).
 */
import { nameErrors, type FieldError } from '../../../core/kube/names.ts';
import type { Obj } from '../object.ts';
import { RBAC_GROUP } from './types.ts';

const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
/** Go's %#v of a []string, as field.Invalid prints such values. */
const goStrings = (v: readonly string[]): string => `[]string{${v.map((s) => JSON.stringify(s)).join(', ')}}`;
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

const unsupported = (field: string, value: string, supported: readonly string[]): FieldError =>
  ({ reason: 'FieldValueNotSupported', field, message: `Unsupported value: ${JSON.stringify(value)}: supported values: ${supported.map((s) => JSON.stringify(s)).join(', ')}` });
const required = (field: string, detail?: string): FieldError =>
  ({ reason: 'FieldValueRequired', field, message: detail === undefined ? 'Required value' : `Required value: ${detail}` });

/** Sets what the API server defaults: subjects' apiGroup by kind, roleRef's apiGroup. */
export function defaultBinding(o: Obj): void {
  if (Array.isArray(o.subjects)) {
    for (const s of o.subjects as unknown[]) {
      if (!isObj(s) || (typeof s.apiGroup === 'string' && s.apiGroup !== '')) continue;
      if (s.kind === 'User' || s.kind === 'Group') s.apiGroup = RBAC_GROUP;
      else if (s.kind === 'ServiceAccount') s.apiGroup = '';
    }
  }
  if (isObj(o.roleRef) && (o.roleRef.apiGroup === undefined || o.roleRef.apiGroup === '')) o.roleRef.apiGroup = RBAC_GROUP;
}

export function ruleErrors(o: Obj, namespaced: boolean): FieldError[] {
  const errors: FieldError[] = [];
  const rules = Array.isArray(o.rules) ? (o.rules as unknown[]) : [];
  rules.forEach((r, i) => {
    const at = `rules[${i}]`;
    const rule = isObj(r) ? r : {};
    if (strings(rule.verbs).length === 0) errors.push(required(`${at}.verbs`, 'verbs must contain at least one value'));
    const urls = strings(rule.nonResourceURLs);
    if (urls.length > 0) {
      if (namespaced) errors.push({ reason: 'FieldValueInvalid', field: `${at}.nonResourceURLs`, message: `Invalid value: ${goStrings(urls)}: namespaced rules cannot apply to non-resource URLs` });
      if (strings(rule.apiGroups).length > 0 || strings(rule.resources).length > 0) {
        errors.push({ reason: 'FieldValueInvalid', field: `${at}.nonResourceURLs`, message: `Invalid value: ${goStrings(urls)}: rules cannot apply to both regular resources and non-resource URLs` });
      }
      return;
    }
    if (strings(rule.apiGroups).length === 0) errors.push(required(`${at}.apiGroups`, 'resource rules must supply at least one api group'));
    if (strings(rule.resources).length === 0) errors.push(required(`${at}.resources`, 'resource rules must supply at least one resource'));
  });
  return errors;
}

/** Errors of a binding (`old`: the stored one on update, whose roleRef may not change). */
export function bindingErrors(o: Obj, old: Obj | undefined, namespaced: boolean): FieldError[] {
  const errors: FieldError[] = [];
  const ref = isObj(o.roleRef) ? o.roleRef : {};
  if (str(ref.apiGroup) !== RBAC_GROUP) errors.push(unsupported('roleRef.apiGroup', str(ref.apiGroup), [RBAC_GROUP]));
  const kinds = namespaced ? ['Role', 'ClusterRole'] : ['ClusterRole'];
  if (!kinds.includes(str(ref.kind))) errors.push(unsupported('roleRef.kind', str(ref.kind), kinds));
  if (str(ref.name) === '') errors.push(required('roleRef.name'));
  else errors.push(...nameErrors('path-segment', str(ref.name), 'roleRef.name'));
  const subjects = Array.isArray(o.subjects) ? (o.subjects as unknown[]) : [];
  subjects.forEach((x, i) => {
    const at = `subjects[${i}]`;
    const s = isObj(x) ? x : {};
    const name = str(s.name);
    if (name === '') errors.push(required(`${at}.name`));
    switch (s.kind) {
      case 'ServiceAccount':
        if (name !== '') errors.push(...nameErrors('subdomain', name, `${at}.name`));
        if (str(s.apiGroup) !== '') errors.push(unsupported(`${at}.apiGroup`, str(s.apiGroup), ['']));
        if (!namespaced && str(s.namespace) === '') errors.push(required(`${at}.namespace`));
        break;
      case 'User':
      case 'Group':
        if (str(s.apiGroup) !== RBAC_GROUP) errors.push(unsupported(`${at}.apiGroup`, str(s.apiGroup), [RBAC_GROUP]));
        break;
      default:
        errors.push(unsupported(`${at}.kind`, str(s.kind), ['ServiceAccount', 'User', 'Group']));
    }
  });
  if (old && isObj(old.roleRef)) {
    const was = old.roleRef;
    if (str(was.apiGroup) !== str(ref.apiGroup) || str(was.kind) !== str(ref.kind) || str(was.name) !== str(ref.name)) {
      // Go's %#v of the internal rbac.RoleRef the server compares.
      const shown = `rbac.RoleRef{APIGroup:${JSON.stringify(str(ref.apiGroup))}, Kind:${JSON.stringify(str(ref.kind))}, Name:${JSON.stringify(str(ref.name))}}`;
      errors.push({ reason: 'FieldValueInvalid', field: 'roleRef', message: `Invalid value: ${shown}: cannot change roleRef` });
    }
  }
  return errors;
}

/** The RBAC kinds' defaults and errors, by plural; empty for other kinds. */
export function rbacErrors(plural: string, o: Obj, old: Obj | undefined): FieldError[] {
  switch (plural) {
    case 'roles':
      return ruleErrors(o, true);
    case 'clusterroles':
      return ruleErrors(o, false);
    case 'rolebindings':
      defaultBinding(o);
      return bindingErrors(o, old, true);
    case 'clusterrolebindings':
      defaultBinding(o);
      return bindingErrors(o, old, false);
    default:
      return [];
  }
}
