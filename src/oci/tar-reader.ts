/**
 * A streaming tar reader: ustar and v7 headers, pax extended headers ('x' and global
 * 'g': path, linkpath, size, uid, gid, mtime, uname, gname, and any other record kept
 * in `pax`), and GNU long names ('L', 'K').
 *
 * Memory stays bounded: bodies stream through, and the only things held whole are
 * header blocks and meta entries (pax records, long names), each capped at
 * `maxMetaSize`. Malformed input throws {@link TarFormatError} and never yields a
 * partly-parsed entry: bad checksums, unknown magic, truncation anywhere, an archive
 * without its end marker, oversized or malformed pax records, NUL bytes in names.
 */

import { TarFormatError } from './errors.ts';
import { ByteSource } from './byte-source.ts';
import {
  BLOCK_SIZE, TypeFlag, checksumOf, entryTypeOf, field, isZeroBlock, paddingOf, readNumber, readString,
  signedChecksumOf, type EntryType,
} from './tar-header.ts';

export interface TarEntry {
  /** The path as archived, without trailing slashes ("./" for the root stays "."). */
  readonly path: string;
  readonly type: EntryType;
  /** Permission bits incl. setuid/setgid/sticky (the file-type bits are dropped). */
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly uname: string;
  readonly gname: string;
  /** Seconds since the epoch; may have a fraction when it came from pax. */
  readonly mtime: number;
  /** Body length: 0 for everything but files. */
  readonly size: number;
  /** Symlink target, or the archive path a hardlink points to; '' otherwise. */
  readonly linkPath: string;
  readonly devMajor: number;
  readonly devMinor: number;
  /** Where the body starts in the (uncompressed) archive: lets an indexer read it again later. */
  readonly offset: number;
  /** Every pax record that applies (global ones first, then this entry's). */
  readonly pax: ReadonlyMap<string, string>;
  /**
   * The content, readable once, and only until the reader moves on to the next entry;
   * whatever is not read is skipped.
   */
  readonly body: AsyncIterable<Buffer>;
}

export interface TarReaderOptions {
  /**
   * Cap on each pax header and GNU long name, and on all global pax records together.
   * Real ones are a few hundred bytes; 1 MiB is the cap Go's archive/tar uses too.
   */
  readonly maxMetaSize?: number;
}

const DEFAULT_MAX_META_SIZE = 1 << 20;

/** The magic and version of POSIX ustar, of GNU tar, and the empty magic of v7 tar. */
const USTAR_MAGIC = 'ustar\0';
const GNU_MAGIC = 'ustar ';

/**
 * Yields the entries of a tar stream. Consume (or abandon) each entry's body before
 * asking for the next; never read a body concurrently with the reader.
 * After the end-of-archive marker, the rest of the input is read and discarded.
 */
