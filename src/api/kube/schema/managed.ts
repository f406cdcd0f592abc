/**
 * `metadata.managedFields`: which manager owns which fields, kept by every write.
 *
 *   update(before, after, manager)  an ordinary write: the writer takes the fields it added or
 *                                   changed (from everyone else), removed fields leave every set
 *   apply(live, applied, manager)   server-side apply: the applied configuration merged into live;
 *                                   fields another manager owns with another value conflict
 *                                   (unless forced); fields this manager applied before and no
 *                                   longer does are removed when nobody else owns them
 */
import { apiVersionOf } from './kinds.ts';
import { FieldSet, fieldSetOf, itemElement, pathString, withElementCache } from './fieldset.ts';
import { KubeSchemaError } from '../contract.ts';
import { compare, deepEqual, merge, removeFields } from './typed-ops.ts';
import { cloneJson } from './smp.ts';
import type { ApplyConflict, GroupVersionKind, ManagedFieldsEntry } from '../contract.ts';
import type { StructNode, TypeNode } from './types.ts';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Most Update entries an object keeps: older ones merge into one `ancient-changes` entry, as the API server caps them. */
export const MAX_UPDATE_MANAGERS = 10;

/** Fields no manager owns: identity and bookkeeping the server writes itself. */
const STRIPPED: readonly (readonly string[])[] = [
  ['f:apiVersion'], ['f:kind'],
  ['f:metadata', 'f:name'], ['f:metadata', 'f:namespace'], ['f:metadata', 'f:uid'], ['f:metadata', 'f:resourceVersion'],
  ['f:metadata', 'f:generation'], ['f:metadata', 'f:creationTimestamp'], ['f:metadata', 'f:managedFields'],
  ['f:metadata', 'f:selfLink'], ['f:metadata', 'f:deletionTimestamp'], ['f:metadata', 'f:deletionGracePeriodSeconds'],
];

/** The manager the API server credits with the fields of an object that has no managedFields at its first apply. */
export const BEFORE_FIRST_APPLY = 'before-first-apply';

/** Refuses an applied configuration with a keyed list item that lacks every key (apply cannot name it). */
function checkKeys(type: TypeNode, value: unknown, gvk: GroupVersionKind, path: string): void {
  if (type.t === 'list' && Array.isArray(value)) {
    if (type.listType !== 'map') return;
    value.forEach((item, i) => {
      const el = itemElement(type, item, i);
      if (el.startsWith('i:')) {
        const missing = type.keys.find((k) => !isObj(item) || item[k] === undefined) ?? type.keys[0];
        throw new KubeSchemaError(400, 'BadRequest', `failed to create typed patch object (${apiVersionOf(gvk)}, Kind=${gvk.kind}): ${path}: element ${i}: associative list with keys has an element that omits key field "${missing}" (and doesn't have default value)`);
      }
      checkKeys(type.elem, item, gvk, `${path}[${el.slice(2)}]`);
    });
    return;
  }
  if ((type.t === 'struct' || type.t === 'map') && isObj(value)) {
    for (const [k, v] of Object.entries(value)) {
      const sub = type.t === 'struct' ? type.fields.get(k)?.type : type.elem;
      if (sub !== undefined) checkKeys(sub, v, gvk, `${path}.${k}`);
    }
  }
}

interface Manager { entry: ManagedFieldsEntry; set: FieldSet }

const idOf = (e: { manager: string; operation: string; subresource?: string | undefined }): string => `${e.manager}\u0000${e.operation}\u0000${e.subresource ?? ''}`;
const timeOf = (now: Date): string => `${now.toISOString().slice(0, 19)}Z`;

function managersOf(object: unknown): Map<string, Manager> {
  const out = new Map<string, Manager>();
  const list = isObj(object) && isObj(object.metadata) ? object.metadata.managedFields : undefined;
  if (!Array.isArray(list)) return out;
  for (const e of list as ManagedFieldsEntry[]) {
    if (!isObj(e) || typeof e.manager !== 'string') continue;
    out.set(idOf(e), { entry: e, set: FieldSet.fromFieldsV1(e.fieldsV1) });
  }
  return out;
}

/** The fields a write may own on this (sub)resource: identity never; status only through /status. */
function ownable(set: FieldSet, subresource: string | undefined): FieldSet {
  const out = set.clone();
  for (const p of STRIPPED) out.remove(p, true);
  out.remove(['f:metadata'], false);
  if (subresource === undefined) out.remove(['f:status'], true);
  else if (subresource === 'status') {
    for (const k of [...out.kids.keys()]) if (k !== 'f:status') out.kids.delete(k);
  }
  return out;
}

