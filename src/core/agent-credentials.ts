/**
 * The two secrets that let a host be an agent, as values (no I/O, no randomness of their
 * own: the random bytes come in as arguments).
 *
 * - The **join token** (`berth_join_…`): made once per control plane, kept in its data
 *   dir, copied to the hosts that should join. It registers a new container instance, and
 *   it authenticates callers of the admin endpoints from other hosts.
 * - An **instance secret** (`berth_inst_…`): issued to one container instance when it
 *   joins, kept by its agent; it re-registers that instance and opens its session. The
 *   control plane keeps only its SHA-256: the secret has 256 random bits, so a hash that
 *   leaked would not lead back to it and no slow KDF is needed.
 *
 * Every comparison is constant-time over fixed-length digests, so neither the contents
 * nor the length of a guess shows in how long a refusal takes.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

export const JOIN_TOKEN_PREFIX = 'berth_join_';
export const INSTANCE_SECRET_PREFIX = 'berth_inst_';
/** 256 bits: beyond guessing, and the size of the SHA-256 that stands for a secret. */
export const SECRET_BYTES = 32;
/** The longest bearer value looked at: a real one is 54 characters; more is not worth hashing. */
const MAX_BEARER_CHARS = 256;

/** A join token from `SECRET_BYTES` random bytes. */
export function formatJoinToken(random: Uint8Array): string {
  return JOIN_TOKEN_PREFIX + encode(random);
}

/** An instance secret from `SECRET_BYTES` random bytes. */
export function formatInstanceSecret(random: Uint8Array): string {
  return INSTANCE_SECRET_PREFIX + encode(random);
}

function encode(random: Uint8Array): string {
  if (random.length !== SECRET_BYTES) throw new RangeError(`a Berth secret takes ${SECRET_BYTES} random bytes, not ${random.length}`);
  return Buffer.from(random).toString('base64url');
}

const SHAPE = /^berth_(join|inst)_[A-Za-z0-9_-]{43}$/;

/** Whether `text` has the shape of a join token (a file that holds something else is not one). */
export function isJoinToken(text: string): boolean {
  return SHAPE.exec(text)?.[1] === 'join';
}

export function isInstanceSecret(text: string): boolean {
  return SHAPE.exec(text)?.[1] === 'inst';
}

/** The value of an `Authorization: Bearer …` header, or undefined. */
export function bearerOf(header: string | string[] | undefined): string | undefined {
  if (typeof header !== 'string' || header.length > MAX_BEARER_CHARS + 7) return undefined;
  const m = /^Bearer +(\S+) *$/i.exec(header);
  return m?.[1];
}

/** What the control plane stores for a secret: its SHA-256, hex. */
export function secretHash(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** Whether `presented` is the secret whose hash is `storedHash`, in constant time. */
export function matchesHash(presented: string, storedHash: string): boolean {
  const stored = Buffer.from(storedHash, 'hex');
  const given = createHash('sha256').update(presented).digest();
  return stored.length === given.length && timingSafeEqual(stored, given);
}

/** Whether two tokens are equal, in constant time whatever their lengths. */
export function tokensEqual(presented: string, expected: string): boolean {
  return matchesHash(presented, secretHash(expected));
}
