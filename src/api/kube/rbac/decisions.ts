/**
 * authorize()'s decisions kept by the three objects each was made from: the RBAC snapshot
 * (cache.ts builds a new one after any RBAC change), the user (the EKS authenticator hands out
 * one object per token while its access entry holds) and the request's attributes
 * (request-target.ts keeps one object per request line). authorize is pure in the three, so a
 * kept decision is the decision, and a change of any of them is a new object: nothing to
 * invalidate. Bound: WeakMaps, so an entry lives only while its three keys do, which their
 * owners bound (one current snapshot, MAX_VERIFIED_TOKENS users, MAX_TARGETS attribute sets).
 */
import { authorize } from './authorizer.ts';
import type { Decision, KubeUser, RbacSnapshot, RequestAttributes } from './types.ts';

const kept = new WeakMap<RbacSnapshot, WeakMap<KubeUser, WeakMap<RequestAttributes, Decision>>>();

/** authorize(user, attrs, snapshot), answered from what was decided for the same three objects. */
export function authorizeKept(user: KubeUser, attrs: RequestAttributes, snapshot: RbacSnapshot): Decision {
  let byUser = kept.get(snapshot);
  if (!byUser) kept.set(snapshot, (byUser = new WeakMap()));
  let byAttrs = byUser.get(user);
  if (!byAttrs) byUser.set(user, (byAttrs = new WeakMap()));
  let decision = byAttrs.get(attrs);
  if (!decision) byAttrs.set(attrs, (decision = authorize(user, attrs, snapshot)));
  return decision;
}
