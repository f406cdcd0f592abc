/**
 * The schemas as a tree of types, built once at start from the generated definitions: what
 * validation, strategic merge patch and server-side apply walk instead of the OpenAPI text.
 * Every `$ref` is resolved to a shared node (recursive definitions point back at themselves),
 * every field carries its patch strategy, and every list its merge semantics.
 */
import { KINDS, gvkKey } from './kinds.ts';
import type { GroupVersionKind } from '../contract.ts';

export type OpenApiSchema = Record<string, unknown> & {
  type?: string;
  format?: string;
  description?: string;
  $ref?: string;
  properties?: Record<string, OpenApiSchema>;
  additionalProperties?: OpenApiSchema;
  items?: OpenApiSchema;
  required?: string[];
};

export interface Definitions {
  readonly source: string;
  readonly kubernetes: string;
  readonly definitions: Readonly<Record<string, OpenApiSchema>>;
}

/** A field of a struct: its type, and how strategic merge patch treats its value. */
export interface Field {
  readonly type: TypeNode;
  /** `x-kubernetes-patch-strategy`, split: `merge`, `retainKeys`, `replace`. */
  readonly patchStrategy: readonly string[];
  /** `x-kubernetes-patch-merge-key`. */
  readonly mergeKey?: string;
  /** The schema's `default`, where one is given (list-map key fields need it to name items). */
  readonly default?: unknown;
  /** Required: the API server's Go types always write it (no omitempty), so an object never lacks it. */
  readonly required?: true;
}

export interface StructNode {
  readonly t: 'struct';
  readonly definition: string;
  readonly fields: Map<string, Field>;
  /** `x-kubernetes-map-type: atomic`: replaced whole by apply. */
  atomic: boolean;
}
export interface MapNode { readonly t: 'map'; readonly elem: TypeNode; readonly atomic: boolean }
export interface ListNode {
  readonly t: 'list';
  readonly elem: TypeNode;
  /** How apply merges it: by keys (`map`), by value (`set`), or whole (`atomic`). */
  readonly listType: 'atomic' | 'set' | 'map';
  readonly keys: readonly string[];
  /** The keys sorted by name, JSON-quoted, with their defaults: how a `k:` path element writes them. */
  readonly sortedKeys: readonly (readonly [string, string, unknown])[];
}
export interface ScalarNode { readonly t: 'scalar'; readonly type: string; readonly format?: string }
/** Any JSON below (FieldsV1, RawExtension): nothing is checked or merged by schema. */
export interface UntypedNode { readonly t: 'untyped' }

export type TypeNode = StructNode | MapNode | ListNode | ScalarNode | UntypedNode;

const UNTYPED: UntypedNode = { t: 'untyped' };

export class TypeCatalog {
  readonly data: Definitions;
  private readonly structs = new Map<string, StructNode | ScalarNode | UntypedNode>();
  /** Root type per GVK (`group/version/Kind`), built at construction. */
  private readonly roots = new Map<string, StructNode>();

  constructor(data: Definitions) {
    this.data = data;
    for (const [name, def] of Object.entries(data.definitions)) {
      for (const gvk of (def['x-kubernetes-group-version-kind'] as GroupVersionKind[] | undefined) ?? []) {
        const node = this.definition(name);
        if (node.t === 'struct' && !this.roots.has(gvkKey(gvk))) this.roots.set(gvkKey(gvk), node);
      }
    }
    for (const k of KINDS) if (!this.roots.has(gvkKey(k))) throw new Error(`no schema for ${gvkKey(k)}`);
  }

  root(gvk: GroupVersionKind): StructNode | undefined {
    return this.roots.get(gvkKey(gvk));
  }

  definition(name: string): StructNode | ScalarNode | UntypedNode {
    const known = this.structs.get(name);
    if (known !== undefined) return known;
    const def = this.data.definitions[name];
    if (def === undefined) throw new Error(`no definition ${name}`);
    if (def.properties === undefined) {
      const node: ScalarNode | UntypedNode = def.type === 'object' || def.type === undefined ? UNTYPED : { t: 'scalar', type: def.type, ...(def.format === undefined ? {} : { format: def.format }) };
      this.structs.set(name, node);
      return node;
    }
    const node: StructNode = { t: 'struct', definition: name, fields: new Map(), atomic: def['x-kubernetes-map-type'] === 'atomic' };
    this.structs.set(name, node); // before the fields: a definition may reach itself
    for (const [field, schema] of Object.entries(def.properties)) {
      const strategy = schema['x-kubernetes-patch-strategy'] as string | undefined;
      const mergeKey = schema['x-kubernetes-patch-merge-key'] as string | undefined;
      node.fields.set(field, {
        type: this.type(schema),
        patchStrategy: strategy === undefined ? [] : strategy.split(','),
        ...(mergeKey === undefined ? {} : { mergeKey }),
        ...(schema.default === undefined ? {} : { default: schema.default }),
        ...(def.required?.includes(field) === true ? { required: true as const } : {}),
      });
    }
    return node;
  }

  private type(schema: OpenApiSchema): TypeNode {
    if (schema.$ref !== undefined) return this.definition(schema.$ref.slice('#/definitions/'.length));
    if (schema.type === 'array') {
      const elem = schema.items === undefined ? UNTYPED : this.type(schema.items);
      const declared = schema['x-kubernetes-list-type'] as ListNode['listType'] | undefined;
      const strategy = ((schema['x-kubernetes-patch-strategy'] as string | undefined) ?? '').split(',');
      const mergeKey = schema['x-kubernetes-patch-merge-key'] as string | undefined;
      // Untagged built-in lists are atomic to apply; a merge strategy makes them a map (with a
      // merge key) or a set, as the API server's schema conversion does.
      const listType = declared ?? (strategy.includes('merge') ? (mergeKey === undefined ? 'set' : 'map') : 'atomic');
      const keys = (schema['x-kubernetes-list-map-keys'] as string[] | undefined) ?? (listType === 'map' && mergeKey !== undefined ? [mergeKey] : []);
      const defaultOf = (k: string): unknown => (elem.t === 'struct' ? elem.fields.get(k)?.default : undefined);
      return { t: 'list', elem, listType, keys, sortedKeys: [...keys].sort().map((k) => [k, JSON.stringify(k), defaultOf(k)] as const) };
    }
    if (schema.type === 'object') {
      if (schema.additionalProperties !== undefined) return { t: 'map', elem: this.type(schema.additionalProperties), atomic: schema['x-kubernetes-map-type'] === 'atomic' };
      return UNTYPED;
    }
    if (schema.type === undefined) return UNTYPED;
    return { t: 'scalar', type: schema.type, ...(schema.format === undefined ? {} : { format: schema.format }) };
  }
}

/** The field of `type` named `name`, or what a map's values are; undefined when the schema has no such field. */
export function child(type: TypeNode, name: string): TypeNode | undefined {
  if (type.t === 'struct') return type.fields.get(name)?.type;
  if (type.t === 'map') return type.elem;
  if (type.t === 'untyped') return type;
  return undefined;
}
