/**
 * The generated definitions (scripts/gen-kube-schemas.ts), read once when first asked for:
 * the only thing the schemas read, and only at start.
 */
import { readFileSync } from 'node:fs';
import type { Definitions } from './types.ts';

let loaded: Definitions | undefined;

export function loadDefinitions(): Definitions {
  loaded ??= JSON.parse(readFileSync(new URL('./data/definitions.json', import.meta.url), 'utf8')) as Definitions;
  return loaded;
}
