/**
 * An object's stored form: its JSON with metadata first and without resourceVersion, which is
 * the key's modRevision (so a write never has to know its own revision beforehand). Metadata
 * first lets a GET or LIST answer the stored string with the version spliced in, without
 * parsing and serializing the object again.
 */
import type { Obj } from './kind-rules.ts';

const HEAD = '{"metadata":{';
const CLOSE_BRACE = 125;

export function serialize(o: Obj): string {
  const { metadata, ...rest } = o;
  const { resourceVersion: _rv, ...meta } = metadata;
  return JSON.stringify({ metadata: meta, ...rest });
}

export function decode(value: string, modRevision: number): Obj {
  const o = JSON.parse(value) as Obj;
  o.metadata.resourceVersion = String(modRevision);
  return o;
}

/** The object's JSON as clients get it (resourceVersion set), from its stored form. */
export function withResourceVersion(value: string, modRevision: number): string {
  if (!value.startsWith(HEAD)) return JSON.stringify(decode(value, modRevision));
  const rv = `"resourceVersion":"${modRevision}"`;
  const rest = value.slice(HEAD.length);
  return rest.charCodeAt(0) === CLOSE_BRACE ? `${HEAD}${rv}${rest}` : `${HEAD}${rv},${rest}`;
}
