/**
 * The CloudWatch Logs filter pattern language as a tree (parse.ts builds it, match.ts runs
 * it). Three kinds of pattern, told apart by their first character:
 *
 *   terms           ERROR "out of memory" ?WARN -healthcheck %[Ee]rr%
 *   JSON            { $.level = "error" && ($.latency > 100 || $.retry IS TRUE) }
 *   space-delimited [ip, user, ..., status = 4* || status = 5*, bytes > 1000]
 */

export type Pattern =
  | { readonly kind: 'all' }
  | { readonly kind: 'terms'; readonly required: readonly Term[]; readonly optional: readonly Term[]; readonly excluded: readonly Term[] }
  | { readonly kind: 'json'; readonly expr: JsonExpr }
  | { readonly kind: 'fields'; readonly fields: readonly Field[] };

/** A term matches an event that contains it (case-sensitive); a regex term, one its regex finds. */
export type Term = { readonly kind: 'text'; readonly text: string } | { readonly kind: 'regex'; readonly regex: RegExp };

export type JsonExpr =
  | { readonly kind: 'and' | 'or'; readonly left: JsonExpr; readonly right: JsonExpr }
  | { readonly kind: 'compare'; readonly path: readonly (string | number)[]; readonly op: CompareOp; readonly value: Value }
  | { readonly kind: 'is'; readonly path: readonly (string | number)[]; readonly what: 'TRUE' | 'FALSE' | 'NULL' }
  | { readonly kind: 'exists'; readonly path: readonly (string | number)[]; readonly exists: boolean };

export type CompareOp = '=' | '!=' | '<' | '<=' | '>' | '>=';

/** A value on a comparison's right: a number, a string (with `*` wildcards), or a regex. */
export type Value = { readonly kind: 'number'; readonly n: number } | { readonly kind: 'string'; readonly s: string; readonly wildcard: boolean } | { readonly kind: 'regex'; readonly regex: RegExp };

/** A space-delimited pattern's field: named (any value), conditioned, or `...` (any number of fields). */
export type Field = { readonly kind: 'any' } | { readonly kind: 'named'; readonly name: string; readonly cond: FieldCond | undefined };

export type FieldCond =
  | { readonly kind: 'and' | 'or'; readonly left: FieldCond; readonly right: FieldCond }
  | { readonly kind: 'compare'; readonly op: CompareOp; readonly value: Value };
