/**
 * Runs a parsed filter pattern over events. Term patterns made of plain text run on the
 * stored bytes without decoding a message: each term's next occurrence in a batch is found
 * once with Buffer.indexOf and reused for every event before it, so a scan costs about one
 * pass of memchr-speed search over the batch, whatever the number of events. Other
 * patterns decode the message and test the string.
 */
import type { CompareOp, Field, FieldCond, JsonExpr, Pattern, Term, Value } from './ast.ts';
import { parsePattern } from './parse.ts';

export interface CompiledPattern {
  /** True when the pattern matches every event (the empty pattern). */
  readonly all: boolean;
  /** A test for the events of one batch payload: the event whose message is payload[start, end). */
  forBatch(payload: Buffer): (start: number, end: number) => boolean;
  matches(message: string): boolean;
}

/** Parses and compiles; throws InvalidParameterException "Invalid filter pattern" when it cannot. */
export function compilePattern(text: string): CompiledPattern {
  const p = parsePattern(text);
  const matches = stringMatcher(p);
  const bytes = p.kind === 'terms' ? byteTerms(p) : undefined;
  return {
    all: p.kind === 'all',
    matches,
    forBatch: bytes ?? ((payload) => (start, end) => matches(payload.toString('utf8', start, end))),
  };
}

function stringMatcher(p: Pattern): (message: string) => boolean {
  switch (p.kind) {
    case 'all':
      return () => true;
    case 'terms': {
      const has = (m: string, t: Term) => (t.kind === 'text' ? m.includes(t.text) : t.regex.test(m));
      return (m) => p.required.every((t) => has(m, t)) && (p.optional.length === 0 || p.optional.some((t) => has(m, t))) && !p.excluded.some((t) => has(m, t));
    }
    case 'json':
      return (m) => {
        const start = m.trimStart()[0];
        if (start !== '{' && start !== '[') return false;
        let doc: unknown;
        try {
          doc = JSON.parse(m);
        } catch {
          return false;
        }
        return evalJson(p.expr, doc);
      };
    case 'fields':
      return (m) => matchFields(p.fields, splitFields(m), 0, 0);
  }
}

/** The byte-level form of a terms pattern, when every term is plain text. */
function byteTerms(p: Extract<Pattern, { kind: 'terms' }>): ((payload: Buffer) => (start: number, end: number) => boolean) | undefined {
  if ([...p.required, ...p.optional, ...p.excluded].some((t) => t.kind !== 'text')) return undefined;
  const enc = (ts: readonly Term[]) => ts.map((t) => Buffer.from((t as { text: string }).text, 'utf8'));
  const required = enc(p.required), optional = enc(p.optional), excluded = enc(p.excluded);
  return (payload) => {
    const finders = (terms: Buffer[]) => terms.map((term) => {
      let hit = -2; // the next occurrence at or after the last start asked about (-1: none left)
      return (start: number, end: number) => {
        if (hit === -1) return false;
        if (hit < start) hit = payload.indexOf(term, start);
        return hit !== -1 && hit + term.length <= end;
      };
    });
    const req = finders(required), opt = finders(optional), exc = finders(excluded);
    return (start, end) => {
      for (const f of req) if (!f(start, end)) return false;
      if (opt.length > 0) {
        let any = false;
        for (const f of opt) if (f(start, end)) any = true; // every finder advances, so none goes stale
        if (!any) return false;
      }
      for (const f of exc) if (f(start, end)) return false;
      return true;
    };
  };
}

function evalJson(e: JsonExpr, doc: unknown): boolean {
  switch (e.kind) {
    case 'and':
      return evalJson(e.left, doc) && evalJson(e.right, doc);
    case 'or':
      return evalJson(e.left, doc) || evalJson(e.right, doc);
    case 'exists':
      return (resolve(doc, e.path).length > 0) === e.exists;
    case 'is': {
      const want = e.what === 'TRUE' ? true : e.what === 'FALSE' ? false : null;
      return resolve(doc, e.path).some((v) => v === want);
    }
    case 'compare':
      return resolve(doc, e.path).some((v) => compare(v, e.op, e.value));
  }
}

/** The values at a path (`*` stands for every element or member), none when it leads nowhere. */
function resolve(doc: unknown, path: readonly (string | number)[]): unknown[] {
  let at: unknown[] = [doc];
  for (const step of path) {
    const next: unknown[] = [];
    for (const v of at) {
      if (v === null || typeof v !== 'object') continue;
      if (step === '*') next.push(...Object.values(v));
      else if (Object.hasOwn(v, step)) next.push((v as Record<string | number, unknown>)[step]);
    }
    at = next;
  }
  return at;
}

/** A JSON value or a field's text against a pattern value. */
function compare(v: unknown, op: CompareOp, value: Value): boolean {
  if (value.kind === 'number') {
    const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
    if (Number.isNaN(n)) return op === '!=' && v !== undefined;
    switch (op) {
      case '=': return n === value.n;
      case '!=': return n !== value.n;
      case '<': return n < value.n;
      case '<=': return n <= value.n;
      case '>': return n > value.n;
      case '>=': return n >= value.n;
    }
  }
  if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') return false;
  const s = String(v);
  const eq = value.kind === 'regex' ? value.regex.test(s) : value.wildcard ? wildcard(value.s).test(s) : s === value.s;
  return op === '=' ? eq : !eq;
}

const wildcards = new Map<string, RegExp>();
/** Distinct wildcard strings compiled and kept (one pattern holds a handful). */
const MAX_WILDCARDS = 256;

function wildcard(s: string): RegExp {
  let re = wildcards.get(s);
  if (!re) {
    re = new RegExp(`^${s.split('*').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`, 's');
    if (wildcards.size >= MAX_WILDCARDS) wildcards.clear();
    wildcards.set(s, re);
  }
  return re;
}

/** A space-delimited event's fields: runs of non-spaces, "quoted" or [bracketed] runs as one. */
export function splitFields(m: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < m.length) {
    const c = m[i]!;
    if (c === ' ' || c === '\t') { i++; continue; }
    if (c === '"' || c === '[') {
      const close = m.indexOf(c === '"' ? '"' : ']', i + 1);
      if (close >= 0) {
        out.push(m.slice(i + 1, close));
        i = close + 1;
        continue;
      }
    }
    let j = i;
    while (j < m.length && m[j] !== ' ' && m[j] !== '\t') j++;
    out.push(m.slice(i, j));
    i = j;
  }
  return out;
}

function matchFields(fields: readonly Field[], values: readonly string[], fi: number, vi: number): boolean {
  if (fi === fields.length) return vi === values.length;
  const f = fields[fi]!;
  if (f.kind === 'any') {
    for (let k = vi; k <= values.length; k++) if (matchFields(fields, values, fi + 1, k)) return true;
    return false;
  }
  if (vi >= values.length) return false;
  if (f.cond && !evalCond(f.cond, values[vi]!)) return false;
  return matchFields(fields, values, fi + 1, vi + 1);
}

function evalCond(c: FieldCond, v: string): boolean {
  switch (c.kind) {
    case 'and': return evalCond(c.left, v) && evalCond(c.right, v);
    case 'or': return evalCond(c.left, v) || evalCond(c.right, v);
    case 'compare': return compare(v, c.op, c.value);
  }
}
