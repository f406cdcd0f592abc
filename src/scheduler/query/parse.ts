/**
 * The cluster query language's parser: text → {@link Expr}. The grammar is the ECS
 * developer guide's ("Create expressions to define container instances for Amazon ECS
 * tasks"):
 *
 *   expr       := or
 *   or         := and (('or' | '||') and)*
 *   and        := unary (('and' | '&&') unary)*
 *   unary      := ('not' | '!') unary | '(' expr ')' | comparison
 *   comparison := subject operator [argument]
 *   argument   := word | 'quoted' | "quoted" | '[' argument (',' argument)* ']'
 *
 * Hand-written recursive descent rather than a parser generator from npm: the language is
 * a dozen productions, its lexing depends on context (a `matches` argument is a Java regex
 * that may hold parentheses and brackets; `!` is `not` before an expression but part of
 * `!=`, `!~`, `!in`, `!exists` after a subject), and the error a user sees must name the
 * position and what was expected, which a generated parser's messages do not.
 */
import { fail } from '../../core/errors.ts';

/** The API reference's limit on a constraint expression (PlacementConstraint.expression). */
export const MAX_EXPRESSION_LENGTH = 2000;

export type Operator = '==' | '!=' | '>' | '>=' | '<' | '<=' | 'exists' | '!exists' | 'in' | '!in' | '=~' | '!~';

export type Expr =
  | { readonly kind: 'and' | 'or'; readonly left: Expr; readonly right: Expr }
  | { readonly kind: 'not'; readonly operand: Expr }
  | Comparison;

export interface Comparison {
  readonly kind: 'cmp';
  /** `attribute:NAME`, `task:group`, or a field: agentConnected, agentVersion, ec2InstanceId, registeredAt, runningTasksCount. */
  readonly subject: string;
  readonly op: Operator;
  /** One value for most operators, the list for `in`/`!in`, none for `exists`/`!exists`. */
  readonly values: readonly string[];
  /** `=~`/`!~`: the argument compiled once, anchored (Java's `Pattern.matches` semantics). */
  readonly pattern?: RegExp;
}

/** Spelled-out operators and their symbols (the guide lists both). */
const WORD_OPERATORS: Readonly<Record<string, Operator>> = {
  equals: '==', not_equals: '!=', greater_than: '>', greater_than_equal: '>=', less_than: '<', less_than_equal: '<=',
  exists: 'exists', not_exists: '!exists', in: 'in', not_in: '!in', matches: '=~', not_matches: '!~',
};
const SYMBOL_OPERATORS: readonly Operator[] = ['==', '!=', '>=', '<=', '>', '<', '=~', '!~'];

/** The fields the guide names, each with the operators it allows. Attributes and task:group take any. */
const FIELD_OPERATORS: Readonly<Record<string, readonly Operator[]>> = {
  agentConnected: ['==', '!=', 'in', '!in', '=~', '!~'],
  agentVersion: ['==', '!=', '>', '>=', '<', '<='],
  ec2InstanceId: ['==', '!=', 'in', '!in', '=~', '!~'],
  registeredAt: ['==', '!=', '>', '>=', '<', '<='],
  runningTasksCount: ['==', '!=', '>', '>=', '<', '<='],
};

