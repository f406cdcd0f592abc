/**
 * Receiving an upload's bytes (PutObject, UploadPart): what the headers say about the
 * body, then the body itself streamed to a temp file while it is measured and hashed,
 * and checked before anything refers to it:
 *
 *   request ─▶ [aws-chunked decoder] ─▶ meter (size limit, MD5, SHA-256, checksum) ─▶ tmp file
 *
 * - Content-MD5, when sent, must match (BadDigest), as must an `x-amz-checksum-*` header
 *   or trailer; the ETag is the MD5 in any case.
 * - `x-amz-content-sha256` is a hash of the body (checked: a client's hash is never taken
 *   on trust), UNSIGNED-PAYLOAD, or one of the STREAMING-* values of an aws-chunked body.
 */

import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { Transform, type TransformCallback } from 'node:stream';
import { AwsChunkedDecoder, STREAMING_PAYLOADS } from './aws-chunked.ts';
import { writeTemp, type BlobFiles } from './blobs.ts';
import { CHECKSUM_BYTES, isChecksumAlgorithm, newChecksum, UNSUPPORTED_CHECKSUM_ALGORITHMS, type Checksum, type ChecksumAlgorithm } from './checksums.ts';
import { S3Error } from './errors.ts';
import { STORED_HEADERS, type ObjectChecksum, type StoredHeader } from './records.ts';

/** The largest object one PutObject (or one part) may carry: 5 GiB (S3 user guide, "Uploading objects"). */
export const MAX_PUT_BYTES = 5 * 1024 ** 3;
/** User-defined metadata, names and values in UTF-8 bytes (S3 user guide, "Working with object metadata"). */
export const MAX_METADATA_BYTES = 2 * 1024;

type Payload =
  | { readonly kind: 'sha256'; readonly hex: string }
  | { readonly kind: 'unsigned' }
  | { readonly kind: 'streaming'; readonly signed: boolean; readonly decodedLength: number | undefined };

interface ExpectedChecksum {
  readonly algorithm: ChecksumAlgorithm;
  /** The header value; undefined when it comes as a trailer. */
  readonly value: string | undefined;
  readonly header: string;
}

/** What an upload request's headers say about its body, checked before the body is read. */
export interface UploadHeaders {
  readonly payload: Payload;
  readonly contentMd5: string | undefined;
  readonly checksum: ExpectedChecksum | undefined;
  readonly declaredSize: number | undefined;
}

export function readUploadHeaders(headers: IncomingMessage['headers']): UploadHeaders {
  const one = (name: string) => (Array.isArray(headers[name]) ? (headers[name] as string[])[0] : headers[name] as string | undefined);
  const sha = one('x-amz-content-sha256');
  let payload: Payload;
  if (sha === undefined || sha === 'UNSIGNED-PAYLOAD') payload = { kind: 'unsigned' };
  else if (/^[0-9a-f]{64}$/.test(sha)) payload = { kind: 'sha256', hex: sha };
  else if ((STREAMING_PAYLOADS as readonly string[]).includes(sha)) {
    const decoded = one('x-amz-decoded-content-length');
    if (decoded !== undefined && !/^\d{1,16}$/.test(decoded)) throw new S3Error('InvalidArgument', `x-amz-decoded-content-length '${decoded}' is not a byte count.`);
    const signed = sha.startsWith('STREAMING-AWS4-');
    if (signed && decoded === undefined) throw new S3Error('MissingContentLength', 'A signed aws-chunked upload must send x-amz-decoded-content-length.');
    payload = { kind: 'streaming', signed, decodedLength: decoded === undefined ? undefined : Number(decoded) };
  } else {
    throw new S3Error('InvalidArgument', `x-amz-content-sha256 must be UNSIGNED-PAYLOAD, ${STREAMING_PAYLOADS.join(', ')} or the hex SHA-256 of the body; it was '${sha.slice(0, 80)}'.`, { ArgumentName: 'x-amz-content-sha256', ArgumentValue: sha.slice(0, 80) });
  }
  const length = one('content-length');
  if (payload.kind !== 'streaming' && length === undefined) throw new S3Error('MissingContentLength');
  const declaredSize = payload.kind === 'streaming' ? payload.decodedLength : Number(length);
  if (declaredSize !== undefined && declaredSize > MAX_PUT_BYTES) {
    throw new S3Error('EntityTooLarge', `Your proposed upload of ${declaredSize} bytes exceeds the maximum allowed size of ${MAX_PUT_BYTES} bytes; upload larger objects in parts (multipart upload).`, { ProposedSize: declaredSize, MaxSizeAllowed: MAX_PUT_BYTES });
  }

  const md5 = one('content-md5');
  if (md5 !== undefined && Buffer.from(md5, 'base64').length !== 16) throw new S3Error('InvalidDigest', undefined, { 'Content-MD5': md5 });
  return { payload, contentMd5: md5, checksum: expectedChecksum(headers, one, payload), declaredSize };
}

