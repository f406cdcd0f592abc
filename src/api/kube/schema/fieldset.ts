/**
 * Sets of field paths, as server-side apply tracks who owns what (sigs.k8s.io/structured-merge-diff
 * semantics), and their FieldsV1 form in `metadata.managedFields`:
 *
 *   {"f:data": {".": {}, "f:a": {}}, "f:spec": {"f:containers": {"k:{\"name\":\"web\"}": {".": {}, "f:image": {}}}}}
 *
 * A path element is `f:<field>` (a struct field or map key), `k:<json of key fields>` (an item of
 * a list merged by keys), `v:<json value>` (an item of a set), `i:<index>` (an item of a list
 * without identity). `.` marks a path that is itself a member when it also has children.
 */
import type { TypeNode } from './types.ts';

export class FieldSet {
  /** This path itself is in the set. */
  self = false;
  readonly kids = new Map<string, FieldSet>();

  /** A FieldsV1 object; `{}` is the empty set at the top and a member leaf below it. */
  static fromFieldsV1(json: unknown, top = true): FieldSet {
    const set = new FieldSet();
    if (json === null || typeof json !== 'object' || Array.isArray(json)) return set;
    const entries = Object.entries(json as Record<string, unknown>);
    if (entries.length === 0 && !top) set.self = true;
    for (const [k, v] of entries) {
      if (k === '.') set.self = true;
      else set.kids.set(k, FieldSet.fromFieldsV1(v, false));
    }
    return set;
  }

  /** FieldsV1: `.` first, then the elements sorted (fields, then keys, values, indexes, by text). */
  toFieldsV1(): Record<string, unknown> {
    return encodeNode(this) ?? {};
  }

  empty(): boolean {
    if (this.self) return false;
    for (const k of this.kids.values()) if (!k.empty()) return false;
    return true;
  }

  insert(path: readonly string[]): void {
    nodeAt(this, path, true).self = true;
  }

  child(el: string): FieldSet {
    let c = this.kids.get(el);
    if (c === undefined) { c = new FieldSet(); this.kids.set(el, c); }
    return c;
  }

  has(path: readonly string[]): boolean {
    return nodeAt(this, path, false)?.self === true;
  }

  /** Whether the set holds this path or anything below it. */
  hasPrefix(path: readonly string[]): boolean {
    const node = nodeAt(this, path, false);
    return node !== undefined && !node.empty();
  }

  union(other: FieldSet): FieldSet {
    const out = this.clone();
    out.addAll(other);
    return out;
  }

  private addAll(other: FieldSet): void {
    if (other.self) this.self = true;
    for (const [k, v] of other.kids) this.child(k).addAll(v);
  }

  difference(other: FieldSet): FieldSet {
    const out = new FieldSet();
    out.self = this.self && !other.self;
    for (const [k, v] of this.kids) {
      const o = other.kids.get(k);
      const d = o === undefined ? v.clone() : v.difference(o);
      if (!d.empty()) out.kids.set(k, d);
    }
    return out;
  }

  intersection(other: FieldSet): FieldSet {
    const out = new FieldSet();
    out.self = this.self && other.self;
    for (const [k, v] of this.kids) {
      const o = other.kids.get(k);
      if (o === undefined) continue;
      const i = v.intersection(o);
      if (!i.empty()) out.kids.set(k, i);
    }
    return out;
  }

  clone(): FieldSet {
    const out = new FieldSet();
    out.self = this.self;
    for (const [k, v] of this.kids) out.kids.set(k, v.clone());
    return out;
  }

  /** Every member path, depth first, in FieldsV1 order. */
  paths(prefix: string[] = [], out: string[][] = []): string[][] {
    if (this.self) out.push(prefix);
    for (const k of [...this.kids.keys()].sort(comparePathElements)) (this.kids.get(k) as FieldSet).paths([...prefix, k], out);
    return out;
  }

  /** Drops the paths under `prefix` (used for the fields the API server never records). */
  remove(path: readonly string[], withChildren: boolean): void {
    if (path.length === 0) return;
    const node = nodeAt(this, path.slice(0, -1), false);
    if (node === undefined) return;
    const last = path[path.length - 1] as string;
    const target = node.kids.get(last);
    if (target === undefined) return;
    if (withChildren || target.kids.size === 0) node.kids.delete(last);
    else target.self = false;
  }
}

export function nodeAt(root: FieldSet, path: readonly string[], create: true): FieldSet;
export function nodeAt(root: FieldSet, path: readonly string[], create: false): FieldSet | undefined;
export function nodeAt(root: FieldSet, path: readonly string[], create: boolean): FieldSet | undefined {
  let node: FieldSet | undefined = root;
  for (const el of path) {
    if (node === undefined) return undefined;
    node = create ? node.child(el) : node.kids.get(el);
  }
  return node;
}

/** A node's FieldsV1, or undefined when it holds no member (empty branches are left out). */
function encodeNode(node: FieldSet): Record<string, unknown> | undefined {
  let out: Record<string, unknown> | undefined;
  const keys = node.kids.size > 1 ? sortElements([...node.kids.keys()]) : [...node.kids.keys()];
  for (const k of keys) {
    const v = encodeNode(node.kids.get(k) as FieldSet);
    if (v === undefined) continue;
    out ??= node.self ? { '.': {} } : {};
    out[k] = v;
  }
  return out ?? (node.self ? {} : undefined);
}