export async function* readTar(input: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, options: TarReaderOptions = {}): AsyncGenerator<TarEntry> {
  const maxMeta = options.maxMetaSize ?? DEFAULT_MAX_META_SIZE;
  const source = new ByteSource(input);
  const globalPax = new Map<string, string>();
  let localPax = new Map<string, string>();
  let longName: string | undefined;
  let longLink: string | undefined;
  try {
    for (;;) {
      const start = source.position;
      const block = await source.readExact(BLOCK_SIZE, 'a header');
      if (block === null) throw new TarFormatError(`truncated archive: it ends at byte ${start} without the end-of-archive marker`);
      if (isZeroBlock(block)) {
        const next = await source.readExact(BLOCK_SIZE, 'the end-of-archive marker');
        if (next !== null && !isZeroBlock(next)) throw new TarFormatError(`a lone zero block at byte ${start} is followed by more data`);
        await source.drain();
        return;
      }
      checkHeader(block, start);
      const flag = readString(block, 'typeflag') || TypeFlag.fileOld;
      const headerSize = number(block, 'size', start);

      if (flag === TypeFlag.paxExtended || flag === TypeFlag.paxGlobal || flag === TypeFlag.gnuLongName || flag === TypeFlag.gnuLongLink) {
        if (headerSize > maxMeta) throw new TarFormatError(`meta entry at byte ${start} is ${headerSize} bytes, more than the ${maxMeta} allowed`);
        const data = (await source.readExact(headerSize, 'a meta entry')) ?? Buffer.alloc(0);
        if (data.length !== headerSize) throw new TarFormatError(`truncated archive: it ends inside a meta entry at byte ${start}`);
        await source.skip(paddingOf(headerSize), 'block padding');
        if (flag === TypeFlag.paxExtended) {
          localPax = new Map([...localPax, ...parsePax(data, start)]);
        } else if (flag === TypeFlag.paxGlobal) {
          for (const [k, v] of parsePax(data, start)) {
            if (v === '') globalPax.delete(k);
            else globalPax.set(k, v);
          }
          let total = 0;
          for (const [k, v] of globalPax) total += k.length + v.length;
          if (total > maxMeta) throw new TarFormatError(`global pax records exceed ${maxMeta} bytes (at byte ${start})`);
        } else {
          const text = noNul(data.toString('utf8').replace(/\0+$/, ''), start);
          if (flag === TypeFlag.gnuLongName) longName = text;
          else longLink = text;
        }
        continue;
      }

      const flagType = entryTypeOf(flag);
      if (flagType === undefined) throw new TarFormatError(`entry at byte ${start} has type ${JSON.stringify(flag)}, which Berth does not read (sparse, multi-volume and other GNU extensions are not supported)`);
      const pax = new Map([...globalPax, ...localPax]);
      for (const [k, v] of localPax) if (v === '') pax.delete(k);
      const ustarName = readString(block, 'name');
      const prefix = Buffer.from(field(block, 'magic')).toString('latin1') === USTAR_MAGIC ? readString(block, 'prefix') : '';
      const path = noNul(pax.get('path') ?? longName ?? (prefix ? `${prefix}/${ustarName}` : ustarName), start);
      const linkPath = noNul(pax.get('linkpath') ?? longLink ?? readString(block, 'linkname'), start);
      if (path === '') throw new TarFormatError(`entry at byte ${start} has an empty path`);
      // Pre-POSIX tars wrote directories as regular files whose name ends in '/'.
      const type = flagType === 'file' && flag === TypeFlag.fileOld && path.endsWith('/') ? 'directory' : flagType;
      const size = type === 'file' ? paxInteger(pax, 'size', start) ?? headerSize : 0;

      const body = new EntryBody(source, size, path);
      yield {
        path: trimSlashes(path),
        type,
        mode: number(block, 'mode', start) & 0o7777,
        uid: paxInteger(pax, 'uid', start) ?? number(block, 'uid', start),
        gid: paxInteger(pax, 'gid', start) ?? number(block, 'gid', start),
        uname: pax.get('uname') ?? readString(block, 'uname'),
        gname: pax.get('gname') ?? readString(block, 'gname'),
        mtime: paxTime(pax, start) ?? number(block, 'mtime', start),
        size,
        linkPath,
        devMajor: type === 'char-device' || type === 'block-device' ? number(block, 'devmajor', start) : 0,
        devMinor: type === 'char-device' || type === 'block-device' ? number(block, 'devminor', start) : 0,
        offset: source.position,
        pax,
        body,
      };
      // Only files have a body: links, directories, devices and fifos carry none whatever
      // their size field says, as GNU tar and Go's archive/tar read them.
      await source.skip(body.close() + paddingOf(size), `the body of ${path}`);
      localPax = new Map();
      longName = undefined;
      longLink = undefined;
    }
  } finally {
    await source.close();
  }
}

/** One entry's content; reads through the shared source until the reader moves on. */
class EntryBody implements AsyncIterable<Buffer> {
  #source: ByteSource;
  #remaining: number;
  #path: string;
  #started = false;
  #closed = false;

