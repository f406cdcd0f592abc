/**
 * Writes POSIX tar streams: ustar headers, with a pax extended header in front of any
 * entry whose path, link target, size or ids don't fit ustar's fields.
 *
 * Deterministic by construction: the output depends only on the entries (and the
 * `mtime` option, which overrides every entry's time), never on the clock, the host's
 * users or the order of object keys. Same input, same bytes, same digest.
 */

import { Readable } from 'node:stream';
import {
  BLOCK_SIZE, MAX_OCTAL_ID, MAX_OCTAL_SIZE, TypeFlag, entryTypeFlags, paddingOf, paxRecord,
  writeChecksum, writeOctal, writeString, type EntryType,
} from './tar-header.ts';

export interface TarEntryInput {
  /** Path inside the archive, relative, '/'-separated; directories get a trailing '/' added. */
  readonly path: string;
  readonly type?: EntryType;
  /** Permission bits incl. setuid/setgid/sticky. Default 0644 (files), 0755 (dirs), 0777 (symlinks). */
  readonly mode?: number;
  readonly uid?: number;
  readonly gid?: number;
  readonly uname?: string;
  readonly gname?: string;
  /** Seconds since the epoch (fractions go to a pax record); default 0. */
  readonly mtime?: number;
  /** Target of a symlink (as is) or hardlink (another path in the archive). */
  readonly linkPath?: string;
  readonly devMajor?: number;
  readonly devMinor?: number;
  /** A file's content, whole. */
  readonly body?: Uint8Array | string;
  /** A file's content as a stream, opened when the entry is written; needs `size`. */
  readonly stream?: () => AsyncIterable<Uint8Array>;
  /** Bytes that `stream` yields; the writer fails if it yields a different count. */
  readonly size?: number;
}

export interface TarWriterOptions {
  /** Overrides every entry's mtime, so that builds at different times give the same digest. */
  readonly mtime?: number;
}

/** Two zero blocks end an archive (ustar). */
const END_OF_ARCHIVE = Buffer.alloc(BLOCK_SIZE * 2);

const USTAR_NAME_MAX = 100;
const USTAR_PREFIX_MAX = 155;
const USTAR_OWNER_NAME_MAX = 32;

/** Yields the archive as buffers; entries are read lazily, one at a time. */
export async function* writeTar(entries: Iterable<TarEntryInput> | AsyncIterable<TarEntryInput>, options: TarWriterOptions = {}): AsyncGenerator<Buffer> {
  for await (const entry of entries) {
    yield* writeEntry(entry, options);
  }
  yield END_OF_ARCHIVE;
}

/** The archive as a Node.js readable stream. */
export function tarStream(entries: Iterable<TarEntryInput> | AsyncIterable<TarEntryInput>, options: TarWriterOptions = {}): Readable {
  return Readable.from(writeTar(entries, options), { objectMode: false });
}

/** The whole archive in memory: for small archives (tests, fixtures). */
export async function tarBuffer(entries: Iterable<TarEntryInput> | AsyncIterable<TarEntryInput>, options: TarWriterOptions = {}): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of writeTar(entries, options)) parts.push(part);
  return Buffer.concat(parts);
}