/** Characters that end a bare word (subjects and plain arguments). */
const WORD_END = /[\s()[\],'"=!<>~&|]/;

export function parseExpression(text: string): Expr {
  if (text.length > MAX_EXPRESSION_LENGTH) {
    fail('InvalidParameterException', `The cluster query language expression is ${text.length} characters long; at most ${MAX_EXPRESSION_LENGTH} are allowed.`);
  }
  const p = new Parser(text);
  const expr = p.or();
  p.skipSpace();
  if (!p.atEnd()) p.error(`unexpected '${p.rest(12)}'`);
  return expr;
}

class Parser {
  private pos = 0;
  private readonly src: string;
  constructor(src: string) { this.src = src; }

  or(): Expr {
    let left = this.and();
    while (this.keyword('or') || this.symbol('||')) left = { kind: 'or', left, right: this.and() };
    return left;
  }

  and(): Expr {
    let left = this.unary();
    while (this.keyword('and') || this.symbol('&&')) left = { kind: 'and', left, right: this.unary() };
    return left;
  }

  unary(): Expr {
    this.skipSpace();
    if (this.keyword('not') || this.bang()) return { kind: 'not', operand: this.unary() };
    if (this.symbol('(')) {
      const inner = this.or();
      if (!this.symbol(')')) this.error(`expected ')' to close the '(' ${this.atEnd() ? 'before the end' : `before '${this.rest(12)}'`}`);
      return inner;
    }
    return this.comparison();
  }

  comparison(): Comparison {
    this.skipSpace();
    const at = this.pos;
    const subject = this.word();
    if (!subject) this.error(this.atEnd() ? 'expected a subject such as attribute:ecs.instance-type at the end' : `expected a subject such as attribute:ecs.instance-type, not '${this.rest(12)}'`);
    if (!isSubject(subject)) this.error(`'${subject}' is not a subject: use attribute:NAME, task:group, agentConnected, agentVersion, ec2InstanceId, registeredAt or runningTasksCount`, at);
    const op = this.operator();
    if (!op) this.error(`expected an operator (==, !=, >, >=, <, <=, exists, !exists, in, !in, =~, !~) after '${subject}'`);
    const allowed = FIELD_OPERATORS[subject];
    if (allowed && !allowed.includes(op)) this.error(`${subject} does not take the operator ${op}; it takes ${allowed.join(' ')}`, at);
    if (op === 'exists' || op === '!exists') return { kind: 'cmp', subject, op, values: [] };
    if (op === 'in' || op === '!in') return { kind: 'cmp', subject, op, values: this.list() };
    if (op === '=~' || op === '!~') {
      const source = this.regexArgument();
      return { kind: 'cmp', subject, op, values: [source], pattern: this.compile(source) };
    }
    const value = this.argument();
    if (value === undefined) this.error(`expected a value after '${subject} ${op}'`);
    return { kind: 'cmp', subject, op, values: [value] };
  }

  private operator(): Operator | undefined {
    this.skipSpace();
    if (this.src.startsWith('!exists', this.pos) && this.wordBoundary(this.pos + 7)) return this.take(7, '!exists');
    if (this.src.startsWith('!in', this.pos) && this.wordBoundary(this.pos + 3)) return this.take(3, '!in');
    for (const s of SYMBOL_OPERATORS) if (this.src.startsWith(s, this.pos)) return this.take(s.length, s);
    const save = this.pos;
    const w = this.word().toLowerCase();
    if (w in WORD_OPERATORS) return WORD_OPERATORS[w];
    this.pos = save;
    return undefined;
  }

  /** A list `[a, b]`; a single bare value is taken as a list of one. */
  private list(): string[] {
    this.skipSpace();
    if (!this.symbol('[')) {
      const one = this.argument();
      if (one === undefined) this.error("expected a value list such as [us-east-1a, us-east-1b]");
      return [one];
    }
    const values: string[] = [];
    for (;;) {
      const v = this.argument();
      if (v === undefined) this.error(`expected a value in the list${this.atEnd() ? ' before the end' : `, not '${this.rest(12)}'`}`);
      values.push(v);
      if (this.symbol(']')) return values;
      if (!this.symbol(',')) this.error(`expected ',' or ']' in the value list${this.atEnd() ? ' before the end' : `, not '${this.rest(12)}'`}`);
    }
  }

  private argument(): string | undefined {
    this.skipSpace();
    const quote = this.src[this.pos];
    if (quote === "'" || quote === '"') return this.quoted(quote);
    const w = this.word();
    return w === '' ? undefined : w;
  }

  /** A Java regex: quoted, or bare up to a space or a ')' that closes an enclosing group. */
  private regexArgument(): string {
    this.skipSpace();
    const quote = this.src[this.pos];
    if (quote === "'" || quote === '"') return this.quoted(quote);
    const start = this.pos;
    let depth = 0;
    while (!this.atEnd()) {
      const c = this.src[this.pos]!;
      if (/\s/.test(c)) break;
      if (c === '\\') { this.pos += 2; continue; }
      if (c === '(') depth++;
      if (c === ')' && depth-- === 0) break;
      this.pos++;
    }
    if (this.pos === start) this.error('expected a pattern such as t2.* after the matches operator');
    return this.src.slice(start, this.pos);
  }

  private quoted(quote: string): string {
    const start = ++this.pos;
    const end = this.src.indexOf(quote, start);
    if (end < 0) this.error(`the value opened with ${quote} at position ${start} is never closed`, start - 1);
    this.pos = end + 1;
    return this.src.slice(start, end);
  }

  private compile(source: string): RegExp {
    try {
      return new RegExp(`^(?:${source})$`);
    } catch {
      return this.error(`'${source}' is not a valid regular expression`);
    }
  }

  private word(): string {
    this.skipSpace();
    const start = this.pos;
    while (!this.atEnd() && !WORD_END.test(this.src[this.pos]!)) this.pos++;
    return this.src.slice(start, this.pos);
  }

  /** `!` as `not`: not when it begins `!=`, `!~`, `!in`, `!exists` (those follow a subject, never start one). */
  private bang(): boolean {
    if (this.src[this.pos] !== '!' || this.src[this.pos + 1] === '=' || this.src[this.pos + 1] === '~') return false;
    this.pos++;
    return true;
  }

  private keyword(k: string): boolean {
    this.skipSpace();
    if (this.src.slice(this.pos, this.pos + k.length).toLowerCase() !== k || !this.wordBoundary(this.pos + k.length)) return false;
    this.pos += k.length;
    return true;
  }

  private symbol(s: string): boolean {
    this.skipSpace();
    if (!this.src.startsWith(s, this.pos)) return false;
    this.pos += s.length;
    return true;
  }

  private wordBoundary(at: number): boolean {
    return at >= this.src.length || WORD_END.test(this.src[at]!);
  }

  private take<T>(n: number, v: T): T {
    this.pos += n;
    return v;
  }

  skipSpace(): void {
    while (!this.atEnd() && /\s/.test(this.src[this.pos]!)) this.pos++;
  }

  atEnd(): boolean {
    return this.pos >= this.src.length;
  }

  rest(n: number): string {
    return this.src.slice(this.pos, this.pos + n);
  }

  error(what: string, at = this.pos): never {
    fail('InvalidParameterException', `The cluster query language expression '${this.src}' is invalid at position ${at + 1}: ${what}. Write subject operator [argument], e.g. attribute:ecs.instance-type == t2.small.`);
  }
}

function isSubject(s: string): boolean {
  return (s.startsWith('attribute:') && s.length > 'attribute:'.length) || s === 'task:group' || s in FIELD_OPERATORS;
}
