/**
 * An object's stored form: its JSON without resourceVersion, which is the key's modRevision
 * (so a write never has to know its own revision beforehand).
 */
import type { Obj } from './kind-rules.ts';

/** The stored form: everything but resourceVersion, which is the key's modRevision. */
export function serialize(o: Obj): string {
  const rv = o.metadata.resourceVersion;
  delete o.metadata.resourceVersion;
  const s = JSON.stringify(o);
  if (rv !== undefined) o.metadata.resourceVersion = rv;
  return s;
}

export function decode(value: string, modRevision: number): Obj {
  const o = JSON.parse(value) as Obj;
  o.metadata.resourceVersion = String(modRevision);
  return o;
}

