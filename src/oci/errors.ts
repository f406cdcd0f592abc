/**
 * Errors of the OCI library. Each says what was wrong with the input; callers (the
 * registry, `berth image import`, the runtime) map them to their own API errors.
 */

/** A digest string is not `sha256:<64 lowercase hex>` or `sha512:<128 lowercase hex>`. */
export class InvalidDigestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidDigestError';
  }
}

/** Content did not hash to the digest (or size) that named it. */
export class DigestMismatchError extends Error {
  readonly expected: string;
  readonly actual: string;
  constructor(expected: string, actual: string, what = 'content') {
    super(`${what} does not match its digest: expected ${expected}, got ${actual}`);
    this.name = 'DigestMismatchError';
    this.expected = expected;
    this.actual = actual;
  }
}

/** A tar stream is malformed, truncated, hostile, or uses a feature Berth does not read. */
export class TarFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TarFormatError';
  }
}

/** A layer asked for something that would escape or corrupt the target directory. */
export class UnsafeLayerError extends Error {
  readonly path: string;
  constructor(path: string, message: string) {
    super(`refusing layer entry ${JSON.stringify(path)}: ${message}`);
    this.name = 'UnsafeLayerError';
    this.path = path;
  }
}

/** An image document (manifest, index, config, layout file, docker-archive manifest) is invalid or missing. */
export class ImageFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImageFormatError';
  }
}
