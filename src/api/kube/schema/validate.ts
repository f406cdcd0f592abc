/**
 * Field validation (`fieldValidation=Strict|Warn`): the fields of an object its schema does not
 * have, and the keys a JSON document repeats, as paths the API server writes in
 * `unknown field "spec.template.spec.containers[0].imagee"` and `duplicate field "spec.replicas"`.
 */
import { apiVersionOf } from './kinds.ts';
import type { GroupVersionKind } from '../contract.ts';
import type { TypeNode } from './types.ts';

/** Most paths one answer lists: a document of junk should not make a megabyte of error. */
export const MAX_REPORTED_FIELDS = 100;

const join = (path: string, name: string): string => (path === '' ? name : `${path}.${name}`);

/** Paths (no leading dot) of the fields of `value` that `type` does not declare, in document order. */
export function unknownFieldPaths(type: TypeNode, value: unknown, path = '', out: string[] = []): string[] {
  if (out.length >= MAX_REPORTED_FIELDS || value === null || typeof value !== 'object') return out;
  if (type.t === 'list') {
    if (Array.isArray(value)) value.forEach((item, i) => unknownFieldPaths(type.elem, item, `${path}[${i}]`, out));
    return out;
  }
  if (Array.isArray(value)) return out;
  if (type.t === 'struct') {
    for (const [name, v] of Object.entries(value)) {
      const field = type.fields.get(name);
      if (field === undefined) {
        if (out.length < MAX_REPORTED_FIELDS) out.push(join(path, name));
      } else unknownFieldPaths(field.type, v, join(path, name), out);
    }
  } else if (type.t === 'map') {
    for (const [name, v] of Object.entries(value)) unknownFieldPaths(type.elem, v, join(path, name), out);
  }
  return out;
}

/**
 * Paths of the object keys a JSON text repeats (JSON.parse keeps the last silently). Scans the
 * text once; `text` must be valid JSON (parse it first for the syntax error).
 */
export function duplicateFieldPaths(text: string): string[] {
  const out: string[] = [];
  let i = 0;
  const ws = (): void => { while (i < text.length && ' \t\r\n'.includes(text[i] as string)) i++; };
  const str = (): string => {
    const start = i;
    i++;
    while (text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    i++;
    return JSON.parse(text.slice(start, i)) as string;
  };
  const value = (path: string): void => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const seen = new Set<string>();
      ws();
      if (text[i] === '}') { i++; return; }
      for (;;) {
        ws();
        const key = str();
        const p = join(path, key);
        if (seen.has(key)) { if (out.length < MAX_REPORTED_FIELDS) out.push(p); } else seen.add(key);
        ws();
        i++; // ':'
        value(p);
        ws();
        if (text[i++] === '}') return;
      }
    } else if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') { i++; return; }
      for (let n = 0; ; n++) {
        value(`${path}[${n}]`);
        ws();
        if (text[i++] === ']') return;
      }
    } else if (c === '"') str();
    else while (i < text.length && !',}] \t\r\n'.includes(text[i] as string)) i++;
  };
  value('');
  return out;
}

/**
 * The API server's answer to a Strict write with unknown or duplicate fields (a 400 BadRequest):
 * `Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: unknown field "spec.foo"`.
 */
export function strictDecodingMessage(gvk: GroupVersionKind, unknown: readonly string[], duplicates: readonly string[] = []): string {
  const errors = [...duplicates.map((p) => `duplicate field "${p}"`), ...unknown.map((p) => `unknown field "${p}"`)];
  return `${gvk.kind} in version "${apiVersionOf(gvk).split('/').pop()}" cannot be handled as a ${gvk.kind}: strict decoding error: ${errors.join(', ')}`;
}

/** The warnings of a Warn write, one per field (the API server sends each as a `Warning: 299 - "..."` header). */
export function fieldWarnings(unknown: readonly string[], duplicates: readonly string[] = []): string[] {
  return [...duplicates.map((p) => `duplicate field "${p}"`), ...unknown.map((p) => `unknown field "${p}"`)];
}
