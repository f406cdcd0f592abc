/**
 * Berth's `KubeSchemas` (src/api/kube/contract.ts): one per process, built at start from the
 * generated definitions; every per-request operation looks its kind's type up in a map.
 */
import { KubeSchemaError } from '../contract.ts';
import type { GroupVersionKind, KubeSchemas, ManagedFieldsEntry } from '../contract.ts';
import { loadDefinitions } from './data.ts';
import { gvkKey } from './kinds.ts';
import { apply, managedFieldsAfterUpdate } from './managed.ts';
import { openapiV2, openapiV3, openapiV3Index } from './openapi.ts';
import { strategicMergePatch } from './smp.ts';
import { TypeCatalog } from './types.ts';
import type { Definitions, StructNode } from './types.ts';
import { unknownFieldPaths } from './validate.ts';

/** Documents kept per distinct served list (a server's list changes only when kinds are added). */
export const MAX_CACHED_DOCUMENTS = 32;

export class BerthKubeSchemas implements KubeSchemas {
  private readonly catalog: TypeCatalog;
  private readonly documents = new Map<string, object | undefined>();

  constructor(data: Definitions = loadDefinitions()) {
    this.catalog = new TypeCatalog(data);
  }

  /** The Kubernetes release whose definitions these are. */
  get kubernetesVersion(): string {
    return this.catalog.data.kubernetes;
  }

  knows(gvk: GroupVersionKind): boolean {
    return this.catalog.root(gvk) !== undefined;
  }

  private typeOf(gvk: GroupVersionKind): StructNode {
    const t = this.catalog.root(gvk);
    if (t === undefined) throw new KubeSchemaError(400, 'BadRequest', `no kind "${gvk.kind}" is registered for version "${gvk.group === '' ? gvk.version : `${gvk.group}/${gvk.version}`}"`);
    return t;
  }

  private cached<T extends object | undefined>(key: string, make: () => T): T {
    if (this.documents.has(key)) return this.documents.get(key) as T;
    if (this.documents.size >= MAX_CACHED_DOCUMENTS) this.documents.delete(this.documents.keys().next().value as string);
    const doc = make();
    this.documents.set(key, doc);
    return doc;
  }

  openapiV2(served: readonly GroupVersionKind[]): object {
    return this.cached(`v2 ${servedKey(served)}`, () => openapiV2(this.catalog.data, served));
  }

  openapiV3(groupVersion: string, served: readonly GroupVersionKind[]): object | undefined {
    return this.cached(`v3 ${groupVersion} ${servedKey(served)}`, () => openapiV3(this.catalog.data, groupVersion, served));
  }

  openapiV3Index(served: readonly GroupVersionKind[]): object {
    return this.cached(`v3index ${servedKey(served)}`, () => openapiV3Index(this.catalog.data, served, (gv) => this.openapiV3(gv, served) as Record<string, unknown> | undefined));
  }

  unknownFields(gvk: GroupVersionKind, object: unknown): string[] {
    return unknownFieldPaths(this.typeOf(gvk), object);
  }

  strategicMerge(gvk: GroupVersionKind, original: object, patch: object): object {
    return strategicMergePatch(this.typeOf(gvk), original, patch);
  }

  apply(gvk: GroupVersionKind, live: object | undefined, applied: object, manager: string, force: boolean, now: Date, subresource?: string) {
    return apply(this.typeOf(gvk), gvk, live, applied, manager, force, now, subresource);
  }

  managedFieldsAfterUpdate(gvk: GroupVersionKind, before: object | undefined, after: object, manager: string, now: Date, subresource?: string): ManagedFieldsEntry[] {
    return managedFieldsAfterUpdate(this.typeOf(gvk), gvk, before, after, manager, now, subresource);
  }
}

const servedKey = (served: readonly GroupVersionKind[]): string => served.map(gvkKey).sort().join(',');
