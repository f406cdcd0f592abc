/**
 * A resource verb's answer in the representation the request's `Accept` asks for: the object
 * (or bytes kept for it), a `Table` (`includeObject` None, Metadata or Object), or
 * `PartialObjectMetadata(List)`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { send } from './http-answer.ts';
import type { RestResponse } from './rest.ts';
import type { ResourceRoute } from './route.ts';
import { badRequest } from './status.ts';
import { representationOf, toPartial, toPartialList, toTable, type IncludeObject } from './table.ts';

export function answerIn(req: IncomingMessage, res: ServerResponse, route: ResourceRoute, query: URLSearchParams, r: RestResponse, now: () => number): void {
  if (r.raw !== undefined) return send(res, r.status, r.raw, 'application/json', r.warnings);
  const as = r.items ? representationOf(req.headers.accept) : 'object';
  if (as === 'object') return send(res, r.status, r.body, 'application/json', r.warnings);
  if (as === 'table') {
    const include = (query.get('includeObject') ?? 'Metadata') as IncludeObject;
    if (!['None', 'Metadata', 'Object'].includes(include)) throw badRequest(`includeObject: Unsupported value: "${include}": supported values: "Metadata", "None", "Object"`);
    const table = toTable(route.kind, r.items!, include, now(), r.listMeta ?? { resourceVersion: (r.items![0]?.metadata.resourceVersion ?? '') });
    return send(res, r.status, table, 'application/json;as=Table;v=v1;g=meta.k8s.io', r.warnings);
  }
  if (route.name !== undefined) return send(res, r.status, toPartial(r.items![0]!), 'application/json;as=PartialObjectMetadata;v=v1;g=meta.k8s.io');
  return send(res, r.status, toPartialList(r.items!, r.listMeta ?? {}), 'application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io');
}
