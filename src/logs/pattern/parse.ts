/**
 * The filter pattern parser. No npm package parses CloudWatch Logs filter patterns (the
 * registry's log-pattern packages are for other languages, and aws-cdk's FilterPattern
 * only builds pattern text), so this is Berth's own: a small recursive-descent parser,
 * pure, table-tested in parse.test.ts. Whatever it cannot read is AWS's
 * InvalidParameterException "Invalid filter pattern".
 */
import { fail } from '../../core/errors.ts';
import type { CompareOp, Field, FieldCond, JsonExpr, Pattern, Term, Value } from './ast.ts';

/** AWS's FilterPattern maximum length (the model's bound, checked here as the service does). */
export const MAX_PATTERN_LENGTH = 1024;

export function invalid(): never {
  fail('InvalidParameterException', 'Invalid filter pattern');
}

export function parsePattern(text: string): Pattern {
  if (text.length > MAX_PATTERN_LENGTH) invalid();
  const t = text.trim();
  if (t === '') return { kind: 'all' };
  if (t[0] === '{') return { kind: 'json', expr: new JsonParser(t).parseAll() };
  if (t[0] === '[') return { kind: 'fields', fields: parseFields(t) };
  return parseTerms(t);
}

function parseTerms(t: string): Pattern {
  const required: Term[] = [], optional: Term[] = [], excluded: Term[] = [];
  let i = 0;
  while (i < t.length) {
    if (/\s/.test(t[i]!)) {
      i++;
      continue;
    }
    let into = required;
    if (t[i] === '?') { into = optional; i++; } else if (t[i] === '-') { into = excluded; i++; }
    let term: Term;
    if (t[i] === '"') {
      const [s, next] = quoted(t, i);
      term = { kind: 'text', text: s };
      i = next;
    } else if (t[i] === '%') {
      const end = t.indexOf('%', i + 1);
      if (end < 0) invalid();
      term = { kind: 'regex', regex: regex(t.slice(i + 1, end)) };
      i = end + 1;
    } else {
      let j = i;
      while (j < t.length && !/\s/.test(t[j]!)) j++;
      const word = t.slice(i, j);
      // Unquoted terms are words: AWS asks for quotes around anything but letters, digits, _ and a few marks.
      if (word === '' || /["{}[\]%]/.test(word)) invalid();
      term = { kind: 'text', text: word };
      i = j;
    }
    if (term.kind === 'text' && term.text === '') invalid();
    into.push(term);
  }
  return { kind: 'terms', required, optional, excluded };
}

/** A double-quoted string starting at `i`: its text (\" and \\ unescaped) and the index after it. */
function quoted(t: string, i: number): [string, number] {
  let s = '';
  let j = i + 1;
  for (;;) {
    if (j >= t.length) invalid();
    const c = t[j]!;
    if (c === '\\' && j + 1 < t.length) {
      s += t[j + 1];
      j += 2;
    } else if (c === '"') {
      return [s, j + 1];
    } else {
      s += c;
      j++;
    }
  }
}

function regex(source: string): RegExp {
  if (source === '') invalid();
  try {
    return new RegExp(source);
  } catch {
    invalid();
  }
}

/** The tokens of JSON and space-delimited patterns. */
type Tok = { k: 'op'; v: string } | { k: 'word'; v: string } | { k: 'str'; v: string } | { k: 'regex'; v: string };

function tokenize(t: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < t.length) {
    const c = t[i]!;
    if (/\s/.test(c)) { i++; continue; }
    const two = t.slice(i, i + 2);
    if (['&&', '||', '!=', '<=', '>='].includes(two)) { out.push({ k: 'op', v: two }); i += 2; continue; }
    if (t.startsWith('...', i)) { out.push({ k: 'op', v: '...' }); i += 3; continue; }
    if ('{}[]()=<>,'.includes(c)) { out.push({ k: 'op', v: c }); i++; continue; }
    if (c === '"') {
      const [s, next] = quoted(t, i);
      out.push({ k: 'str', v: s });
      i = next;
      continue;
    }
    if (c === '%') {
      const end = t.indexOf('%', i + 1);
      if (end < 0) invalid();
      out.push({ k: 'regex', v: t.slice(i + 1, end) });
      i = end + 1;
      continue;
    }
    // A JSON selector ($.a[0].b) holds brackets; any other word ends at one.
    const stop = c === '$' ? /[\s{}()=<>,!&|"]/ : /[\s{}[\]()=<>,!&|"]/;
    let j = i;
    while (j < t.length && !stop.test(t[j]!)) j++;
    if (j === i) invalid();
    out.push({ k: 'word', v: t.slice(i, j) });
    i = j;
  }
  return out;
}

const COMPARE: readonly string[] = ['=', '!=', '<', '<=', '>', '>='];

class Tokens {
  private i = 0;
  private readonly toks: Tok[];
  constructor(toks: Tok[]) {
    this.toks = toks;
  }
  peek(): Tok | undefined { return this.toks[this.i]; }
  next(): Tok {
    const t = this.toks[this.i++];
    if (!t) invalid();
    return t;
  }
  isOp(v: string): boolean {
    const t = this.peek();
    return t !== undefined && t.k === 'op' && t.v === v;
  }
  expectOp(v: string): void {
    if (!this.isOp(v)) invalid();
    this.i++;
  }
  done(): boolean { return this.i >= this.toks.length; }
}

/** The value after a comparison operator; `numeric` ops (<, >, …) take numbers only. */
function value(ts: Tokens, op: CompareOp): Value {
  const t = ts.next();
  if (t.k === 'regex') {
    if (op !== '=' && op !== '!=') invalid();
    return { kind: 'regex', regex: regex(t.v) };
  }
  if (t.k === 'op') invalid();
  if (t.k === 'word' && /^-?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(t.v)) return { kind: 'number', n: Number(t.v) };
  if (op !== '=' && op !== '!=') invalid();
  return { kind: 'string', s: t.v, wildcard: t.v.includes('*') };
}

class JsonParser {
  private readonly ts: Tokens;
  constructor(text: string) {
    this.ts = new Tokens(tokenize(text));
  }
  parseAll(): JsonExpr {
    this.ts.expectOp('{');
    const e = this.or();
    this.ts.expectOp('}');
    if (!this.ts.done()) invalid();
    return e;
  }
  private or(): JsonExpr {
    let left = this.and();
    while (this.ts.isOp('||')) {
      this.ts.next();
      left = { kind: 'or', left, right: this.and() };
    }
    return left;
  }
  private and(): JsonExpr {
    let left = this.atom();
    while (this.ts.isOp('&&')) {
      this.ts.next();
      left = { kind: 'and', left, right: this.atom() };
    }
    return left;
  }
  private atom(): JsonExpr {
    if (this.ts.isOp('(')) {
      this.ts.next();
      const e = this.or();
      this.ts.expectOp(')');
      return e;
    }
    const sel = this.ts.next();
    if (sel.k !== 'word') invalid();
    const path = selector(sel.v);
    const t = this.ts.peek();
    if (t?.k === 'word' && t.v === 'IS') {
      this.ts.next();
      const what = this.ts.next();
      if (what.k !== 'word' || !['TRUE', 'FALSE', 'NULL'].includes(what.v)) invalid();
      return { kind: 'is', path, what: what.v as 'TRUE' | 'FALSE' | 'NULL' };
    }
    if (t?.k === 'word' && (t.v === 'NOT' || t.v === 'EXISTS')) {
      this.ts.next();
      if (t.v === 'NOT') {
        const e = this.ts.next();
        if (e.k !== 'word' || e.v !== 'EXISTS') invalid();
        return { kind: 'exists', path, exists: false };
      }
      return { kind: 'exists', path, exists: true };
    }
    const op = this.ts.next();
    if (op.k !== 'op' || !COMPARE.includes(op.v)) invalid();
    return { kind: 'compare', path, op: op.v as CompareOp, value: value(this.ts, op.v as CompareOp) };
  }
}

/** `$.a.b[0].c` → ['a', 'b', 0, 'c']; `$` alone is the whole event. */
function selector(s: string): (string | number)[] {
  if (s[0] !== '$') invalid();
  const path: (string | number)[] = [];
  const re = /\.([A-Za-z0-9_@$-]+)|\[(\d+)\]|\.\*|\[\*\]/gy;
  re.lastIndex = 1;
  while (re.lastIndex < s.length) {
    const m = re.exec(s);
    if (!m) invalid();
    if (m[1] !== undefined) path.push(m[1]);
    else if (m[2] !== undefined) path.push(Number(m[2]));
    else path.push('*');
  }
  return path;
}

function parseFields(t: string): Field[] {
  const ts = new Tokens(tokenize(t));
  ts.expectOp('[');
  const fields: Field[] = [];
  if (ts.isOp(']')) invalid();
  for (;;) {
    if (ts.isOp('...')) {
      ts.next();
      fields.push({ kind: 'any' });
    } else {
      const name = ts.next();
      if (name.k !== 'word') invalid();
      fields.push({ kind: 'named', name: name.v, cond: fieldCond(ts, name.v) });
    }
    if (ts.isOp(']')) break;
    ts.expectOp(',');
  }
  ts.expectOp(']');
  if (!ts.done()) invalid();
  return fields;
}

/** Conditions on one field: `status = 4* || status = 5*`, `bytes > 10 && bytes < 99`. */
function fieldCond(ts: Tokens, name: string): FieldCond | undefined {
  if (ts.isOp(',') || ts.isOp(']')) return undefined;
  let cond = compareOn(ts);
  while (ts.isOp('&&') || ts.isOp('||')) {
    const join = ts.next().v === '&&' ? 'and' : 'or';
    // The field's name may be repeated (`status = 4* || status = 5*`) or left out (`= 4* || = 5*`).
    const again = ts.peek();
    if (again?.k === 'word') {
      if (again.v !== name) invalid();
      ts.next();
    }
    cond = { kind: join, left: cond, right: compareOn(ts) };
  }
  return cond;
}

function compareOn(ts: Tokens): FieldCond {
  const op = ts.next();
  if (op.k !== 'op' || !COMPARE.includes(op.v)) invalid();
  return { kind: 'compare', op: op.v as CompareOp, value: value(ts, op.v as CompareOp) };
}
