/**
 * Repository names, tags and manifest references as the distribution spec defines them
 * ("Pulling manifests": `<name>` and `<reference>`). They become store keys and URL path
 * parts, so anything outside the grammar is refused before it is used.
 */

import { isDigest, type Digest } from '../oci/digest.ts';
import { oci } from './errors.ts';

/** One path component: lowercase alphanumerics joined by `.`, `_`, `__` or runs of `-`. */
const COMPONENT = '[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*';
const NAME_PATTERN = new RegExp(`^${COMPONENT}(?:/${COMPONENT})*$`);
/**
 * Clients limit `<host>/<name>` to 255 characters (spec "Pulling manifests"); Berth
 * caps the name alone at that, so no name is too long to store yet unusable by clients.
 */
export const MAX_NAME_LENGTH = 255;

/** Tag grammar from the spec: up to 128 characters. */
const TAG_PATTERN = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;

export function isRepositoryName(name: string): boolean {
  return name.length <= MAX_NAME_LENGTH && NAME_PATTERN.test(name);
}

export function checkRepositoryName(name: string): string {
  if (!isRepositoryName(name)) {
    throw oci('NAME_INVALID', `invalid repository name ${JSON.stringify(name.slice(0, 300))}: use lowercase path components of letters and digits separated by '/', joined inside a component by '.', '_', '__' or '-', at most ${MAX_NAME_LENGTH} characters`, { name: name.slice(0, 300) });
  }
  return name;
}

export function isTag(tag: string): boolean {
  return TAG_PATTERN.test(tag);
}

export function checkTag(tag: string): string {
  if (!isTag(tag)) {
    throw oci('TAG_INVALID', `invalid tag ${JSON.stringify(tag.slice(0, 200))}: a tag is 1 to 128 characters of letters, digits, '_', '.' and '-', not starting with '.' or '-'`, { tag: tag.slice(0, 200) });
  }
  return tag;
}

export function checkDigest(value: string): Digest {
  if (!isDigest(value)) {
    throw oci('DIGEST_INVALID', `invalid digest ${JSON.stringify(value.slice(0, 200))}: expected sha256: followed by 64 lowercase hex characters (or sha512: and 128)`, { digest: value.slice(0, 200) });
  }
  return value;
}

/** A manifest reference: a tag, or a digest (anything with ':' must be a digest). */
export type Reference = { readonly kind: 'tag'; readonly tag: string } | { readonly kind: 'digest'; readonly digest: Digest };

/** The reference a push names; one outside the grammar is refused (TAG_INVALID or DIGEST_INVALID, 400). */
export function parseReference(ref: string): Reference {
  if (ref.includes(':')) return { kind: 'digest', digest: checkDigest(ref) };
  return { kind: 'tag', tag: checkTag(ref) };
}

/**
 * The reference a read or a delete names, or undefined when it is neither a tag nor a
 * digest. Such a reference cannot name a stored manifest, so it is answered as absent
 * (404 MANIFEST_UNKNOWN, spec "Pulling manifests"), as distribution does and the
 * conformance suite checks with `.INVALID_MANIFEST_NAME`; only a push of it is malformed.
 */
export function lookupReference(ref: string): Reference | undefined {
  if (ref.includes(':')) return isDigest(ref) ? { kind: 'digest', digest: ref } : undefined;
  return isTag(ref) ? { kind: 'tag', tag: ref } : undefined;
}
