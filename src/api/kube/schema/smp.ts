/**
 * Strategic merge patch (`application/strategic-merge-patch+json`), the semantics of
 * k8s.io/apimachinery's strategicpatch applied by the API server to built-in kinds:
 *
 * - maps merge key by key; `null` deletes a key; a key the original lacks is added;
 * - a list whose field has `patchStrategy: merge` merges: items with a `patchMergeKey` are
 *   matched by it (and merged recursively), primitive items are unioned; any other list is
 *   replaced whole;
 * - directives: `$patch: replace` (this map or list replaces the original), `$patch: delete`
 *   (this map is emptied; in a merging list, the item with this merge key is removed),
 *   `$deleteFromPrimitiveList/<field>: [...]`, `$setElementOrder/<field>: [...]` (the order of
 *   the merged list), `$retainKeys: [...]` (keys of this map not listed are dropped).
 *
 * Pure: the original is not changed; the result shares nothing with it or the patch.
 */
import { KubeSchemaError } from '../contract.ts';
import type { Field, TypeNode } from './types.ts';

type Obj = Record<string, unknown>;

const PATCH = '$patch';
const RETAIN_KEYS = '$retainKeys';
const DELETE_FROM = '$deleteFromPrimitiveList/';
const SET_ORDER = '$setElementOrder/';
const UNTYPED: TypeNode = { t: 'untyped' };

const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);
const bad = (message: string): KubeSchemaError => new KubeSchemaError(400, 'BadRequest', message);

/** A deep copy of JSON data (objects, arrays, scalars). */
export function cloneJson<T>(v: T): T {
  if (Array.isArray(v)) return v.map(cloneJson) as T;
  if (isObj(v)) {
    const out: Obj = {};
    for (const k in v) out[k] = cloneJson(v[k]);
    return out as T;
  }
  return v;
}

/** Applies `patch` to `original` as the API server does for a kind whose type is `type`. */
export function strategicMergePatch(type: TypeNode, original: object, patch: object): Obj {
  if (!isObj(original) || !isObj(patch)) throw bad('strategic merge patch: the object and the patch must be JSON objects');
  return mergeMap(cloneJson(original), patch, type);
}

function fieldOf(type: TypeNode, key: string): Field | undefined {
  if (type.t === 'struct') return type.fields.get(key);
  if (type.t === 'map') return { type: type.elem, patchStrategy: [] };
  return undefined;
}

/** Merges `patch` into `original` (owned: changed in place and returned). */
function mergeMap(original: Obj, patch: Obj, type: TypeNode): Obj {
  const directive = patch[PATCH];
  if (directive !== undefined) {
    if (directive === 'replace') return withoutDirectives(patch, type) as Obj;
    if (directive === 'delete') return {};
    throw bad(`Invalid $patch value "${String(directive)}" in a map: only "replace" and "delete" are allowed`);
  }
  const retain = patch[RETAIN_KEYS];
  if (retain !== undefined) {
    if (!Array.isArray(retain)) throw bad(`${RETAIN_KEYS} must be a list of field names`);
    const keep = new Set(retain.map(String));
    for (const k of Object.keys(original)) if (!keep.has(k)) delete original[k];
  }
  const orders: [string, unknown[], unknown[]][] = [];
  for (const [key, value] of Object.entries(patch)) {
    if (key === RETAIN_KEYS) continue;
    if (key.startsWith(DELETE_FROM)) {
      const field = key.slice(DELETE_FROM.length);
      if (!Array.isArray(value)) throw bad(`${key} must be a list of the values to remove`);
      const list = original[field];
      if (Array.isArray(list)) {
        const drop = new Set(value.map((v) => JSON.stringify(v)));
        original[field] = list.filter((v) => !drop.has(JSON.stringify(v)));
      }
      continue;
    }
    if (key.startsWith(SET_ORDER)) {
      if (!Array.isArray(value)) throw bad(`${key} must be a list`);
      const field = key.slice(SET_ORDER.length);
      const before = original[field];
      orders.push([field, value, Array.isArray(before) ? before : []]);
      continue;
    }
    const field = fieldOf(type, key);
    const sub = field?.type ?? UNTYPED;
    if (value === null) { delete original[key]; continue; }
    const cur = original[key];
    if (isObj(value)) {
      if (field?.patchStrategy.includes('replace')) original[key] = withoutDirectives(value, sub);
      else if (isObj(cur)) original[key] = mergeMap(cur, value, sub);
      else if (value[PATCH] === 'delete') delete original[key];
      else original[key] = mergeMap({}, value, sub);
      continue;
    }
    if (Array.isArray(value)) {
      const merging = field?.patchStrategy.includes('merge') === true && sub.t === 'list';
      if (merging) original[key] = mergeList(Array.isArray(cur) ? cur : [], value, sub.elem, field?.mergeKey);
      else original[key] = withoutDirectives(value, sub);
      continue;
    }
    original[key] = value;
  }
  for (const [field, order, serverOrder] of orders) {
    const list = original[field];
    if (Array.isArray(list)) original[field] = reorder(list, order, serverOrder, fieldOf(type, field)?.mergeKey);
  }
  return original;
}

