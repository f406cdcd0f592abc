/**
 * The authorizer, pure: `authorize(user, attributes, snapshot) → decision`, as the API server
 * chains them: the system:masters group may do anything; then RBAC (ClusterRoleBindings, then
 * the RoleBindings of the request's namespace, the first rule that allows wins); then EKS's
 * access policies (fixed ClusterRole permissions, cluster-wide or per namespace, from the
 * default policy, whatever the cluster's own ClusterRoles say). `rulesFor` lists what a user
 * may do in a namespace (SelfSubjectRulesReview).
 */
import type { AccessPolicyGrant, KubeUser } from '../../../core/kube/user.ts';
import { accessPolicyRules } from './bootstrap.ts';
import type { BindingView, Decision, PolicyRule, RbacSnapshot, RequestAttributes, RoleView, Subject } from './types.ts';
import { RBAC_GROUP } from './types.ts';

export const MASTERS = 'system:masters';

const has = (list: readonly string[] | undefined, v: string): boolean => list !== undefined && (list.includes('*') || list.includes(v));

/** Whether one rule allows the request (the API server's RuleAllows). */
export function ruleAllows(attrs: RequestAttributes, rule: PolicyRule): boolean {
  if (!has(rule.verbs, attrs.verb)) return false;
  if (!attrs.resourceRequest) {
    return (rule.nonResourceURLs ?? []).some((u) => u === '*' || u === attrs.path || (u.endsWith('*') && attrs.path.startsWith(u.slice(0, -1))));
  }
  if (!has(rule.apiGroups, attrs.apiGroup)) return false;
  const combined = attrs.subresource === '' ? attrs.resource : `${attrs.resource}/${attrs.subresource}`;
  // `pods` does not grant `pods/log`; `*/log` grants every kind's log subresource.
  const resourceOk = (rule.resources ?? []).some((r) => r === '*' || r === combined || (attrs.subresource !== '' && r === `*/${attrs.subresource}`));
  if (!resourceOk) return false;
  const names = rule.resourceNames ?? [];
  return names.length === 0 || names.includes(attrs.name);
}

/** Whether a binding's subject is this user (a ServiceAccount subject defaults to the binding's namespace). */
export function subjectMatches(s: Subject, user: KubeUser, bindingNamespace: string | undefined): boolean {
  switch (s.kind) {
    case 'User':
      return s.apiGroup === RBAC_GROUP && s.name === user.username;
    case 'Group':
      return s.apiGroup === RBAC_GROUP && user.groups.includes(s.name);
    case 'ServiceAccount': {
      const ns = s.namespace || bindingNamespace;
      return (s.apiGroup ?? '') === '' && ns !== undefined && ns !== '' && user.username === `system:serviceaccount:${ns}:${s.name}`;
    }
    default:
      return false;
  }
}

function describeSubject(s: Subject, bindingNamespace: string | undefined): string {
  if (s.kind === 'ServiceAccount') return `${s.kind} ${JSON.stringify(`${s.name}/${s.namespace || bindingNamespace || ''}`)}`;
  return `${s.kind} ${JSON.stringify(s.name)}`;
}

/** The role a binding refers to, or the error the API server reports when it is missing. */
function roleOf(b: BindingView, snapshot: RbacSnapshot): RoleView | string {
  if (b.roleRef.kind === 'ClusterRole') {
    return snapshot.clusterRoles.get(b.roleRef.name) ?? `clusterrole.rbac.authorization.k8s.io ${JSON.stringify(b.roleRef.name)} not found`;
  }
  if (b.roleRef.kind === 'Role' && b.namespace !== undefined) {
    return snapshot.roles.get(b.namespace)?.get(b.roleRef.name) ?? `role.rbac.authorization.k8s.io ${JSON.stringify(b.roleRef.name)} not found`;
  }
  return `unsupported role reference kind: ${JSON.stringify(b.roleRef.kind)}`;
}

/** Each binding that applies to `user` where the request is, with the subject that matched: cluster bindings first. */
function* bindingsFor(user: KubeUser, namespace: string, snapshot: RbacSnapshot): Generator<{ binding: BindingView; subject: Subject }> {
  for (const binding of snapshot.clusterRoleBindings) {
    const subject = binding.subjects.find((s) => subjectMatches(s, user, undefined));
    if (subject) yield { binding, subject };
  }
  if (namespace === '') return;
  for (const binding of snapshot.roleBindings.get(namespace) ?? []) {
    const subject = binding.subjects.find((s) => subjectMatches(s, user, binding.namespace));
    if (subject) yield { binding, subject };
  }
}

const grantApplies = (g: AccessPolicyGrant, namespace: string): boolean =>
  g.namespaces === undefined || g.namespaces.length === 0 || (namespace !== '' && g.namespaces.includes(namespace));

export function authorize(user: KubeUser, attrs: RequestAttributes, snapshot: RbacSnapshot): Decision {
  if (user.groups.includes(MASTERS)) return { allowed: true, reason: '' };
  const namespace = attrs.resourceRequest ? attrs.namespace : '';
  const errors: string[] = [];
  for (const { binding, subject } of bindingsFor(user, namespace, snapshot)) {
    const role = roleOf(binding, snapshot);
    if (typeof role === 'string') {
      errors.push(role);
      continue;
    }
    if (role.rules.some((r) => ruleAllows(attrs, r))) {
      const what = binding.namespace === undefined ? `ClusterRoleBinding ${JSON.stringify(binding.name)}` : `RoleBinding ${JSON.stringify(`${binding.name}/${binding.namespace}`)}`;
      return { allowed: true, reason: `RBAC: allowed by ${what} of ${binding.roleRef.kind} ${JSON.stringify(binding.roleRef.name)} to ${describeSubject(subject, binding.namespace)}` };
    }
  }
  for (const grant of user.accessPolicies ?? []) {
    if (grantApplies(grant, namespace) && accessPolicyRules(grant.clusterRole).some((r) => ruleAllows(attrs, r))) {
      return { allowed: true, reason: `EKS Access Policy: allowed by ClusterRoleBinding of ClusterRole ${JSON.stringify(grant.clusterRole)}` };
    }
  }
  // No opinion: the reason names what could not be evaluated, as RBAC's aggregate of errors.
  return { allowed: false, reason: errors.length === 0 ? '' : `RBAC: ${errors.length === 1 ? errors[0] : `[${errors.join(', ')}]`}` };
}

/** What `user` may do in `namespace` ('' for cluster-wide rules only): SelfSubjectRulesReview's rules, and errors met. */
export function rulesFor(user: KubeUser, namespace: string, snapshot: RbacSnapshot): { rules: PolicyRule[]; errors: string[] } {
  const rules: PolicyRule[] = [];
  const errors: string[] = [];
  for (const { binding } of bindingsFor(user, namespace, snapshot)) {
    const role = roleOf(binding, snapshot);
    if (typeof role === 'string') errors.push(role);
    else rules.push(...role.rules);
  }
  for (const grant of user.accessPolicies ?? []) if (grantApplies(grant, namespace)) rules.push(...accessPolicyRules(grant.clusterRole));
  return { rules, errors };
}
