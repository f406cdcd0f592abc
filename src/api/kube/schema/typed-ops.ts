/**
 * The three operations on typed values server-side apply is made of (structured-merge-diff's
 * Compare, Merge and RemoveItems), walking a value beside its schema type:
 *
 *   compare(old, new)  → the fields added, modified and removed between two objects
 *   merge(live, applied) → live with the applied configuration laid over it, lists by their type
 *   removeFields(v, set) → v without the fields of a set (what a manager stopped applying)
 */
import { FieldSet, fieldSetOf, itemElement, nodeAt } from './fieldset.ts';
import type { TypeNode } from './types.ts';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);
const UNTYPED: TypeNode = { t: 'untyped' };

export interface Comparison {
  readonly added: FieldSet;
  readonly modified: FieldSet;
  readonly removed: FieldSet;
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isObj(a) && isObj(b)) {
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    return ka.every((k) => k in b && deepEqual(a[k], b[k]));
  }
  return false;
}

const subType = (type: TypeNode, key: string): TypeNode | undefined =>
  type.t === 'struct' ? type.fields.get(key)?.type : type.t === 'map' ? type.elem : undefined;

/** Items of a list by their path element (first wins when a list repeats a key). */
function itemsByElement(type: TypeNode & { t: 'list' }, list: unknown[]): Map<string, unknown> {
  const out = new Map<string, unknown>();
  list.forEach((item, i) => { const el = itemElement(type, item, i); if (!out.has(el)) out.set(el, item); });
  return out;
}

export function compare(type: TypeNode, oldValue: unknown, newValue: unknown): Comparison {
  const c: Comparison = { added: new FieldSet(), modified: new FieldSet(), removed: new FieldSet() };
  walkCompare(type, oldValue, newValue, undefined, c);
  return c;
}

/** A path as a linked list from the leaf up: walking allocates one cell per step, arrays only on insert. */
type Path = { readonly el: string; readonly up: Path } | undefined;
function toArray(path: Path): string[] {
  const out: string[] = [];
  for (let p = path; p !== undefined; p = p.up) out.push(p.el);
  return out.reverse();
}

/**
 * The fields of a value an ordinary write added: every map entry, list item and leaf is a
 * member itself; a struct only through its fields (the API server's old object already holds
 * its non-pointer structs, so they never appear as added).
 */
function addedTree(type: TypeNode, value: unknown, node: FieldSet, self: boolean): void {
  if (type.t === 'list' && type.listType !== 'atomic' && Array.isArray(value)) {
    value.forEach((item, i) => {
      const el = itemElement(type, item, i);
      const n = node.child(el);
      n.self = true;
      if (type.listType === 'map') addedTree(type.elem, item, n, true);
    });
    return;
  }
  if ((type.t === 'struct' || type.t === 'map') && !type.atomic && isObj(value) && Object.keys(value).length > 0) {
    if (type.t === 'map' && self) node.self = true;
    for (const [k, v] of Object.entries(value)) addedTree(subType(type, k) ?? UNTYPED, v, node.child(`f:${k}`), true);
    return;
  }
  node.self = true;
}

function walkCompare(type: TypeNode, a: unknown, b: unknown, path: Path, c: Comparison): void {
  if (a === undefined && b === undefined) return;
  if (a === undefined) { addedTree(type, b, nodeAt(c.added, toArray(path), true), path !== undefined); return; }
  if (b === undefined) { const p = toArray(path); c.removed.insert(p); fieldSetOf(type, a, c.removed, p); return; }
  if (type.t === 'list' && type.listType !== 'atomic' && Array.isArray(a) && Array.isArray(b)) {
    const olds = itemsByElement(type, a);
    const news = itemsByElement(type, b);
    for (const [el, item] of news) {
      const p = { el, up: path };
      if (!olds.has(el)) addedTree(type.elem, item, nodeAt(c.added, toArray(p), true), true);
      else if (type.listType === 'map') walkCompare(type.elem, olds.get(el), item, p, c);
    }
    for (const [el, item] of olds) if (!news.has(el)) { const p = toArray({ el, up: path }); c.removed.insert(p); fieldSetOf(type.elem, item, c.removed, p); }
    return;
  }
  if ((type.t === 'struct' || type.t === 'map') && !type.atomic && isObj(a) && isObj(b)) {
    for (const k in b) walkCompare(subType(type, k) ?? UNTYPED, a[k], b[k], { el: `f:${k}`, up: path }, c);
    for (const k in a) if (!(k in b)) walkCompare(subType(type, k) ?? UNTYPED, a[k], undefined, { el: `f:${k}`, up: path }, c);
    return;
  }
  if (!deepEqual(a, b)) c.modified.insert(toArray(path));
}

/** `applied` laid over `live`: the applied configuration's values win; lists merge by their list type. */
export function merge(type: TypeNode, live: unknown, applied: unknown): unknown {
  if (applied === undefined) return live;
  if (live === undefined || live === null || applied === null) return applied;
  if (type.t === 'list' && type.listType !== 'atomic' && Array.isArray(live) && Array.isArray(applied)) {
    const out = [...live];
    const at = new Map<string, number>();
    out.forEach((item, i) => { const el = itemElement(type, item, i); if (!at.has(el)) at.set(el, i); });
    applied.forEach((item, i) => {
      const el = itemElement(type, item, i);
      const j = at.get(el);
      if (j === undefined) { at.set(el, out.length); out.push(item); } else if (type.listType === 'map') out[j] = merge(type.elem, out[j], item);
    });
    return out;
  }
  if ((type.t === 'struct' || type.t === 'map') && !type.atomic && isObj(live) && isObj(applied)) {
    const out: Obj = { ...live };
    for (const [k, v] of Object.entries(applied)) out[k] = merge(subType(type, k) ?? UNTYPED, live[k], v);
    return out;
  }
  return applied;
}

/**
 * `value` without the members of `set`; a struct or map emptied this way goes too when `keep`
 * (what other managers still own) holds nothing under it.
 */
export function removeFields(type: TypeNode, value: unknown, set: FieldSet, keep: FieldSet, path: string[] = []): unknown {
  if (type.t === 'list' && Array.isArray(value)) {
    if (type.listType === 'atomic') return value;
    const out: unknown[] = [];
    value.forEach((item, i) => {
      const el = itemElement(type, item, i);
      const sub = set.kids.get(el);
      if (sub === undefined) { out.push(item); return; }
      if (sub.self) return;
      out.push(type.listType === 'map' ? removeFields(type.elem, item, sub, keep, [...path, el]) : item);
    });
    return out;
  }
  if ((type.t === 'struct' || type.t === 'map') && isObj(value)) {
    const out: Obj = {};
    for (const [k, v] of Object.entries(value)) {
      const el = `f:${k}`;
      const sub = set.kids.get(el);
      if (sub === undefined) { out[k] = v; continue; }
      if (sub.self) continue;
      const p = [...path, el];
      const next = removeFields(subType(type, k) ?? UNTYPED, v, sub, keep, p);
      if (isObj(next) && Object.keys(next).length === 0 && isObj(v) && Object.keys(v).length > 0 && !keep.hasPrefix(p)) continue;
      out[k] = next;
    }
    return out;
  }
  return value;
}
