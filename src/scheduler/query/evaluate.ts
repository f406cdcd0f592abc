/**
 * The cluster query language's evaluator: an {@link Expr} compiled once into a predicate
 * over a {@link PlacementInstance}, so placement and ListContainerInstances pay for
 * parsing once per request and for a few closure calls per instance.
 *
 * Semantics where the guide is silent, chosen to read as the words do:
 * - a missing attribute satisfies only `!=`, `!in`, `!~` and `!exists`;
 * - `task:group` is many-valued (every group with a task on the instance): `==`, `in`, `=~`
 *   hold when any group matches, and their negations when none does;
 * - `>`/`<`… compare numbers as numbers, dotted versions (1.14.5) part by part, dates
 *   (registeredAt) as instants, anything else as strings.
 */
import { fail } from '../../core/errors.ts';
import type { PlacementInstance } from '../types.ts';
import { parseExpression, type Comparison, type Expr } from './parse.ts';

export type Predicate = (instance: PlacementInstance) => boolean;

export interface CompiledQuery {
  readonly test: Predicate;
  /** True when the answer depends on the tasks an instance runs (task:group, runningTasksCount), so placing a task can change it. */
  readonly readsTasks: boolean;
}

/** Parses and compiles; throws InvalidParameterException for an invalid expression. */
export function compileQuery(text: string): CompiledQuery {
  const expr = parseExpression(text);
  return { test: compile(expr), readsTasks: readsTasks(expr) };
}

function compile(e: Expr): Predicate {
  switch (e.kind) {
    case 'and': { const l = compile(e.left), r = compile(e.right); return (i) => l(i) && r(i); }
    case 'or': { const l = compile(e.left), r = compile(e.right); return (i) => l(i) || r(i); }
    case 'not': { const o = compile(e.operand); return (i) => !o(i); }
    case 'cmp': return comparison(e);
  }
}

function readsTasks(e: Expr): boolean {
  if (e.kind === 'cmp') return e.subject === 'task:group' || e.subject === 'runningTasksCount';
  if (e.kind === 'not') return readsTasks(e.operand);
  return readsTasks(e.left) || readsTasks(e.right);
}

/** Which values a subject has on an instance: none (missing), one, or several (task:group). */
type Values = (i: PlacementInstance) => readonly string[];

function subjectValues(subject: string): Values {
  if (subject.startsWith('attribute:')) {
    const name = subject.slice('attribute:'.length);
    // A value-less attribute exists and equals the empty string.
    return (i) => (i.attributes.has(name) ? [i.attributes.get(name) ?? ''] : []);
  }
  switch (subject) {
    case 'task:group': return (i) => [...i.groups].filter(([, n]) => n > 0).map(([g]) => g);
    case 'agentConnected': return (i) => [String(i.agentConnected)];
    case 'agentVersion': return (i) => (i.agentVersion === undefined ? [] : [i.agentVersion]);
    case 'ec2InstanceId': return (i) => (i.ec2InstanceId === undefined ? [] : [i.ec2InstanceId]);
    case 'registeredAt': return (i) => [String(i.registeredAt)];
    case 'runningTasksCount': return (i) => [String(i.taskCount)];
  }
  throw new Error(`unknown subject ${subject}: the parser admits no other`);
}

function comparison(c: Comparison): Predicate {
  const values = subjectValues(c.subject);
  const any = (test: (v: string) => boolean): Predicate => (i) => values(i).some(test);
  const none = (test: (v: string) => boolean): Predicate => (i) => !values(i).some(test);
  const arg = c.values[0]!;
  const order = c.subject === 'registeredAt' ? dateOrder(arg) : (v: string) => compare(v, arg);
  switch (c.op) {
    case 'exists': return (i) => values(i).length > 0;
    case '!exists': return (i) => values(i).length === 0;
    case '==': return c.subject === 'registeredAt' ? any((v) => order(v) === 0) : any((v) => v === arg);
    case '!=': return c.subject === 'registeredAt' ? none((v) => order(v) === 0) : none((v) => v === arg);
    case 'in': { const set = new Set(c.values); return any((v) => set.has(v)); }
    case '!in': { const set = new Set(c.values); return none((v) => set.has(v)); }
    case '=~': { const re = c.pattern!; return any((v) => re.test(v)); }
    case '!~': { const re = c.pattern!; return none((v) => re.test(v)); }
    case '>': return any((v) => order(v) > 0);
    case '>=': return any((v) => order(v) >= 0);
    case '<': return any((v) => order(v) < 0);
    case '<=': return any((v) => order(v) <= 0);
  }
}

const NUMBER = /^-?\d+(\.\d+)?$/;
const VERSION = /^\d+(\.\d+)+$/;

/** Sign of a − b: numbers as numbers, versions part by part, else by code point. */
export function compare(a: string, b: string): number {
  if (NUMBER.test(a) && NUMBER.test(b)) return Math.sign(Number(a) - Number(b));
  if (VERSION.test(a) && VERSION.test(b)) {
    const x = a.split('.').map(Number), y = b.split('.').map(Number);
    for (let k = 0; k < Math.max(x.length, y.length); k++) {
      const d = (x[k] ?? 0) - (y[k] ?? 0);
      if (d !== 0) return Math.sign(d);
    }
    return 0;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The date formats the guide lists for registeredAt; a time without a zone is UTC. */
const DATE = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2}(Z|[+-]\d{2}:\d{2})?)?$/;

/** Epoch seconds of a registeredAt argument; refuses what the guide does not list. */
export function parseDate(text: string): number {
  if (!DATE.test(text)) {
    fail('InvalidParameterException', `registeredAt compares with a date such as 2018-06-18T22:28:28+00:00, 2018-06-18T22:28:28Z, 2018-06-18T22:28:28 or 2018-06-18, not '${text}'.`);
  }
  const iso = text.length === 10 ? `${text}T00:00:00Z` : /Z|[+-]\d{2}:\d{2}$/.test(text.slice(19)) ? text : `${text}Z`;
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) fail('InvalidParameterException', `registeredAt: '${text}' is not a calendar date.`);
  return ms / 1000;
}

function dateOrder(arg: string): (v: string) => number {
  const at = parseDate(arg);
  return (v) => Math.sign(Number(v) - at);
}
