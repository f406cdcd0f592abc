/**
 * Escalation prevention, pure, as the API server's rbac storage checks it on every write of
 * a Role, ClusterRole, RoleBinding or ClusterRoleBinding by a user: no one grants what they
 * do not hold. A role's rules must be covered by the writer's own rules where the role
 * applies, unless the writer may `escalate` on roles there; a binding's role likewise,
 * unless the writer may `bind` that role. system:masters may do either.
 */
import type { KubeUser } from '../../../core/kube/user.ts';
import { authorize, MASTERS, rulesFor } from './authorizer.ts';
import { RBAC_GROUP, type PolicyRule, type RbacSnapshot, type RoleRef } from './types.ts';

const has = (list: readonly string[] | undefined, v: string): boolean => (list ?? []).includes(v);
const hasAll = (list: readonly string[] | undefined, want: readonly string[] | undefined): boolean => (want ?? []).every((w) => has(list, w));

/** One rule per group × resource × verb (× name), and per URL × verb: what coverage is decided on. */
export function breakdown(rule: PolicyRule): PolicyRule[] {
  const out: PolicyRule[] = [];
  for (const g of rule.apiGroups ?? []) {
    for (const r of rule.resources ?? []) {
      for (const v of rule.verbs) {
        if ((rule.resourceNames ?? []).length > 0) for (const n of rule.resourceNames!) out.push({ apiGroups: [g], resources: [r], verbs: [v], resourceNames: [n] });
        else out.push({ apiGroups: [g], resources: [r], verbs: [v] });
      }
    }
  }
  for (const u of rule.nonResourceURLs ?? []) for (const v of rule.verbs) out.push({ nonResourceURLs: [u], verbs: [v] });
  return out;
}

function resourcesCovered(owner: readonly string[] | undefined, wanted: readonly string[] | undefined): boolean {
  if (has(owner, '*') || hasAll(owner, wanted)) return true;
  return (wanted ?? []).every((r) => has(owner, r) || (r.includes('/') && has(owner, `*/${r.slice(r.indexOf('/') + 1)}`)));
}

const urlCovered = (owner: string, wanted: string): boolean => owner === wanted || (owner.endsWith('*') && wanted.startsWith(owner.replace(/\*+$/, '')));

/** Whether an owner's rule covers one broken-down rule. */
export function ruleCovers(owner: PolicyRule, sub: PolicyRule): boolean {
  const verbs = has(owner.verbs, '*') || hasAll(owner.verbs, sub.verbs);
  const groups = has(owner.apiGroups, '*') || hasAll(owner.apiGroups, sub.apiGroups);
  const resources = resourcesCovered(owner.resources, sub.resources);
  const urls = (sub.nonResourceURLs ?? []).every((u) => (owner.nonResourceURLs ?? []).some((o) => urlCovered(o, u)));
  const ownerNames = owner.resourceNames ?? [];
  const names = (sub.resourceNames ?? []).length === 0 ? ownerNames.length === 0 : ownerNames.length === 0 || hasAll(ownerNames, sub.resourceNames);
  return verbs && groups && resources && urls && names;
}

/** The broken-down rules of `wanted` that no rule of `owner` covers. */
export function uncovered(owner: readonly PolicyRule[], wanted: readonly PolicyRule[]): PolicyRule[] {
  return wanted.flatMap(breakdown).filter((sub) => !owner.some((o) => ruleCovers(o, sub)));
}

/** Rules of one group, resource and (at most one) name merged into one with all their verbs, as the server compacts what it reports. */
function compact(rules: readonly PolicyRule[]): PolicyRule[] {
  const out: PolicyRule[] = [];
  const simple = new Map<string, PolicyRule & { verbs: string[] }>();
  for (const r of rules) {
    if ((r.apiGroups ?? []).length !== 1 || (r.resources ?? []).length !== 1 || (r.resourceNames ?? []).length > 1 || (r.nonResourceURLs ?? []).length > 0) {
      out.push(r);
      continue;
    }
    const key = JSON.stringify([r.apiGroups, r.resources, r.resourceNames ?? []]);
    const held = simple.get(key);
    if (held) held.verbs.push(...r.verbs.filter((v) => !held.verbs.includes(v)));
    else {
      const merged = { ...r, verbs: [...r.verbs] };
      simple.set(key, merged);
      out.push(merged);
    }
  }
  return out;
}

