import { ApiError } from '../errors.ts';

export interface Tag {
  key: string;
  value?: string;
}

/** ECS tag limits (AWS "Tagging your Amazon ECS resources"). */
const MAX_TAGS = 50;
const MAX_KEY = 128;
const MAX_VALUE = 256;
/** Letters, numbers, spaces and + - = . _ : / @ in any script. */
const TAG_CHARS = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;

/** Checks tags a request wants to add, alone and together with those a resource has. */
export function validateTags(tags: readonly Tag[], existing: readonly Tag[] = []): void {
  const seen = new Set<string>();
  for (const t of tags) {
    if (t.key.length < 1 || t.key.length > MAX_KEY) throw invalid(`Tag key '${t.key}' must be 1 to ${MAX_KEY} characters long.`);
    if ((t.value ?? '').length > MAX_VALUE) throw invalid(`The value of tag '${t.key}' must be at most ${MAX_VALUE} characters long.`);
    if (!TAG_CHARS.test(t.key) || !TAG_CHARS.test(t.value ?? '')) throw invalid(`Tag '${t.key}' may only contain letters, numbers, spaces and _ . : / = + - @.`);
    if (/^aws:/i.test(t.key)) throw invalid(`Tag keys beginning with 'aws:' are reserved for AWS use: rename tag '${t.key}'.`);
    if (seen.has(t.key)) throw invalid(`Tag key '${t.key}' appears more than once in the request.`);
    seen.add(t.key);
  }
  const total = new Set([...existing.map((t) => t.key), ...seen]).size;
  if (total > MAX_TAGS) throw invalid(`A resource can have at most ${MAX_TAGS} tags; this would give it ${total}.`);
}

/** The resource's tags with `add` applied (same key: new value), in a stable order. */
export function mergeTags(existing: readonly Tag[], add: readonly Tag[]): Tag[] {
  const byKey = new Map(existing.map((t) => [t.key, t]));
  for (const t of add) byKey.set(t.key, { key: t.key, value: t.value ?? '' });
  return [...byKey.values()];
}

export function removeTags(existing: readonly Tag[], keys: readonly string[]): Tag[] {
  const drop = new Set(keys);
  return existing.filter((t) => !drop.has(t.key));
}

function invalid(message: string): ApiError {
  return new ApiError('InvalidParameterException', message);
}
