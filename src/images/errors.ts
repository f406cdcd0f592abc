/** Errors of src/images, each a one-line message that says what failed and what to do. */

/** A registry could not be reached, refused a request, or sent content that failed verification. */
export class RegistryClientError extends Error {
  /** The HTTP status, when the registry answered. */
  readonly status: number | undefined;
  /** The distribution spec's error code (`MANIFEST_UNKNOWN`, `UNAUTHORIZED`, …), when it sent one. */
  readonly code: string | undefined;

  constructor(message: string, status?: number, code?: string) {
    super(message);
    this.name = 'RegistryClientError';
    this.status = status;
    this.code = code;
  }
}

/** The layer or image store was asked for something it cannot do (an image not pulled, too many layers). */
export class ImageStoreError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImageStoreError';
  }
}
