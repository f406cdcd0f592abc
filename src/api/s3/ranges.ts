/**
 * The Range header of GetObject: one byte range, `bytes=first-last`, `bytes=first-` or
 * `bytes=-suffixLength` (RFC 9110 §14.1.2). S3 answers a header it cannot parse, or one
 * asking for several ranges, with the whole object; a range that starts past the end is
 * InvalidRange (416).
 */

export type RangeResult =
  | { readonly kind: 'whole' }
  | { readonly kind: 'partial'; readonly start: number; readonly end: number }
  | { readonly kind: 'unsatisfiable' };

export function parseRange(header: string | undefined, size: number): RangeResult {
  if (header === undefined) return { kind: 'whole' };
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!m || (m[1] === '' && m[2] === '')) return { kind: 'whole' };
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0) return { kind: 'unsatisfiable' };
    return size === 0 ? { kind: 'unsatisfiable' } : { kind: 'partial', start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(m[1]);
  // last < first is not a valid range at all (ignored); a valid one past the end is unsatisfiable.
  if (m[2] !== '' && Number(m[2]) < start) return { kind: 'whole' };
  if (start >= size) return { kind: 'unsatisfiable' };
  return { kind: 'partial', start, end: m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1) };
}
