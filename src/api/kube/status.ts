/**
 * `Status` errors as the API server shapes them (kind Status, apiVersion v1, metadata {},
 * status Failure, message, reason, details, code), and one constructor per reason with the
 * server's own wording. Handlers throw a StatusError; the server writes it.
 */
import type { FieldError } from '../../core/kube/names.ts';
import { invalidMessage } from '../../core/kube/names.ts';

export type StatusReason =
  | 'BadRequest' | 'Unauthorized' | 'Forbidden' | 'NotFound' | 'AlreadyExists' | 'Conflict' | 'Gone' | 'Expired'
  | 'Invalid' | 'MethodNotAllowed' | 'NotAcceptable' | 'UnsupportedMediaType' | 'RequestEntityTooLarge'
  | 'TooManyRequests' | 'InternalError' | 'Timeout';

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  causes?: { reason?: string; message: string; field?: string }[];
  retryAfterSeconds?: number;
}

export interface StatusObject {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure';
  message: string;
  reason: StatusReason;
  details?: StatusDetails;
  code: number;
}

export class StatusError extends Error {
  readonly code: number;
  readonly reason: StatusReason;
  readonly details: StatusDetails | undefined;
  constructor(code: number, reason: StatusReason, message: string, details?: StatusDetails) {
    super(message);
    this.code = code;
    this.reason = reason;
    this.details = details;
  }

  toStatus(): StatusObject {
    return {
      kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: this.message, reason: this.reason,
      ...(this.details && { details: this.details }), code: this.code,
    };
  }
}

/** What an error names: the resource (plural, `configmaps`) or a qualified resource (`leases.coordination.k8s.io`). */
export interface Resource {
  readonly group: string;
  readonly plural: string;
}

const qualified = (r: Resource): string => (r.group === '' ? r.plural : `${r.plural}.${r.group}`);
const details = (r: Resource, name?: string): StatusDetails => ({ ...(name !== undefined && { name }), ...(r.group !== '' && { group: r.group }), kind: r.plural });

export const notFound = (r: Resource, name: string): StatusError =>
  new StatusError(404, 'NotFound', `${qualified(r)} "${name}" not found`, details(r, name));

export const alreadyExists = (r: Resource, name: string): StatusError =>
  new StatusError(409, 'AlreadyExists', `${qualified(r)} "${name}" already exists`, details(r, name));

export const conflict = (r: Resource, name: string): StatusError =>
  new StatusError(409, 'Conflict', `Operation cannot be fulfilled on ${qualified(r)} "${name}": the object has been modified; please apply your changes to the latest version and try again`, details(r, name));

/** 409 of a delete's (or an update's uid) precondition that does not hold, in the server's words. */
export const preconditionFailed = (r: Resource, name: string, what: 'UID' | 'ResourceVersion', given: string, actual: string | undefined): StatusError =>
  new StatusError(409, 'Conflict', `Operation cannot be fulfilled on ${qualified(r)} "${name}": Precondition failed: ${what} in precondition: ${given}, ${what} in object meta: ${actual ?? ''}`, details(r, name));

/** 422: `kind` is the object's Kind (`ConfigMap`), named in the message with its group (`RoleBinding.rbac.authorization.k8s.io`), as the server's GroupKind prints. */
export function invalid(group: string, kind: string, name: string, errors: readonly FieldError[]): StatusError {
  return new StatusError(422, 'Invalid', invalidMessage(group === '' ? kind : `${kind}.${group}`, name, errors), {
    name, ...(group !== '' && { group }), kind,
    causes: errors.map((e) => ({ reason: e.reason, message: e.message, field: e.field })),
  });
}

export const badRequest = (message: string): StatusError => new StatusError(400, 'BadRequest', message);

export const methodNotAllowed = (): StatusError =>
  new StatusError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');

export const unauthorized = (): StatusError => new StatusError(401, 'Unauthorized', 'Unauthorized');

export const gone = (message: string): StatusError => new StatusError(410, 'Expired', message);

export const tooLarge = (): StatusError => new StatusError(413, 'RequestEntityTooLarge', 'Request entity too large: limit is 3145728');

export const unsupportedMediaType = (type: string): StatusError =>
  new StatusError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json (got ${type})`);

export const notAcceptable = (): StatusError =>
  new StatusError(406, 'NotAcceptable', 'only the following media types are accepted: application/json, application/yaml, application/vnd.kubernetes.protobuf');

/** A path that names nothing: the server's plain 404 for an unknown URL. */
export const pageNotFound = (): StatusError => new StatusError(404, 'NotFound', 'the server could not find the requested resource');

/** Namespaced or cluster-scoped object creation refused because the namespace is going away. */
export function namespaceTerminating(r: Resource, name: string, namespace: string): StatusError {
  return new StatusError(403, 'Forbidden', `${qualified(r)} "${name}" is forbidden: unable to create new content in namespace ${namespace} because it is being terminated`, {
    ...details(r, name), causes: [{ reason: 'NamespaceTerminating', message: `namespace ${namespace} is being terminated`, field: 'metadata.namespace' }],
  });
}

/** The authorizer's refusal, worded as the API server words RBAC denials. */
export function forbidden(user: string, verb: string, r: Resource | undefined, name: string | undefined, namespace: string | undefined, path: string, subresource = '', reason = ''): StatusError {
  // The authorizer's reason, when it has one (a binding's missing role), follows the message.
  const why = reason === '' ? '' : `: ${reason}`;
  if (!r) return new StatusError(403, 'Forbidden', `forbidden: User "${user}" cannot ${verb} path "${path}"${why}`, {});
  const subject = name !== undefined ? `${qualified(r)} "${name}"` : qualified(r);
  const scope = namespace !== undefined ? `in the namespace "${namespace}"` : 'at the cluster scope';
  const resource = subresource === '' ? r.plural : `${r.plural}/${subresource}`;
  return new StatusError(403, 'Forbidden', `${subject} is forbidden: User "${user}" cannot ${verb} resource "${resource}" in API group "${r.group}" ${scope}${why}`, details(r, name));
}
