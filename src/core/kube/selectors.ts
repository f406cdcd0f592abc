/**
 * Label and field selectors as the API server parses and matches them (`labelSelector=`,
 * `fieldSelector=` of list and watch). Pure. Parse errors are thrown as SelectorError, whose
 * message the front door answers in a 400 BadRequest.
 */

export class SelectorError extends Error {}

export type LabelRequirement =
  | { readonly op: 'exists' | 'notexists'; readonly key: string }
  | { readonly op: 'in' | 'notin'; readonly key: string; readonly values: readonly string[] };

export type LabelSelector = readonly LabelRequirement[];

/** Splits at commas outside parentheses. */
function splitTop(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ',' && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts;
}

const KEY = /^[A-Za-z0-9]([-A-Za-z0-9_./]*[A-Za-z0-9])?$/;
const VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

function checkKey(key: string, whole: string): string {
  if (!KEY.test(key)) throw new SelectorError(`unable to parse requirement: found '${key}', expected: identifier in '${whole}'`);
  return key;
}

function checkValue(value: string): string {
  if (!VALUE.test(value) || value.length > 63) {
    throw new SelectorError(`unable to parse requirement: values[0]: Invalid value: ${JSON.stringify(value)}: a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`);
  }
  return value;
}

/** Parses `a=b,c!=d,e in (f,g),h notin (i),j,!k`; '' selects everything. */
export function parseLabelSelector(text: string): LabelSelector {
  const reqs: LabelRequirement[] = [];
  if (text.trim() === '') return reqs;
  for (const raw of splitTop(text)) {
    const part = raw.trim();
    if (part === '') throw new SelectorError(`unable to parse requirement: found '', expected: !, identifier, or 'end of string'`);
    const set = /^(\S+)\s+(in|notin)\s*\((.*)\)$/.exec(part);
    if (set) {
      const values = set[3]!.split(',').map((v) => checkValue(v.trim()));
      reqs.push({ op: set[2] as 'in' | 'notin', key: checkKey(set[1]!, text), values });
      continue;
    }
    const cmp = /^([^!=\s]+)\s*(==|=|!=)\s*(.*)$/.exec(part);
    if (cmp) {
      const value = checkValue(cmp[3]!.trim());
      reqs.push({ op: cmp[2] === '!=' ? 'notin' : 'in', key: checkKey(cmp[1]!, text), values: [value] });
      continue;
    }
    if (part.startsWith('!')) reqs.push({ op: 'notexists', key: checkKey(part.slice(1).trim(), text) });
    else reqs.push({ op: 'exists', key: checkKey(part, text) });
  }
  return reqs;
}

/** An object's label selector (metav1.LabelSelector: a Deployment's, a ReplicaSet's) as requirements. */
export function requirementsOf(selector: {
  readonly matchLabels?: Readonly<Record<string, string>>;
  readonly matchExpressions?: readonly { readonly key: string; readonly operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'; readonly values?: readonly string[] }[];
}): LabelSelector {
  const OPS = { In: 'in', NotIn: 'notin', Exists: 'exists', DoesNotExist: 'notexists' } as const;
  return [
    ...Object.entries(selector.matchLabels ?? {}).map(([key, value]): LabelRequirement => ({ op: 'in', key, values: [value] })),
    ...(selector.matchExpressions ?? []).map((e): LabelRequirement => {
      const op = OPS[e.operator];
      return op === 'exists' || op === 'notexists' ? { op, key: e.key } : { op, key: e.key, values: e.values ?? [] };
    }),
  ];
}

export function matchesLabels(selector: LabelSelector, labels: Readonly<Record<string, string>> | undefined): boolean {
  for (const r of selector) {
    const has = labels !== undefined && Object.hasOwn(labels, r.key);
    switch (r.op) {
      case 'exists': if (!has) return false; break;
      case 'notexists': if (has) return false; break;
      case 'in': if (!has || !r.values.includes(labels[r.key]!)) return false; break;
      case 'notin': if (has && r.values.includes(labels[r.key]!)) return false; break;
    }
  }
  return true;
}

export interface FieldRequirement {
  readonly field: string;
  readonly equal: boolean;
  readonly value: string;
}

export type FieldSelector = readonly FieldRequirement[];

/**
 * Parses `metadata.name=x,status.phase!=Active`. `known` lists the fields this kind can be
 * selected by (every kind: metadata.name and metadata.namespace); another is refused with the
 * server's message.
 */
export function parseFieldSelector(text: string, known: readonly string[]): FieldSelector {
  const reqs: FieldRequirement[] = [];
  if (text.trim() === '') return reqs;
  for (const raw of text.split(',')) {
    const m = /^([^!=]+)(==|=|!=)(.*)$/.exec(raw.trim());
    if (!m) throw new SelectorError(`invalid selector: '${text}'; can't understand '${raw}'`);
    const field = m[1]!.trim();
    if (!known.includes(field)) throw new SelectorError(`field label not supported: ${field}`);
    reqs.push({ field, equal: m[2] !== '!=', value: m[3]!.trim() });
  }
  return reqs;
}

/** The value of a dotted field path in `object`, as a string ('' when absent). */
export function fieldValue(object: unknown, path: string): string {
  let cur: unknown = object;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return '';
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur === undefined || cur === null ? '' : String(cur);
}

export function matchesFields(selector: FieldSelector, object: unknown): boolean {
  for (const r of selector) if ((fieldValue(object, r.field) === r.value) !== r.equal) return false;
  return true;
}
