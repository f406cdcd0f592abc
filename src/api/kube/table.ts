/**
 * `Accept: application/json;as=Table;v=v1;g=meta.k8s.io` (kubectl get) and
 * `as=PartialObjectMetadata(List)` answers: what the client asked the object to become.
 */
import type { KindInfo } from './kinds.ts';
import type { Obj } from './kind-rules.ts';

export type Representation = 'object' | 'table' | 'metadata';

/** The first representation of `accept` this server gives (kubectl lists Table, then plain JSON). */
export function representationOf(accept: string | undefined): Representation {
  for (const part of (accept ?? '').split(',')) {
    const params = part.split(';').map((p) => p.trim());
    const type = params[0];
    if (type === 'application/json' || type === '*/*' || type === 'application/*') {
      if (params.includes('g=meta.k8s.io') && (params.includes('v=v1') || params.includes('v=v1beta1'))) {
        if (params.includes('as=Table')) return 'table';
        if (params.includes('as=PartialObjectMetadata') || params.includes('as=PartialObjectMetadataList')) return 'metadata';
        continue;
      }
      if (params.some((p) => p.startsWith('as='))) continue;
      return 'object';
    }
  }
  return 'object';
}

export type IncludeObject = 'None' | 'Metadata' | 'Object';

const partial = (o: Obj): object => ({ kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata });

export function toTable(kind: KindInfo, items: readonly Obj[], include: IncludeObject, now: number, listMeta: Record<string, unknown>, withColumns = true): object {
  return {
    kind: 'Table', apiVersion: 'meta.k8s.io/v1', metadata: listMeta,
    columnDefinitions: withColumns ? kind.columns.map((c) => ({ name: c.name, type: c.type, format: c.format, description: c.description, priority: c.priority })) : [],
    rows: items.map((o) => ({
      cells: kind.columns.map((c) => c.cell(o, now)),
      ...(include === 'Object' && { object: o }),
      ...(include === 'Metadata' && { object: partial(o) }),
    })),
  };
}

export const toPartial = partial;

export function toPartialList(items: readonly Obj[], listMeta: Record<string, unknown>): object {
  return { kind: 'PartialObjectMetadataList', apiVersion: 'meta.k8s.io/v1', metadata: listMeta, items: items.map(partial) };
}
