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
    if (self) node.self = true;
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
    for (const [k, v] of Object.entries(value)) addedTree(subType(type, k) ?? UNTYPED, v, node.child(`f:${k}`), !isRequired(type, k));
    return;
  }
  node.self = true;
}

/** A required field is never absent from the API server's old object (its Go field has no omitempty). */
const isRequired = (type: TypeNode, key: string): boolean => type.t === 'struct' && type.fields.get(key)?.required === true;

function walkCompare(type: TypeNode, a: unknown, b: unknown, path: Path, c: Comparison, required = false): void {
  if (a === undefined && b === undefined) return;
  if (a === undefined) { addedTree(type, b, nodeAt(c.added, toArray(path), true), path !== undefined && !required); return; }
  if (b === undefined) { const p = toArray(path); c.removed.insert(p); fieldSetOf(type, a, c.removed, p); return; }
  if (type.t === 'list' && type.listType !== 'atomic' && Array.isArray(a) && Array.isArray(b)) {
    const olds = itemsByElement(type, a);
    const news = itemsByElement(type, b);
    for (const [el, item] of news) {
      const p = { el, up: path };
      if (!olds.has(el)) {
        const n = nodeAt(c.added, toArray(p), true);
        n.self = true; // a new list item is a member itself
        addedTree(type.elem, item, n, true);
      }
      else if (type.listType === 'map') walkCompare(type.elem, olds.get(el), item, p, c);
    }
    for (const [el, item] of olds) if (!news.has(el)) { const p = toArray({ el, up: path }); c.removed.insert(p); fieldSetOf(type.elem, item, c.removed, p); }
    return;
  }
  if ((type.t === 'struct' || type.t === 'map') && !type.atomic && isObj(a) && isObj(b)) {
    for (const k in b) walkCompare(subType(type, k) ?? UNTYPED, a[k], b[k], { el: `f:${k}`, up: path }, c, isRequired(type, k));
    for (const k in a) if (!(k in b)) walkCompare(subType(type, k) ?? UNTYPED, a[k], undefined, { el: `f:${k}`, up: path }, c);
    return;
  }
  if (!deepEqual(a, b)) c.modified.insert(toArray(path));
}

/** `applied` laid over `live`: the applied configuration's values win; lists merge by their list type. */
export function merge(type: TypeNode, live: unknown, applied: unknown): unknown {
  if (applied === undefined) return live;
  if (live === undefined || live === null || applied === null) return applied;
  if (type.t === 'list' && type.listType !== 'atomic' && Array.isArray(live) && Array.isArray(applied)) return mergeItems(type, live, applied);
  if ((type.t === 'struct' || type.t === 'map') && !type.atomic && isObj(live) && isObj(applied)) {
    const out: Obj = { ...live };
    for (const [k, v] of Object.entries(applied)) out[k] = merge(subType(type, k) ?? UNTYPED, live[k], v);
    return out;
  }
  return applied;
}

/**
 * The items of a keyed list or set after apply, in the order structured-merge-diff gives them:
 * items both lists hold come in the applied order, items only live holds keep their place
 * among them, items only the configuration holds come where it puts them.
 */
function mergeItems(type: TypeNode & { t: 'list' }, live: unknown[], applied: unknown[]): unknown[] {
  const l = live.map((item, i) => [itemElement(type, item, i), item] as const);
  const r = applied.map((item, i) => [itemElement(type, item, i), item] as const);
  const inLive = new Map<string, unknown>();
  for (const [el, item] of l) if (!inLive.has(el)) inLive.set(el, item);
  const inApplied = new Set(r.map(([el]) => el));
  const shared = r.filter(([el]) => inLive.has(el)).map(([el]) => el);
  const done = new Set<string>();
  let next = 0; // the next shared item, in applied order
  const take = (el: string, item: unknown): void => {
    out.push(type.listType === 'map' ? merge(type.elem, inLive.get(el), item) : item);
    done.add(el);
    while (next < shared.length && done.has(shared[next] as string)) next++;
  };
  const out: unknown[] = [];
  let i = 0;
  let j = 0;
  while (i < l.length || j < r.length) {
    const [le, litem] = l[i] ?? [undefined, undefined];
    const [re, ritem] = r[j] ?? [undefined, undefined];
    if (le !== undefined && le === re) { take(le, ritem); i++; j++; continue; }
    if (le !== undefined) {
      if (done.has(le)) { i++; continue; }
      if (!inApplied.has(le)) { out.push(litem); done.add(le); i++; continue; }
      if (next < shared.length && shared[next] !== le) { i++; continue; } // shared, but its turn comes later
    }
    if (re !== undefined) { take(re, ritem); j++; continue; }
    i++;
  }
  return out;
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
      // An item that is itself removed goes whole, unless another manager still owns something in it.
      if (sub.self && !keep.hasPrefix([...path, el])) return;
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
      const p = [...path, el];
      // A field that is itself removed ("." in FieldsV1) goes whole, unless a manager — the
      // applier included — still owns something below it: then only what nobody owns goes.
      if (sub.self && !keep.hasPrefix(p)) continue;
      const next = removeFields(subType(type, k) ?? UNTYPED, v, sub, keep, p);
      if (isObj(next) && Object.keys(next).length === 0 && isObj(v) && Object.keys(v).length > 0 && !keep.hasPrefix(p)) continue;
      out[k] = next;
    }
    return out;
  }
  return value;
}
