/**
 * The one CBOR (RFC 8949) document Berth writes: a map of text strings, the body of an
 * rpc-v2-cbor error (`{"__type": …, "message": …}`). Written here rather than taken from
 * npm (cbor-x, cbor): encoding text is two of CBOR's major types, a dozen lines; a
 * package would be a runtime dependency for them.
 */

const MAJOR_TEXT = 3;
const MAJOR_MAP = 5;

/** `{ a: 'b' }` as a CBOR map of definite length, keys in the order given. */
export function cborTextMap(entries: Readonly<Record<string, string>>): Uint8Array {
  const parts: Uint8Array[] = [head(MAJOR_MAP, Object.keys(entries).length)];
  for (const [key, value] of Object.entries(entries)) parts.push(...text(key), ...text(value));
  return Buffer.concat(parts);
}

function text(s: string): Uint8Array[] {
  const bytes = Buffer.from(s, 'utf8');
  return [head(MAJOR_TEXT, bytes.length), bytes];
}

/** The initial byte and the length argument, in the shortest form (RFC 8949 §3). */
function head(major: number, n: number): Uint8Array {
  const m = major << 5;
  if (n < 24) return Uint8Array.of(m | n);
  if (n < 0x100) return Uint8Array.of(m | 24, n);
  if (n < 0x10000) return Uint8Array.of(m | 25, n >> 8, n & 0xff);
  const b = Buffer.alloc(5);
  b[0] = m | 26;
  b.writeUInt32BE(n, 1);
  return b;
}
