/**
 * The OCI distribution spec's error codes (spec "Error Codes") with the HTTP status each
 * is answered with. The registry's wire errors are `{"errors":[{code,message,detail}]}`;
 * the ECR API maps the same conditions to its own exception names (see api/ecr/errors.ts).
 */

const STATUS = {
  BLOB_UNKNOWN: 404,
  BLOB_UPLOAD_INVALID: 400,
  BLOB_UPLOAD_UNKNOWN: 404,
  DIGEST_INVALID: 400,
  MANIFEST_BLOB_UNKNOWN: 400,
  MANIFEST_INVALID: 400,
  MANIFEST_UNKNOWN: 404,
  NAME_INVALID: 400,
  NAME_UNKNOWN: 404,
  SIZE_INVALID: 400,
  TAG_INVALID: 400,
  UNAUTHORIZED: 401,
  DENIED: 403,
  UNSUPPORTED: 405,
  RANGE_INVALID: 416,
  TOOMANYREQUESTS: 429,
  /** Not a spec code: what the reference registry answers for its own failures. */
  UNKNOWN: 500,
} as const;

export type OciErrorCode = keyof typeof STATUS;

/** A condition the client caused; `message` says what to fix, `detail` is machine-readable context. */
export class RegistryError extends Error {
  readonly code: OciErrorCode;
  readonly status: number;
  readonly detail: unknown;
  constructor(code: OciErrorCode, message: string, detail?: unknown, status?: number) {
    super(message);
    this.name = 'RegistryError';
    this.code = code;
    this.status = status ?? STATUS[code];
    this.detail = detail;
  }
}

/** Shorthand: `throw oci('BLOB_UNKNOWN', 'blob unknown to registry', { digest })`. */
export function oci(code: OciErrorCode, message: string, detail?: unknown, status?: number): RegistryError {
  return new RegistryError(code, message, detail, status);
}

/** The spec's error body for one error. */
export function errorBody(err: RegistryError): string {
  return JSON.stringify({ errors: [{ code: err.code, message: err.message, detail: err.detail ?? null }] });
}
