/**
 * Object name rules of the Kubernetes API server, with its exact messages (apimachinery's
 * validation: a name is a DNS-1123 subdomain for most kinds, a DNS-1123 label for namespaces
 * and services). Pure: the API front door turns a list of field errors into a 422 Status.
 */

/** One field error, as the server's `details.causes` entries name them. */
export interface FieldError {
  readonly reason: 'FieldValueInvalid' | 'FieldValueRequired' | 'FieldValueForbidden' | 'FieldValueNotSupported' | 'FieldValueTooLong'
    | 'FieldValueDuplicate' | 'FieldValueNotFound';
  readonly field: string;
  /** The cause's message: `Invalid value: "x": ...`. */
  readonly message: string;
}

/** Longest DNS-1123 subdomain (RFC 1123). */
export const DNS1123_SUBDOMAIN_MAX = 253;
/** Longest DNS-1123 label (RFC 1123). */
export const DNS1123_LABEL_MAX = 63;
/** Longest prefix generateName keeps: the server appends 5 random characters to at most 58. */
export const GENERATE_NAME_PREFIX_MAX = 58;
/** Random suffix of generateName. */
export const GENERATE_NAME_SUFFIX_LENGTH = 5;

const LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1035 = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** `dns1035`: a label that starts with a letter (Service names, so they are DNS names of their own). */
export type NameRule = 'subdomain' | 'label' | 'dns1035' | 'path-segment';

const quote = (s: string): string => JSON.stringify(s);

function invalid(field: string, value: string, detail: string): FieldError {
  return { reason: 'FieldValueInvalid', field, message: `Invalid value: ${quote(value)}: ${detail}` };
}

/** The messages a name gets under `rule`, empty when it is valid. */
export function nameErrors(rule: NameRule, name: string, field = 'metadata.name'): FieldError[] {
  if (rule === 'path-segment') {
    if (name === '.' || name === '..') return [invalid(field, name, `may not be '${name}'`)];
    for (const bad of ['/', '%']) if (name.includes(bad)) return [invalid(field, name, `may not contain '${bad}'`)];
    return [];
  }
  const errors: FieldError[] = [];
  if (rule === 'dns1035') {
    if (name.length > DNS1123_LABEL_MAX) errors.push(invalid(field, name, `must be no more than ${DNS1123_LABEL_MAX} characters`));
    if (!DNS1035.test(name)) {
      errors.push(invalid(field, name, "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"));
    }
  } else if (rule === 'label') {
    if (name.length > DNS1123_LABEL_MAX) errors.push(invalid(field, name, `must be no more than ${DNS1123_LABEL_MAX} characters`));
    if (!LABEL.test(name)) {
      errors.push(invalid(field, name, "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"));
    }
  } else {
    if (name.length > DNS1123_SUBDOMAIN_MAX) errors.push(invalid(field, name, `must be no more than ${DNS1123_SUBDOMAIN_MAX} characters`));
    if (!SUBDOMAIN.test(name)) {
      errors.push(invalid(field, name, "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"));
    }
  }
  return errors;
}

/** The name generateName gives: the prefix (cut to GENERATE_NAME_PREFIX_MAX) and a random suffix drawn by `rng`. */
export function generatedName(prefix: string, rng: () => number): string {
  // The server's alphabet leaves out vowels and look-alikes so names never spell words.
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  let suffix = '';
  for (let i = 0; i < GENERATE_NAME_SUFFIX_LENGTH; i++) suffix += alphabet[Math.floor(rng() * alphabet.length)];
  return prefix.slice(0, GENERATE_NAME_PREFIX_MAX) + suffix;
}

/**
 * The 422 message for `errors` of a `kind` object named `name`: `ConfigMap "x" is invalid:
 * metadata.name: Invalid value: ...`, several joined as the server's aggregate (`[a, b]`).
 */
export function invalidMessage(kind: string, name: string, errors: readonly FieldError[]): string {
  const parts = errors.map((e) => `${e.field}: ${e.message}`);
  const joined = parts.length === 1 ? parts[0]! : `[${parts.join(', ')}]`;
  return `${kind} ${quote(name)} is invalid: ${joined}`;
}

const LABEL_KEY_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
/** Longest label value and label key name part. */
export const LABEL_VALUE_MAX = 63;

/** Errors of `metadata.labels` (keys: optional DNS subdomain prefix / name; values: ≤ 63 of the name alphabet). */
export function labelErrors(labels: Record<string, unknown> | undefined, field = 'metadata.labels'): FieldError[] {
  const errors: FieldError[] = [];
  for (const [key, value] of Object.entries(labels ?? {})) {
    const slash = key.lastIndexOf('/');
    const name = slash < 0 ? key : key.slice(slash + 1);
    const prefix = slash < 0 ? undefined : key.slice(0, slash);
    if (!LABEL_KEY_NAME.test(name) || name.length > LABEL_VALUE_MAX || (prefix !== undefined && !SUBDOMAIN.test(prefix))) {
      errors.push(invalid(field, key, "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"));
      continue;
    }
    if (typeof value !== 'string') {
      errors.push({ reason: 'FieldValueInvalid', field: `${field}`, message: `Invalid value: ${quote(String(value))}: a label value must be a string` });
      continue;
    }
    if (value.length > LABEL_VALUE_MAX) errors.push(invalid(field, value, `must be no more than ${LABEL_VALUE_MAX} characters`));
    else if (value !== '' && !LABEL_KEY_NAME.test(value)) {
      errors.push(invalid(field, value, "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"));
    }
  }
  return errors;
}