/** Encodes the managers, sorted as the API server sorts them (operation, time, manager, apiVersion). */
function encode(managers: Map<string, Manager>): ManagedFieldsEntry[] {
  const entries = [...managers.values()].filter((m) => !m.set.empty()).map((m) => ({ ...m.entry, fieldsV1: m.set.toFieldsV1() }));
  entries.sort((p, q) => (p.operation !== q.operation ? (p.operation < q.operation ? -1 : 1)
    : p.time !== q.time ? (p.time < q.time ? -1 : 1)
      : p.manager !== q.manager ? (p.manager < q.manager ? -1 : 1)
        : p.apiVersion < q.apiVersion ? -1 : p.apiVersion > q.apiVersion ? 1 : 0));
  return entries;
}

function entry(manager: string, operation: 'Apply' | 'Update', gvk: GroupVersionKind, now: Date, subresource?: string): ManagedFieldsEntry {
  return { manager, operation, apiVersion: apiVersionOf(gvk), time: timeOf(now), fieldsType: 'FieldsV1', fieldsV1: {}, ...(subresource === undefined ? {} : { subresource }) };
}

/** Merges the oldest Update entries past the cap into one, as the API server does. */
function capUpdates(managers: Map<string, Manager>, gvk: GroupVersionKind, now: Date): void {
  const isUpdate = (m: Manager): boolean => m.entry.operation === 'Update';
  if ([...managers.values()].filter(isUpdate).length <= MAX_UPDATE_MANAGERS) return;
  const ancient = entry('ancient-changes', 'Update', gvk, now);
  const ancientId = idOf(ancient);
  let set = managers.get(ancientId)?.set ?? new FieldSet();
  managers.delete(ancientId);
  const updates = [...managers.entries()].filter(([, m]) => isUpdate(m)).sort(([, a], [, b]) => (a.entry.time < b.entry.time ? -1 : a.entry.time > b.entry.time ? 1 : 0));
  for (const [id, m] of updates.slice(0, updates.length - (MAX_UPDATE_MANAGERS - 1))) { set = set.union(m.set); managers.delete(id); }
  managers.set(ancientId, { entry: ancient, set });
}

export function managedFieldsAfterUpdate(...args: Parameters<typeof updateManaged>): ManagedFieldsEntry[] {
  return withElementCache(() => updateManaged(...args));
}

function updateManaged(type: StructNode, gvk: GroupVersionKind, before: object | undefined, after: object, manager: string, now: Date, subresource?: string): ManagedFieldsEntry[] {
  const afterFields = isObj(after) && isObj(after.metadata) ? after.metadata.managedFields : undefined;
  const managers = managersOf(Array.isArray(afterFields) ? after : before);
  const c = compare(type, before ?? {}, after);
  const changed = ownable(c.added.union(c.modified), subresource);
  const removed = c.removed;
  const id = idOf({ manager, operation: 'Update', subresource });
  for (const [mid, m] of managers) if (mid !== id) m.set = m.set.difference(changed).difference(removed);
  const prev = managers.get(id);
  const next = (prev?.set ?? new FieldSet()).union(changed).difference(removed);
  const touched = prev === undefined || !changed.empty();
  managers.set(id, { entry: touched ? entry(manager, 'Update', gvk, now, subresource) : prev.entry, set: next });
  capUpdates(managers, gvk, now);
  return encode(managers);
}

/** The API server's message for apply conflicts (a 409 Conflict). */
export function conflictMessage(conflicts: readonly ApplyConflict[]): string {
  const byManager = new Map<string, ApplyConflict[]>();
  for (const c of conflicts) {
    const who = `"${c.manager}"${c.subresource === undefined ? '' : ` with subresource "${c.subresource}"`}${c.apiVersion === undefined ? '' : ` using ${c.apiVersion}`}`;
    byManager.set(who, [...(byManager.get(who) ?? []), c]);
  }
  const parts = [...byManager].map(([who, cs]) => (cs.length === 1 ? `conflict with ${who}: ${(cs[0] as ApplyConflict).field}` : `conflicts with ${who}:\n${cs.map((c) => `- ${c.field}`).join('\n')}`));
  const n = conflicts.length;
  return `Apply failed with ${n} conflict${n === 1 ? '' : 's'}: ${parts.join('\n')}`;
}

/** The field manager `kubectl apply --server-side` uses by default. */
const KUBECTL_MANAGER = 'kubectl';
/** Where client-side apply keeps what it applied last. */
export const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';