function mergeList(original: unknown[], patch: unknown[], elem: TypeNode, mergeKey: string | undefined): unknown[] {
  const replace = patch.find((p) => isObj(p) && p[PATCH] === 'replace');
  if (replace !== undefined) return patch.filter((p) => p !== replace).map((p) => withoutDirectives(p, elem));
  if (mergeKey === undefined) {
    // Primitives (or items without a merge key): the union, first occurrence first.
    const seen = new Set(original.map((v) => JSON.stringify(v)));
    const out = [...original];
    for (const p of patch) {
      if (p === null) continue;
      const id = JSON.stringify(p);
      if (!seen.has(id)) { seen.add(id); out.push(cloneJson(p)); }
    }
    return out;
  }
  const out = [...original];
  const keyOf = (v: unknown): string | undefined => (isObj(v) && v[mergeKey] !== undefined ? JSON.stringify(v[mergeKey]) : undefined);
  for (const p of patch) {
    if (!isObj(p)) throw bad(`strategic merge patch: a list merged by "${mergeKey}" takes maps, got ${JSON.stringify(p)}`);
    const id = keyOf(p);
    if (id === undefined) throw bad(`map: ${JSON.stringify(p)} does not contain declared merge key: ${mergeKey}`);
    const at = out.findIndex((o) => keyOf(o) === id);
    const directive = p[PATCH];
    if (directive === 'delete') { if (at >= 0) out.splice(at, 1); continue; }
    if (directive !== undefined && directive !== 'merge') throw bad(`Invalid $patch value "${String(directive)}" in a list item: only "delete" and "merge" are allowed`);
    const item = directive === 'merge' ? Object.fromEntries(Object.entries(p).filter(([k]) => k !== PATCH)) : p;
    if (at >= 0 && isObj(out[at])) out[at] = mergeMap(out[at] as Obj, item, elem);
    else out.push(mergeMap({}, item, elem));
  }
  return out;
}

/**
 * `$setElementOrder`: the items the order names come in its order; the others (the server's
 * own) keep their original order; the two runs are interleaved by their original positions,
 * a server item first when the named item is new (as apimachinery's strategicpatch does).
 */
function reorder(list: unknown[], order: unknown[], serverOrder: unknown[], mergeKey: string | undefined): unknown[] {
  const idOf = (v: unknown): string => JSON.stringify(mergeKey !== undefined && isObj(v) ? v[mergeKey] : v);
  const rank = new Map(order.map((o, i) => [idOf(o), i]));
  const serverPos = new Map<string, number>();
  serverOrder.forEach((v, i) => { const id = idOf(v); if (!serverPos.has(id)) serverPos.set(id, i); });
  const named = list.filter((v) => rank.has(idOf(v))).sort((a, b) => (rank.get(idOf(a)) as number) - (rank.get(idOf(b)) as number));
  const others = list.filter((v) => !rank.has(idOf(v))).sort((a, b) => (serverPos.get(idOf(a)) ?? -1) - (serverPos.get(idOf(b)) ?? -1));
  const out: unknown[] = [];
  let i = 0;
  let j = 0;
  while (i < named.length || j < others.length) {
    if (j >= others.length) { out.push(named[i++]); continue; }
    if (i >= named.length) { out.push(others[j++]); continue; }
    const li = serverPos.get(idOf(named[i]));
    const ri = serverPos.get(idOf(others[j]));
    if (li !== undefined && ri !== undefined && li < ri) out.push(named[i++]);
    else out.push(others[j++]);
  }
  return out;
}

/** A patch value taken whole: a copy without `$` directives and without nulls. */
function withoutDirectives(v: unknown, type: TypeNode): unknown {
  if (Array.isArray(v)) {
    const elem = type.t === 'list' ? type.elem : UNTYPED;
    return v.filter((x) => !(isObj(x) && x[PATCH] === 'delete')).map((x) => withoutDirectives(x, elem));
  }
  if (isObj(v)) {
    const out: Obj = {};
    for (const [k, x] of Object.entries(v)) {
      if (k.startsWith('$') || x === null) continue;
      out[k] = withoutDirectives(x, fieldOf(type, k)?.type ?? UNTYPED);
    }
    return out;
  }
  return v;
}