function expectedChecksum(headers: IncomingMessage['headers'], one: (n: string) => string | undefined, payload: Payload): ExpectedChecksum | undefined {
  const named = Object.keys(headers).filter((h) => h.startsWith('x-amz-checksum-') && !['x-amz-checksum-algorithm', 'x-amz-checksum-mode', 'x-amz-checksum-type'].includes(h));
  const trailer = one('x-amz-trailer')?.trim().toLowerCase();
  if (trailer !== undefined && !trailer.startsWith('x-amz-checksum-')) throw new S3Error('InvalidRequest', `The trailer '${trailer}' is not supported: only x-amz-checksum-* trailers are.`);
  if (trailer !== undefined && !(payload.kind === 'streaming' && one('x-amz-content-sha256')!.endsWith('-TRAILER'))) {
    throw new S3Error('InvalidRequest', 'x-amz-trailer needs an aws-chunked body with trailers (x-amz-content-sha256: STREAMING-…-TRAILER).');
  }
  const all = [...named, ...(trailer ? [trailer] : [])];
  if (all.length > 1) throw new S3Error('InvalidRequest', 'Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.');
  const sdk = one('x-amz-sdk-checksum-algorithm')?.toUpperCase();
  if (all.length === 0) return undefined;
  const header = all[0]!;
  const algorithm = header.slice('x-amz-checksum-'.length).toUpperCase();
  if ((UNSUPPORTED_CHECKSUM_ALGORITHMS as readonly string[]).includes(algorithm)) throw new S3Error('NotImplemented', `Berth's S3 does not compute ${algorithm} checksums; use CRC32, CRC32C, CRC64NVME, SHA1 or SHA256.`);
  if (!isChecksumAlgorithm(algorithm)) throw new S3Error('InvalidRequest', `${header} is not a checksum S3 knows.`);
  if (sdk !== undefined && sdk !== algorithm) throw new S3Error('InvalidRequest', `x-amz-sdk-checksum-algorithm says ${sdk} but the checksum sent is ${algorithm}.`);
  const value = header === trailer ? undefined : one(header);
  if (value !== undefined && !validChecksumValue(algorithm, value)) throw new S3Error('InvalidRequest', `Value for ${header} header is invalid.`);
  return { algorithm, value, header };
}

function validChecksumValue(algorithm: ChecksumAlgorithm, value: string): boolean {
  return /^[A-Za-z0-9+/]+={0,2}$/.test(value) && Buffer.from(value, 'base64').length === CHECKSUM_BYTES[algorithm];
}

/** A received, checked body in a temp file. */
export interface ReceivedBody {
  readonly tempPath: string;
  readonly size: number;
  /** MD5 of the bytes, hex. */
  readonly md5: string;
  readonly checksum: ObjectChecksum | undefined;
}

/** Streams the body to a temp file and checks it against its headers; throws (and removes the file) on a mismatch. */
export async function receiveBody(req: IncomingMessage, h: UploadHeaders, blobs: BlobFiles): Promise<ReceivedBody> {
  const decoder = h.payload.kind === 'streaming' ? new AwsChunkedDecoder(h.payload.signed) : undefined;
  const meter = new Meter(h.payload.kind === 'sha256', h.checksum ? newChecksum(h.checksum.algorithm) : undefined);
  const tempPath = await writeTemp(blobs, req, decoder ? [decoder, meter] : [meter]);
  try {
    return verify(h, meter, decoder, tempPath);
  } catch (e) {
    await blobs.removeTemp(tempPath);
    throw e;
  }
}

