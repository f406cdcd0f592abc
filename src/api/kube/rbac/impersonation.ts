/**
 * Impersonation, as the API server's filter does it (`kubectl --as=<user> --as-group=<g>`):
 * the Impersonate-User, Impersonate-Group, Impersonate-Uid and Impersonate-Extra-<key>
 * headers make the request another user's, when the requester may `impersonate` each of
 * them (users, groups, serviceaccounts, uids, userextras/<key>), asked of the same
 * authorizer. Pure: the headers, the requester and the snapshot in, the user (or the
 * refusal) out.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { KubeUser } from '../../../core/kube/user.ts';
import { badRequest, forbidden, type StatusError } from '../status.ts';
import { authorize } from './authorizer.ts';
import type { RbacSnapshot, ResourceAttributes } from './types.ts';

const SERVICE_ACCOUNT = /^system:serviceaccount:([^:]+):([^:]+)$/;
const EXTRA_PREFIX = 'impersonate-extra-';

const values = (h: string | string[] | undefined): string[] => (h === undefined ? [] : Array.isArray(h) ? h : [h]);

/** Whether the request asks to impersonate anyone. */
export const impersonates = (headers: IncomingHttpHeaders): boolean =>
  Object.keys(headers).some((k) => k === 'impersonate-user' || k === 'impersonate-group' || k === 'impersonate-uid' || k.startsWith(EXTRA_PREFIX));

/** The user the request acts as, or the error it is answered with. */
export function impersonatedUser(requester: KubeUser, headers: IncomingHttpHeaders, snapshot: RbacSnapshot): KubeUser | StatusError {
  const username = values(headers['impersonate-user'])[0];
  const groups = values(headers['impersonate-group']).flatMap((g) => g.split(',')).map((g) => g.trim()).filter((g) => g !== '');
  const uid = values(headers['impersonate-uid'])[0];
  const extra: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(headers)) {
    if (k.startsWith(EXTRA_PREFIX)) extra[decodeURIComponent(k.slice(EXTRA_PREFIX.length))] = values(v);
  }
  if (username === undefined || username === '') {
    return badRequest('requested impersonation of groups, a uid or extra without impersonating a user: set Impersonate-User');
  }
  const ask = (a: Omit<ResourceAttributes, 'resourceRequest' | 'verb' | 'apiVersion' | 'subresource' | 'namespace'> & { subresource?: string; namespace?: string }): StatusError | undefined => {
    const attrs: ResourceAttributes = { resourceRequest: true, verb: 'impersonate', apiVersion: 'v1', subresource: '', namespace: '', ...a };
    const d = authorize(requester, attrs, snapshot);
    if (d.allowed) return undefined;
    return forbidden(requester.username, 'impersonate', { group: attrs.apiGroup, plural: attrs.resource }, attrs.name, attrs.namespace || undefined, '', attrs.subresource, d.reason);
  };
  const sa = SERVICE_ACCOUNT.exec(username);
  const checks = [
    sa ? ask({ apiGroup: '', resource: 'serviceaccounts', namespace: sa[1]!, name: sa[2]! }) : ask({ apiGroup: '', resource: 'users', name: username }),
    ...groups.map((g) => ask({ apiGroup: '', resource: 'groups', name: g })),
    ...(uid !== undefined ? [ask({ apiGroup: 'authentication.k8s.io', resource: 'uids', name: uid })] : []),
    ...Object.entries(extra).flatMap(([key, vs]) => vs.map((v) => ask({ apiGroup: 'authentication.k8s.io', resource: 'userextras', subresource: key, name: v }))),
  ];
  const refused = checks.find((c) => c !== undefined);
  if (refused) return refused;
  // A service account without groups given is in its own; anyone but anonymous is authenticated.
  const out = groups.length === 0 && sa ? ['system:serviceaccounts', `system:serviceaccounts:${sa[1]}`] : [...groups];
  if (username !== 'system:anonymous') {
    if (!out.includes('system:authenticated') && !out.includes('system:unauthenticated')) out.push('system:authenticated');
  } else if (!out.includes('system:unauthenticated')) out.push('system:unauthenticated');
  return { username, groups: out, ...(uid !== undefined && { uid }), ...(Object.keys(extra).length > 0 && { extra }) };
}
