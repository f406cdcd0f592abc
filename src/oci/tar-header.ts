/**
 * The POSIX ustar header block (pax spec, "ustar Interchange Format"), shared by the
 * reader and the writer: field offsets, numeric encodings and the checksum.
 *
 * A tar stream is a sequence of 512-byte blocks: a header, then the body rounded up to
 * whole blocks, and two zero blocks at the end. pax extended headers ('x', 'g') and GNU
 * long names ('L', 'K') are ordinary entries whose body describes the next entry.
 */

/** Every header and body is laid out in blocks of this size (ustar). */
export const BLOCK_SIZE = 512;

/** The widest value an 11-digit octal ustar size field holds (8 GiB - 1). */
export const MAX_OCTAL_SIZE = 0o77777777777;

/** The widest value the 7-digit octal uid/gid fields hold. */
export const MAX_OCTAL_ID = 0o7777777;

/** Offsets and lengths of the ustar fields. */
export const Field = {
  name: [0, 100],
  mode: [100, 8],
  uid: [108, 8],
  gid: [116, 8],
  size: [124, 12],
  mtime: [136, 12],
  checksum: [148, 8],
  typeflag: [156, 1],
  linkname: [157, 100],
  magic: [257, 6],
  version: [263, 2],
  uname: [265, 32],
  gname: [297, 32],
  devmajor: [329, 8],
  devminor: [337, 8],
  prefix: [345, 155],
} as const satisfies Record<string, readonly [number, number]>;

export type FieldName = keyof typeof Field;

/** The typeflag bytes Berth reads or writes. */
export const TypeFlag = {
  file: '0',
  fileOld: '\0',
  hardlink: '1',
  symlink: '2',
  charDevice: '3',
  blockDevice: '4',
  directory: '5',
  fifo: '6',
  contiguous: '7',
  paxExtended: 'x',
  paxGlobal: 'g',
  gnuLongName: 'L',
  gnuLongLink: 'K',
} as const;

export type EntryType = 'file' | 'directory' | 'symlink' | 'hardlink' | 'char-device' | 'block-device' | 'fifo';

export const entryTypeFlags: Readonly<Record<EntryType, string>> = {
  file: TypeFlag.file,
  directory: TypeFlag.directory,
  symlink: TypeFlag.symlink,
  hardlink: TypeFlag.hardlink,
  'char-device': TypeFlag.charDevice,
  'block-device': TypeFlag.blockDevice,
  fifo: TypeFlag.fifo,
};

/** The entry type of a typeflag, or undefined for meta entries and unknown flags. */
export function entryTypeOf(flag: string): EntryType | undefined {
  switch (flag) {
    case TypeFlag.file: case TypeFlag.fileOld: case TypeFlag.contiguous: return 'file';
    case TypeFlag.hardlink: return 'hardlink';
    case TypeFlag.symlink: return 'symlink';
    case TypeFlag.charDevice: return 'char-device';
    case TypeFlag.blockDevice: return 'block-device';
    case TypeFlag.directory: return 'directory';
    case TypeFlag.fifo: return 'fifo';
    default: return undefined;
  }
}

export function field(block: Uint8Array, name: FieldName): Uint8Array {
  const [offset, length] = Field[name];
  return block.subarray(offset, offset + length);
}

/** A NUL-terminated (or full-width) string field, as UTF-8. */
export function readString(block: Uint8Array, name: FieldName): string {
  const bytes = field(block, name);
  const end = bytes.indexOf(0);
  return Buffer.from(end === -1 ? bytes : bytes.subarray(0, end)).toString('utf8');
}

/**
 * A numeric field: octal digits padded with spaces or NULs, or GNU base-256 (first byte
 * with the high bit set) for values too wide for octal. Returns undefined when the field
 * holds anything else, so the caller can name the field in its error.
 */
export function readNumber(block: Uint8Array, name: FieldName): number | undefined {
  const bytes = field(block, name);
  const first = bytes[0] ?? 0;
  if (first & 0x80) {
    if (first === 0xff) return undefined; // negative base-256: never valid for size, ids or mtime here
    let value = first & 0x7f;
    for (let i = 1; i < bytes.length; i++) {
      value = value * 256 + (bytes[i] as number);
      if (!Number.isSafeInteger(value)) return undefined;
    }
    return value;
  }
  const text = Buffer.from(bytes).toString('latin1').replace(/[\0 ]+$/, '').replace(/^ +/, '');
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) return undefined;
  return parseInt(text, 8);
}

/** Writes a string field; throws if it does not fit (the writer decides on pax before this). */
export function writeString(block: Uint8Array, name: FieldName, value: string): void {
  const bytes = Buffer.from(value, 'utf8');
  const [offset, length] = Field[name];
  if (bytes.length > length) throw new RangeError(`tar field ${name} cannot hold ${bytes.length} bytes`);
  block.set(bytes, offset);
}

/** Writes octal digits, zero-padded and NUL-terminated, as POSIX writers do. */
export function writeOctal(block: Uint8Array, name: FieldName, value: number): void {
  const [offset, length] = Field[name];
  const text = Math.trunc(value).toString(8).padStart(length - 1, '0');
  if (text.length > length - 1 || value < 0) throw new RangeError(`tar field ${name} cannot hold ${value}`);
  block.set(Buffer.from(text + '\0', 'latin1'), offset);
}

/** The sum of the header bytes with the checksum field counted as spaces (unsigned, as POSIX says). */
export function checksumOf(block: Uint8Array): number {
  const [offset, length] = Field.checksum;
  let sum = 0;
  for (let i = 0; i < BLOCK_SIZE; i++) {
    sum += i >= offset && i < offset + length ? 0x20 : (block[i] as number);
  }
  return sum;
}

/** The same sum with bytes read as signed, which some old writers used; readers accept either. */
export function signedChecksumOf(block: Uint8Array): number {
  const [offset, length] = Field.checksum;
  let sum = 0;
  for (let i = 0; i < BLOCK_SIZE; i++) {
    const b = block[i] as number;
    sum += i >= offset && i < offset + length ? 0x20 : b > 127 ? b - 256 : b;
  }
  return sum;
}

/** Fills the checksum field: six octal digits, NUL, space (the traditional layout). */
export function writeChecksum(block: Uint8Array): void {
  const [offset] = Field.checksum;
  const text = checksumOf(block).toString(8).padStart(6, '0');
  block.set(Buffer.from(text + '\0 ', 'latin1'), offset);
}

export function isZeroBlock(block: Uint8Array): boolean {
  for (let i = 0; i < block.length; i++) if (block[i] !== 0) return false;
  return true;
}

/** Bytes of padding after a body of `size` bytes up to the next block boundary. */
export function paddingOf(size: number): number {
  const rest = size % BLOCK_SIZE;
  return rest === 0 ? 0 : BLOCK_SIZE - rest;
}

/** One pax record: `"<len> <key>=<value>\n"`, where len counts the whole record in bytes. */
export function paxRecord(key: string, value: string): Buffer {
  const body = ` ${key}=${value}\n`;
  const bodyLength = Buffer.byteLength(body, 'utf8');
  let length = bodyLength + 1;
  while (String(length).length + bodyLength !== length) length = String(length).length + bodyLength;
  return Buffer.from(`${length}${body}`, 'utf8');
}