function verify(h: UploadHeaders, meter: Meter, decoder: AwsChunkedDecoder | undefined, tempPath: string): ReceivedBody {
  if (h.payload.kind === 'streaming' && h.payload.decodedLength !== undefined && h.payload.decodedLength !== meter.size) {
    throw new S3Error('IncompleteBody', `The aws-chunked body decodes to ${meter.size} bytes but x-amz-decoded-content-length says ${h.payload.decodedLength}.`);
  }
  const md5 = meter.md5.digest();
  if (h.contentMd5 !== undefined && !md5.equals(Buffer.from(h.contentMd5, 'base64'))) {
    throw new S3Error('BadDigest', undefined, { ExpectedDigest: h.contentMd5, CalculatedDigest: md5.toString('base64') });
  }
  if (h.payload.kind === 'sha256') {
    const actual = meter.sha256!.digest('hex');
    if (actual !== h.payload.hex) throw new S3Error('XAmzContentSHA256Mismatch', undefined, { ClientComputedContentSHA256: h.payload.hex, S3ComputedContentSHA256: actual });
  }
  let checksum: ObjectChecksum | undefined;
  if (h.checksum) {
    const expected = h.checksum.value ?? decoder?.trailers.get(h.checksum.header);
    if (expected === undefined) throw new S3Error('InvalidRequest', `The body ended without the ${h.checksum.header} trailer that x-amz-trailer announced.`);
    if (!validChecksumValue(h.checksum.algorithm, expected)) throw new S3Error('InvalidRequest', `Value for ${h.checksum.header} trailer is invalid.`);
    const actual = meter.checksum!.digestBase64();
    if (actual !== expected) throw new S3Error('BadDigest', `The ${h.checksum.algorithm} you specified did not match the calculated checksum.`);
    checksum = { algorithm: h.checksum.algorithm, value: actual };
  }
  return { tempPath, size: meter.size, md5: md5.toString('hex'), checksum };
}

/** Counts, hashes and bounds the payload bytes on their way to disk. */
class Meter extends Transform {
  size = 0;
  readonly md5 = createHash('md5');
  readonly sha256: ReturnType<typeof createHash> | undefined;
  readonly checksum: Checksum | undefined;

  constructor(sha256: boolean, checksum: Checksum | undefined) {
    super();
    this.sha256 = sha256 ? createHash('sha256') : undefined;
    this.checksum = checksum;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.size += chunk.length;
    if (this.size > MAX_PUT_BYTES) {
      done(new S3Error('EntityTooLarge', `Your upload exceeds the maximum allowed size of ${MAX_PUT_BYTES} bytes; upload larger objects in parts (multipart upload).`, { MaxSizeAllowed: MAX_PUT_BYTES }));
      return;
    }
    this.md5.update(chunk);
    this.sha256?.update(chunk);
    this.checksum?.update(chunk);
    done(null, chunk);
  }
}

/** The headers and `x-amz-meta-*` metadata an upload keeps, checked against S3's metadata limit. */
export function storedHeadersOf(headers: IncomingMessage['headers']): { headers: Partial<Record<StoredHeader, string>>; metadata: Record<string, string> } {
  const kept: Partial<Record<StoredHeader, string>> = {};
  for (const name of STORED_HEADERS) {
    const v = headers[name];
    if (typeof v !== 'string') continue;
    if (name === 'content-encoding') {
      // aws-chunked is how the body travelled, not how the object is encoded.
      const rest = v.split(',').map((s) => s.trim()).filter((s) => s && s !== 'aws-chunked').join(',');
      if (rest) kept[name] = rest;
    } else kept[name] = v;
  }
  const metadata: Record<string, string> = {};
  let bytes = 0;
  for (const [name, v] of Object.entries(headers)) {
    if (!name.startsWith('x-amz-meta-') || v === undefined) continue;
    const key = name.slice('x-amz-meta-'.length);
    const value = Array.isArray(v) ? v.join(',') : v;
    metadata[key] = value;
    bytes += Buffer.byteLength(key) + Buffer.byteLength(value);
  }
  if (bytes > MAX_METADATA_BYTES) throw new S3Error('MetadataTooLarge', `Your metadata headers exceed the maximum allowed metadata size: ${bytes} bytes of user-defined metadata; the limit is ${MAX_METADATA_BYTES}.`, { Size: bytes, MaxSizeAllowed: MAX_METADATA_BYTES });
  return { headers: kept, metadata };
}