  constructor(source: ByteSource, size: number, path: string) {
    this.#source = source;
    this.#remaining = size;
    this.#path = path;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Buffer> {
    if (this.#started) throw new Error(`the body of ${this.#path} can be read only once`);
    this.#started = true;
    while (this.#remaining > 0) {
      if (this.#closed) throw new Error(`the body of ${this.#path} was read after the tar reader moved on`);
      const chunk = await this.#source.readSome(this.#remaining, `the body of ${this.#path}`);
      this.#remaining -= chunk.length;
      yield chunk;
    }
  }

  /** Ends reading; returns how many body bytes are left to skip. */
  close(): number {
    this.#closed = true;
    return this.#remaining;
  }
}

function checkHeader(block: Buffer, at: number): void {
  const stored = readNumber(block, 'checksum');
  if (stored === undefined || (stored !== checksumOf(block) && stored !== signedChecksumOf(block))) {
    throw new TarFormatError(`bad header checksum at byte ${at}: the archive is corrupt or not a tar archive`);
  }
  const magic = Buffer.from(field(block, 'magic')).toString('latin1');
  if (magic !== USTAR_MAGIC && magic !== GNU_MAGIC && !isZeroBlock(field(block, 'magic'))) {
    throw new TarFormatError(`unknown header format at byte ${at} (magic ${JSON.stringify(magic)})`);
  }
}

function number(block: Buffer, name: 'mode' | 'uid' | 'gid' | 'size' | 'mtime' | 'devmajor' | 'devminor', at: number): number {
  const value = readNumber(block, name);
  if (value === undefined) throw new TarFormatError(`header at byte ${at} has an invalid ${name} field`);
  return value;
}

/** Parses `"<len> <key>=<value>\n"` records strictly. */
function parsePax(data: Buffer, at: number): Map<string, string> {
  const records = new Map<string, string>();
  let offset = 0;
  while (offset < data.length) {
    if (data[offset] === 0) {
      // Some writers pad the record area with NULs; nothing may follow them.
      if (!isZeroBlock(data.subarray(offset))) throw new TarFormatError(`malformed pax header at byte ${at}`);
      break;
    }
    const space = data.indexOf(0x20, offset);
    const lengthText = space === -1 ? '' : data.toString('latin1', offset, space);
    if (!/^[1-9][0-9]{0,8}$/.test(lengthText)) throw new TarFormatError(`malformed pax record length at byte ${at}`);
    const length = parseInt(lengthText, 10);
    const end = offset + length;
    if (end > data.length || data[end - 1] !== 0x0a || end <= space + 1) throw new TarFormatError(`malformed pax record at byte ${at}`);
    const record = data.toString('utf8', space + 1, end - 1);
    const eq = record.indexOf('=');
    if (eq <= 0) throw new TarFormatError(`malformed pax record ${JSON.stringify(record.slice(0, 40))} at byte ${at}`);
    records.set(record.slice(0, eq), record.slice(eq + 1));
    offset = end;
  }
  return records;
}

function paxInteger(pax: ReadonlyMap<string, string>, key: string, at: number): number | undefined {
  const text = pax.get(key);
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!/^[0-9]+$/.test(text) || !Number.isSafeInteger(value)) throw new TarFormatError(`pax ${key} ${JSON.stringify(text.slice(0, 40))} at byte ${at} is not a valid number`);
  return value;
}

function paxTime(pax: ReadonlyMap<string, string>, at: number): number | undefined {
  const text = pax.get('mtime');
  if (text === undefined) return undefined;
  if (!/^-?[0-9]{1,15}(\.[0-9]+)?$/.test(text)) throw new TarFormatError(`pax mtime ${JSON.stringify(text.slice(0, 40))} at byte ${at} is not a valid time`);
  return Number(text);
}

function noNul(value: string, at: number): string {
  if (value.includes('\0')) throw new TarFormatError(`a name at byte ${at} holds a NUL byte`);
  return value;
}

function trimSlashes(path: string): string {
  const trimmed = path.replace(/\/+$/, '');
  return trimmed === '' ? '/' : trimmed;
}