async function* writeEntry(entry: TarEntryInput, options: TarWriterOptions): AsyncGenerator<Buffer> {
  const type = entry.type ?? 'file';
  if (entry.path === '' || entry.path.includes('\0')) throw new TypeError(`tar entry path ${JSON.stringify(entry.path)} is empty or holds a NUL`);
  const path = type === 'directory' && !entry.path.endsWith('/') ? `${entry.path}/` : entry.path;
  const body = typeof entry.body === 'string' ? Buffer.from(entry.body, 'utf8') : entry.body;
  if (type !== 'file' && (body !== undefined || entry.stream !== undefined)) throw new TypeError(`tar entry ${path}: only files have a body`);
  if (body !== undefined && entry.stream !== undefined) throw new TypeError(`tar entry ${path}: give either body or stream, not both`);
  if (entry.stream !== undefined && entry.size === undefined) throw new TypeError(`tar entry ${path}: a streamed body needs its size up front`);
  const size = type === 'file' ? (body?.length ?? entry.size ?? 0) : 0;
  const mtime = options.mtime ?? entry.mtime ?? 0;
  const uid = entry.uid ?? 0;
  const gid = entry.gid ?? 0;
  const linkPath = entry.linkPath ?? '';
  if ((type === 'symlink' || type === 'hardlink') && linkPath === '') throw new TypeError(`tar entry ${path}: a ${type} needs linkPath`);

  const pax = new Map<string, string>();
  const names = splitUstarPath(path);
  if (!names) pax.set('path', path);
  if (!fitsAscii(linkPath, USTAR_NAME_MAX)) pax.set('linkpath', linkPath);
  if (size > MAX_OCTAL_SIZE) pax.set('size', String(size));
  if (uid > MAX_OCTAL_ID) pax.set('uid', String(uid));
  if (gid > MAX_OCTAL_ID) pax.set('gid', String(gid));
  if (!Number.isInteger(mtime) || mtime < 0 || mtime > MAX_OCTAL_SIZE) pax.set('mtime', formatPaxTime(mtime));
  if (entry.uname !== undefined && !fitsAscii(entry.uname, USTAR_OWNER_NAME_MAX)) pax.set('uname', entry.uname);
  if (entry.gname !== undefined && !fitsAscii(entry.gname, USTAR_OWNER_NAME_MAX)) pax.set('gname', entry.gname);

  if (pax.size > 0) {
    const records = Buffer.concat([...pax.keys()].sort().map((key) => paxRecord(key, pax.get(key) as string)));
    const base = path.replace(/\/$/, '').split('/').pop() ?? 'entry';
    yield header({
      name: asciiPrefix(`PaxHeaders/${base}`, USTAR_NAME_MAX), prefix: '', flag: TypeFlag.paxExtended,
      mode: 0o644, uid: 0, gid: 0, size: records.length, mtime: clampTime(mtime), linkName: '', uname: '', gname: '', devMajor: 0, devMinor: 0,
    });
    yield records;
    const pad = paddingOf(records.length);
    if (pad > 0) yield Buffer.alloc(pad);
  }

  const defaultMode = type === 'directory' ? 0o755 : type === 'symlink' ? 0o777 : 0o644;
  yield header({
    name: names?.name ?? asciiPrefix(path, USTAR_NAME_MAX),
    prefix: names?.prefix ?? '',
    flag: entryTypeFlags[type],
    mode: (entry.mode ?? defaultMode) & 0o7777,
    uid: Math.min(uid, MAX_OCTAL_ID),
    gid: Math.min(gid, MAX_OCTAL_ID),
    size: Math.min(size, MAX_OCTAL_SIZE),
    mtime: clampTime(mtime),
    linkName: fitsAscii(linkPath, USTAR_NAME_MAX) ? linkPath : asciiPrefix(linkPath, USTAR_NAME_MAX),
    uname: asciiPrefix(entry.uname ?? '', USTAR_OWNER_NAME_MAX),
    gname: asciiPrefix(entry.gname ?? '', USTAR_OWNER_NAME_MAX),
    devMajor: entry.devMajor ?? 0,
    devMinor: entry.devMinor ?? 0,
  });

  if (type !== 'file') return;
  if (body !== undefined) {
    if (body.length > 0) yield Buffer.from(body.buffer, body.byteOffset, body.length);
  } else if (entry.stream !== undefined) {
    let written = 0;
    for await (const chunk of entry.stream()) {
      written += chunk.length;
      if (written > size) throw new Error(`tar entry ${path}: the stream yielded more than the ${size} bytes announced`);
      yield Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
    }
    if (written !== size) throw new Error(`tar entry ${path}: the stream yielded ${written} bytes, ${size} were announced`);
  }
  const pad = paddingOf(size);
  if (pad > 0) yield Buffer.alloc(pad);
}

interface HeaderFields {
  name: string;
  prefix: string;
  flag: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  linkName: string;
  uname: string;
  gname: string;
  devMajor: number;
  devMinor: number;
}

function header(f: HeaderFields): Buffer {
  const block = Buffer.alloc(BLOCK_SIZE);
  writeString(block, 'name', f.name);
  writeOctal(block, 'mode', f.mode);
  writeOctal(block, 'uid', f.uid);
  writeOctal(block, 'gid', f.gid);
  writeOctal(block, 'size', f.size);
  writeOctal(block, 'mtime', f.mtime);
  writeString(block, 'typeflag', f.flag);
  writeString(block, 'linkname', f.linkName);
  writeString(block, 'magic', 'ustar'); // "ustar\0": POSIX, not GNU's "ustar  "
  writeString(block, 'version', '00');
  writeString(block, 'uname', f.uname);
  writeString(block, 'gname', f.gname);
  writeOctal(block, 'devmajor', f.devMajor);
  writeOctal(block, 'devminor', f.devMinor);
  writeString(block, 'prefix', f.prefix);
  writeChecksum(block);
  return block;
}

/** ustar can hold the path as prefix + '/' + name when both fit and it is plain ASCII. */
function splitUstarPath(path: string): { name: string; prefix: string } | undefined {
  if (!fitsAscii(path, USTAR_NAME_MAX + 1 + USTAR_PREFIX_MAX)) return undefined;
  if (path.length <= USTAR_NAME_MAX) return { name: path, prefix: '' };
  // The split must leave a non-empty name; a directory's trailing '/' stays with the name.
  const searchFrom = Math.min(USTAR_PREFIX_MAX, path.length - 2);
  for (let i = searchFrom; i > 0; i--) {
    if (path[i] === '/' && path.length - i - 1 <= USTAR_NAME_MAX) {
      return { prefix: path.slice(0, i), name: path.slice(i + 1) };
    }
  }
  return undefined;
}

function fitsAscii(value: string, max: number): boolean {
  return value.length <= max && /^[\x01-\x7f]*$/.test(value);
}

/** The longest ASCII-safe prefix for the ustar field, for readers that ignore pax. */
function asciiPrefix(value: string, max: number): string {
  return value.replace(/[^\x01-\x7f]/g, '_').slice(0, max);
}

function clampTime(mtime: number): number {
  return Math.max(0, Math.min(MAX_OCTAL_SIZE, Math.floor(mtime)));
}

function formatPaxTime(mtime: number): string {
  return Number.isInteger(mtime) ? String(mtime) : mtime.toFixed(9).replace(/0+$/, '');
}