/** Fields, keys, values, then indexes: plain string order puts `i:` second, so those move last. */
function sortElements(keys: string[]): string[] {
  keys.sort();
  if (!keys.some((k) => k.startsWith('i:'))) return keys;
  return [...keys.filter((k) => !k.startsWith('i:')), ...keys.filter((k) => k.startsWith('i:')).sort(comparePathElements)];
}

const ORDER = 'fkvi';
function comparePathElements(a: string, b: string): number {
  const d = ORDER.indexOf(a[0] as string) - ORDER.indexOf(b[0] as string);
  if (d !== 0) return d;
  return a < b ? -1 : a > b ? 1 : 0;
}

const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** The `k:` element of a list item merged by `keys` (key fields sorted by name), or undefined when it lacks them all. */
export function keyElement(item: unknown, keys: readonly string[]): string | undefined {
  return keyElementSorted(item, [...keys].sort().map((k) => [k, JSON.stringify(k), undefined] as const));
}

function keyElementSorted(item: unknown, sortedKeys: readonly (readonly [string, string, unknown])[]): string | undefined {
  if (!isObj(item)) return undefined;
  let out = '';
  let named = false;
  for (const [k, quoted, byDefault] of sortedKeys) {
    let v = item[k];
    if (v !== undefined) named = true;
    else v = byDefault;
    if (v === undefined) continue;
    out += `${out === '' ? '' : ','}${quoted}:${JSON.stringify(v)}`;
  }
  return named ? `k:{${out}}` : undefined;
}

export const valueElement = (v: unknown): string => `v:${JSON.stringify(v)}`;

/** Elements of the items named during one operation (apply names each item in several passes). */
let elementCache: WeakMap<object, string> | undefined;

/** Runs `fn` with list items' path elements remembered by object for its duration (calls are synchronous). */
export function withElementCache<T>(fn: () => T): T {
  const outer = elementCache;
  elementCache ??= new WeakMap();
  try { return fn(); } finally { elementCache = outer; }
}

/** The path element of each item of a list of type `type`, by its list type. */
export function itemElement(type: TypeNode & { t: 'list' }, item: unknown, index: number): string {
  if (type.listType === 'map') {
    if (!isObj(item)) return `i:${index}`;
    let el = elementCache?.get(item);
    if (el === undefined) {
      el = keyElementSorted(item, type.sortedKeys);
      if (el === undefined) return `i:${index}`;
      elementCache?.set(item, el);
    }
    return el;
  }
  if (type.listType === 'set') return valueElement(item);
  return `i:${index}`;
}

/**
 * The fields a value sets, as the API server counts an applied configuration's: leaves, the
 * items of keyed lists and sets, map entries, and atomic values whole; a struct field is a
 * member itself only when empty or null. Added under `path` of `set`.
 */
export function fieldSetOf(type: TypeNode, value: unknown, set = new FieldSet(), path: readonly string[] = []): FieldSet {
  walk(type, value, nodeAt(set, path, true));
  return set;
}

/** Descends to `el`, walks, and drops the child again when the walk put nothing there. */
function walkInto(node: FieldSet, el: string, type: TypeNode, value: unknown, self: boolean): void {
  const c = node.child(el);
  if (self) c.self = true;
  walk(type, value, c);
  if (!c.self && c.kids.size === 0) node.kids.delete(el);
}

function walk(type: TypeNode, value: unknown, node: FieldSet): void {
  if (type.t === 'list') {
    if (type.listType === 'atomic' || !Array.isArray(value)) { node.self = true; return; }
    for (let i = 0; i < value.length; i++) {
      const item = value[i];
      const el = itemElement(type, item, i);
      if (type.listType === 'map') walkInto(node, el, type.elem, item, true);
      else node.child(el).self = true;
    }
    return;
  }
  if (type.t === 'struct' || type.t === 'map') {
    if (type.atomic || !isObj(value)) { node.self = true; return; }
    let any = false;
    for (const k in value) {
      any = true;
      const v = value[k];
      const sub = type.t === 'struct' ? type.fields.get(k)?.type : type.elem;
      if (sub === undefined) { node.child(`f:${k}`).self = true; continue; }
      // A map entry is a member itself (its key is data); a struct field only when it holds nothing.
      walkInto(node, `f:${k}`, sub, v, type.t === 'map' || v === null || (isObj(v) && isEmpty(v)));
    }
    if (!any) node.self = true;
    return;
  }
  node.self = true;
}

function isEmpty(o: Record<string, unknown>): boolean {
  for (const _ in o) return false;
  return true;
}

/** `.spec.template.spec.containers[name="web"].image`: a path as the API server's messages write it. */
export function pathString(path: readonly string[]): string {
  let out = '';
  for (const el of path) {
    const body = el.slice(2);
    if (el.startsWith('f:')) out += `.${body}`;
    else if (el.startsWith('i:')) out += `[${body}]`;
    else if (el.startsWith('v:')) out += `[=${body}]`;
    else {
      const keys = JSON.parse(body) as Record<string, unknown>;
      out += `[${Object.entries(keys).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',')}]`;
    }
  }
  return out;
}
