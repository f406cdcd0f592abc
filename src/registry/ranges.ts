/**
 * The two byte-range headers of the registry, parsed without I/O:
 * - `Range: bytes=…` on blob GET (RFC 9110 §14.1.2; one range only — a registry serves
 *   layers to pullers that resume, not multipart documents);
 * - `Content-Range: <start>-<end>` on upload PATCH (spec "Pushing a blob in chunks").
 */

/** An inclusive byte range [start, end]. */
export interface ByteRange {
  readonly start: number;
  readonly end: number;
}

export type RangeRequest =
  | { readonly kind: 'all' }
  | { readonly kind: 'range'; readonly range: ByteRange }
  | { readonly kind: 'unsatisfiable' };

/**
 * What a GET with this `Range` header should answer for a blob of `size` bytes. A header
 * that is absent, not `bytes`, malformed or asks for several ranges is ignored (the full
 * blob is served), as RFC 9110 allows; a range outside the blob is unsatisfiable, and so
 * is one that ends before it starts (`bytes=500-0`: RFC 9110 §14.2 lets a server ignore
 * or reject it; distribution rejects it and the conformance suite expects 416).
 */
export function parseRangeHeader(header: string | undefined, size: number): RangeRequest {
  if (header === undefined) return { kind: 'all' };
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return { kind: 'all' };
  const first = m[1] === '' ? undefined : Number(m[1]);
  const last = m[2] === '' ? undefined : Number(m[2]);
  if (first === undefined) {
    // Suffix range: the last N bytes.
    const n = last!;
    if (n === 0 || size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'range', range: { start: Math.max(0, size - n), end: size - 1 } };
  }
  if (last !== undefined && last < first) return { kind: 'unsatisfiable' };
  if (first >= size) return { kind: 'unsatisfiable' };
  return { kind: 'range', range: { start: first, end: Math.min(last ?? size - 1, size - 1) } };
}

/**
 * The `Content-Range` of an upload chunk. The spec writes `<start>-<end>`; clients also
 * send the RFC form `bytes <start>-<end>/<total>`, so both are read. Undefined when malformed.
 */
export function parseContentRange(header: string): ByteRange | undefined {
  const m = /^(?:bytes[ =])?(\d{1,15})-(\d{1,15})(?:\/(?:\d{1,15}|\*))?$/.exec(header.trim());
  if (!m) return undefined;
  const start = Number(m[1]);
  const end = Number(m[2]);
  return end < start ? undefined : { start, end };
}

/** The `Range` header value of an upload holding `size` bytes: `0-<last byte>`, and `0-0` when empty, as clients expect. */
export function uploadRange(size: number): string {
  return `0-${Math.max(0, size - 1)}`;
}
