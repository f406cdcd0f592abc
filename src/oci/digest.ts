/**
 * Content digests (descriptor.md, "Digests"). Berth accepts only the two registered
 * algorithms in their canonical form, because a digest becomes a file name in blob
 * stores: anything looser (uppercase, other algorithms, separators) is refused.
 */

import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { DigestMismatchError, InvalidDigestError } from './errors.ts';

/** A validated digest string such as `sha256:e3b0…`. */
export type Digest = `${DigestAlgorithm}:${string}`;

export type DigestAlgorithm = 'sha256' | 'sha512';

/** Hex length of each algorithm's encoded part (64 and 128 per the spec's registered algorithms). */
const HEX_LENGTH: Readonly<Record<DigestAlgorithm, number>> = { sha256: 64, sha512: 128 };

const DIGEST_PATTERN = /^(sha256|sha512):([0-9a-f]+)$/;

export interface ParsedDigest {
  readonly algorithm: DigestAlgorithm;
  readonly hex: string;
}

/** Splits a digest into algorithm and hex, or throws {@link InvalidDigestError}. */
export function parseDigest(value: string): ParsedDigest {
  const m = DIGEST_PATTERN.exec(value);
  if (!m) {
    throw new InvalidDigestError(`invalid digest ${JSON.stringify(value.slice(0, 200))}: expected "sha256:" followed by 64 lowercase hex characters (or "sha512:" and 128)`);
  }
  const algorithm = m[1] as DigestAlgorithm;
  const hex = m[2] as string;
  if (hex.length !== HEX_LENGTH[algorithm]) {
    throw new InvalidDigestError(`invalid digest ${JSON.stringify(value)}: ${algorithm} needs ${HEX_LENGTH[algorithm]} hex characters, got ${hex.length}`);
  }
  return { algorithm, hex };
}

/** The value itself, typed as a {@link Digest}, if it is valid; throws otherwise. */
export function toDigest(value: string): Digest {
  parseDigest(value);
  return value as Digest;
}

export function isDigest(value: unknown): value is Digest {
  if (typeof value !== 'string') return false;
  const m = DIGEST_PATTERN.exec(value);
  return m !== null && (m[2] as string).length === HEX_LENGTH[m[1] as DigestAlgorithm];
}

export function digestOf(data: Uint8Array | string, algorithm: DigestAlgorithm = 'sha256'): Digest {
  return `${algorithm}:${createHash(algorithm).update(data).digest('hex')}`;
}

/** Hashes a stream (any async iterable of bytes) to its digest and byte count. */
export async function digestStream(input: AsyncIterable<Uint8Array>, algorithm: DigestAlgorithm = 'sha256'): Promise<{ digest: Digest; size: number }> {
  const hash = createHash(algorithm);
  let size = 0;
  for await (const chunk of input) {
    hash.update(chunk);
    size += chunk.length;
  }
  return { digest: `${algorithm}:${hash.digest('hex')}`, size };
}

/**
 * A pass-through stream that hashes what flows through it. With `expected`, it fails
 * at the end with {@link DigestMismatchError} when the content (or its size) differs,
 * so a consumer never acts on the final byte of corrupt content without an error.
 */
export class DigestingStream extends Transform {
  readonly algorithm: DigestAlgorithm;
  #hash: Hash;
  #size = 0;
  #digest: Digest | undefined;
  #expected: { digest: Digest; size?: number | undefined } | undefined;

  constructor(options: { algorithm?: DigestAlgorithm; expected?: Digest; expectedSize?: number } = {}) {
    super();
    this.algorithm = options.expected ? parseDigest(options.expected).algorithm : (options.algorithm ?? 'sha256');
    this.#hash = createHash(this.algorithm);
    if (options.expected) this.#expected = { digest: options.expected, size: options.expectedSize };
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#size += chunk.length;
    const limit = this.#expected?.size;
    if (limit !== undefined && this.#size > limit) {
      callback(new DigestMismatchError(`${limit} bytes`, `more`, `content of ${this.#expected?.digest}`));
      return;
    }
    this.#hash.update(chunk);
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    this.#digest = `${this.algorithm}:${this.#hash.digest('hex')}`;
    const want = this.#expected;
    if (want && want.size !== undefined && want.size !== this.#size) {
      callback(new DigestMismatchError(`${want.size} bytes`, `${this.#size} bytes`, `content of ${want.digest}`));
    } else if (want && want.digest !== this.#digest) {
      callback(new DigestMismatchError(want.digest, this.#digest));
    } else {
      callback();
    }
  }

  /** The digest of everything that passed; only once the stream has ended. */
  get digest(): Digest {
    if (this.#digest === undefined) throw new Error('DigestingStream.digest read before the stream ended');
    return this.#digest;
  }

  get size(): number {
    return this.#size;
  }
}

/** Throws {@link DigestMismatchError} unless `data` hashes to `expected`. */
export function verifyDigest(data: Uint8Array, expected: Digest, what?: string): void {
  const actual = digestOf(data, parseDigest(expected).algorithm);
  if (actual !== expected) throw new DigestMismatchError(expected, actual, what);
}