/** Go's %q of a []string: `["a" "b"]`. */
const q = (v: readonly string[]): string => `[${v.map((s) => JSON.stringify(s)).join(' ')}]`;

/** A rule as the server prints it in an escalation refusal: `{APIGroups:[""], Resources:["pods"], Verbs:["get"]}`. */
export function compactString(r: PolicyRule): string {
  const parts: string[] = [];
  if ((r.apiGroups ?? []).length > 0) parts.push(`APIGroups:${q(r.apiGroups!)}`);
  if ((r.resources ?? []).length > 0) parts.push(`Resources:${q(r.resources!)}`);
  if ((r.nonResourceURLs ?? []).length > 0) parts.push(`NonResourceURLs:${q(r.nonResourceURLs!)}`);
  if ((r.resourceNames ?? []).length > 0) parts.push(`ResourceNames:${q(r.resourceNames!)}`);
  if (r.verbs.length > 0) parts.push(`Verbs:${q(r.verbs)}`);
  return `{${parts.join(', ')}}`;
}

/** Why a write would escalate (the text after `is forbidden: `), undefined when it may be made. */
function refusal(user: KubeUser, namespace: string, rules: readonly PolicyRule[], snapshot: RbacSnapshot): string | undefined {
  const held = rulesFor(user, namespace, snapshot);
  const missing = uncovered(held.rules, rules);
  if (missing.length === 0) return undefined;
  const lines = [...new Set(compact(missing).map(compactString))].sort();
  const errors = held.errors.length === 0 ? '' : `; resolution errors: [${held.errors.join(' ')}]`;
  return `user ${JSON.stringify(user.username)} (groups=${q(user.groups)}) is attempting to grant RBAC permissions not currently held:\n${lines.join('\n')}${errors}`;
}

/** A Role (namespace set) or ClusterRole write with these rules: why it is refused, or undefined. */
export function roleEscalation(user: KubeUser, plural: 'roles' | 'clusterroles', namespace: string, name: string, rules: readonly PolicyRule[], snapshot: RbacSnapshot): string | undefined {
  if (user.groups.includes(MASTERS)) return undefined;
  const escalate = authorize(user, { resourceRequest: true, verb: 'escalate', apiGroup: RBAC_GROUP, apiVersion: 'v1', resource: plural, subresource: '', namespace, name }, snapshot);
  if (escalate.allowed) return undefined;
  return refusal(user, namespace, rules, snapshot);
}

/** A RoleBinding (namespace set) or ClusterRoleBinding write for `roleRef`: why it is refused, or undefined. */
export function bindingEscalation(user: KubeUser, namespace: string, roleRef: RoleRef, snapshot: RbacSnapshot): string | undefined {
  if (user.groups.includes(MASTERS)) return undefined;
  const resource = roleRef.kind === 'Role' ? 'roles' : 'clusterroles';
  const bind = authorize(user, { resourceRequest: true, verb: 'bind', apiGroup: RBAC_GROUP, apiVersion: 'v1', resource, subresource: '', namespace, name: roleRef.name }, snapshot);
  if (bind.allowed) return undefined;
  const role = roleRef.kind === 'Role' ? snapshot.roles.get(namespace)?.get(roleRef.name) : snapshot.clusterRoles.get(roleRef.name);
  if (!role) return `${roleRef.kind === 'Role' ? 'role' : 'clusterrole'}.rbac.authorization.k8s.io ${JSON.stringify(roleRef.name)} not found`;
  return refusal(user, namespace, role.rules, snapshot);
}