export function apply(...args: Parameters<typeof applyOnce>): ReturnType<typeof applyOnce> {
  return withElementCache(() => {
    const first = applyOnce(...args);
    if (!('conflicts' in first)) return first;
    // Moving from client-side to server-side apply: kubectl's own conflicts over fields the
    // object's last-applied configuration holds are resolved in its favour, as the API server's
    // last-applied manager resolves them (`kubectl apply --server-side` after `kubectl apply`).
    // Only for the manager "kubectl": another name is how a user opts out.
    const [type, , live, , manager] = args;
    if (manager !== KUBECTL_MANAGER) return first;
    const lastApplied = lastAppliedFields(type, live);
    if (lastApplied && first.conflicts.every((c) => lastApplied.has(c.field))) {
      const forced: Parameters<typeof applyOnce> = [...args];
      forced[5] = true;
      return applyOnce(...forced);
    }
    return first;
  });
}

/** The field paths of the object's last-applied configuration, or undefined when it has none. */
function lastAppliedFields(type: StructNode, live: object | undefined): Set<string> | undefined {
  const text = (live as { metadata?: { annotations?: Record<string, string> } } | undefined)?.metadata?.annotations?.[LAST_APPLIED_ANNOTATION];
  if (text === undefined) return undefined;
  let config: unknown;
  try {
    config = JSON.parse(text);
  } catch {
    return undefined;
  }
  return new Set(fieldSetOf(type, config).paths().map(pathString));
}

function applyOnce(type: StructNode, gvk: GroupVersionKind, live: object | undefined, applied: object, manager: string, force: boolean, now: Date, subresource?: string):
  { object: Obj } | { conflicts: ApplyConflict[]; message: string } {
  checkKeys(type, applied, gvk, '');
  const managers = managersOf(live);
  if (live !== undefined && managers.size === 0) {
    // An object nobody has managed yet (written before managedFields were kept): its fields
    // belong to this placeholder manager, so the first apply conflicts with what is there.
    const e = entry(BEFORE_FIRST_APPLY, 'Update', gvk, now);
    managers.set(idOf(e), { entry: e, set: ownable(fieldSetOf(type, live), undefined) });
  }
  // merge and removeFields copy what they change and share the rest: the result is copied once at the end.
  const base: Obj = live === undefined ? {} : (live as Obj);
  const config: Obj = { ...(applied as Obj) };
  if (isObj(config.metadata) && 'managedFields' in config.metadata) {
    const { managedFields: _ignored, ...rest } = config.metadata;
    config.metadata = rest;
  }
  const merged = merge(type, base, config) as Obj;
  const c = compare(type, base, merged);
  const changed = ownable(c.added.union(c.modified), subresource);
  const id = idOf({ manager, operation: 'Apply', subresource });
  const conflicts: ApplyConflict[] = [];
  for (const [mid, m] of managers) {
    if (mid === id) continue;
    const clash = m.set.intersection(changed);
    if (clash.empty()) continue;
    for (const p of clash.paths()) {
      conflicts.push({ manager: m.entry.manager, field: pathString(p), apiVersion: m.entry.apiVersion, ...(m.entry.subresource === undefined ? {} : { subresource: m.entry.subresource }) });
    }
    if (force) m.set = m.set.difference(changed);
  }
  if (conflicts.length > 0 && !force) return { conflicts, message: conflictMessage(conflicts) };
  const appliedSet = ownable(fieldSetOf(type, config), subresource);
  const last = managers.get(id)?.set ?? new FieldSet();
  managers.set(id, { entry: entry(manager, 'Apply', gvk, now, subresource), set: appliedSet });
  let others = new FieldSet();
  for (const m of managers.values()) others = others.union(m.set);
  const pruned = last.difference(others);
  const object = cloneJson(pruned.empty() ? merged : removeFields(type, merged, pruned, others) as Obj);
  const metadata: Obj = isObj(object.metadata) ? { ...object.metadata } : {};
  metadata.managedFields = encode(managers);
  object.metadata = metadata;
  // An apply that changes nothing keeps the old timestamps, so the write is a no-op (as the
  // API server ignores managedFields timestamp-only changes).
  if (live !== undefined && isObj(base.metadata) && c.added.empty() && c.modified.empty() && pruned.empty()) {
    const before = base.metadata.managedFields;
    const keep = Array.isArray(before) ? (before as ManagedFieldsEntry[]) : [];
    const same = (metadata.managedFields as ManagedFieldsEntry[]).every((e) => keep.some((k) => idOf(k) === idOf(e) && k.apiVersion === e.apiVersion && deepEqual(k.fieldsV1, e.fieldsV1)));
    if (same && keep.length === (metadata.managedFields as ManagedFieldsEntry[]).length) metadata.managedFields = cloneJson(keep);
  }
  return { object };
}

