/**
 * The `aws-chunked` content encoding that SDKs use to stream an upload whose signature
 * or checksum cannot be known before the bytes are sent (S3 API reference, "Signature
 * calculations for the Authorization header: transferring payload in multiple chunks"
 * and "…including trailing headers"):
 *
 *   <size hex>[;chunk-signature=<sig>]\r\n<size bytes>\r\n     … repeated
 *   0[;chunk-signature=<sig>]\r\n                              the last chunk, then
 *   <name>:<value>\r\n …                                       trailers (checksums, the
 *   \r\n                                                       trailer signature), blank line
 *
 * The decoder passes on only the payload bytes and collects the trailers. Chunk
 * signatures are read but not checked: Berth does not check request signatures at all.
 */

import { Transform, type TransformCallback } from 'node:stream';
import { S3Error } from './errors.ts';

/** `x-amz-content-sha256` values that announce an aws-chunked body. */
export const STREAMING_PAYLOADS = [
  'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
  'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER',
  'STREAMING-UNSIGNED-PAYLOAD-TRAILER',
  'STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD',
  'STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER',
] as const;

/** A chunk header line is a size and one signature; anything longer is not aws-chunked. */
const MAX_HEADER_LINE = 1024;
/** All trailer lines together: a checksum and a signature take ~200 bytes. */
const MAX_TRAILER_BYTES = 16 * 1024;
/** A chunk size beyond this many hex digits cannot be real (2^52 bytes). */
const MAX_SIZE_DIGITS = 13;

type State = 'header' | 'data' | 'data-end' | 'trailer' | 'done';

export class AwsChunkedDecoder extends Transform {
  /** Trailers by lower-case name, available once the stream has ended. */
  readonly trailers = new Map<string, string>();
  #state: State = 'header';
  #line: Buffer = Buffer.alloc(0);
  #remaining = 0;
  #trailerBytes = 0;
  #signed: boolean;

  /** `signed`: chunk headers carry `;chunk-signature=` (every STREAMING-AWS4-* payload). */
  constructor(signed: boolean) {
    super();
    this.#signed = signed;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    try {
      this.#consume(chunk);
      done();
    } catch (e) {
      done(e as Error);
    }
  }

  override _flush(done: TransformCallback): void {
    if (this.#state !== 'done') done(malformed('the body ended before its last chunk and trailers'));
    else done();
  }

  #consume(chunk: Buffer): void {
    let i = 0;
    while (i < chunk.length) {
      switch (this.#state) {
        case 'data': {
          const n = Math.min(this.#remaining, chunk.length - i);
          this.push(chunk.subarray(i, i + n));
          i += n;
          this.#remaining -= n;
          if (this.#remaining === 0) this.#state = 'data-end';
          break;
        }
        case 'done':
          throw malformed('bytes follow the final chunk');
        default: {
          const nl = chunk.indexOf(0x0a, i);
          const end = nl < 0 ? chunk.length : nl + 1;
          this.#line = this.#line.length ? Buffer.concat([this.#line, chunk.subarray(i, end)]) : chunk.subarray(i, end);
          i = end;
          if (this.#line.length > (this.#state === 'trailer' ? MAX_TRAILER_BYTES : MAX_HEADER_LINE)) throw malformed('a chunk header or trailer line is too long');
          if (nl < 0) break;
          const line = this.#line;
          this.#line = Buffer.alloc(0);
          if (line.length < 2 || line[line.length - 2] !== 0x0d) throw malformed('lines must end with CRLF');
          this.#onLine(line.subarray(0, line.length - 2).toString('latin1'));
        }
      }
    }
  }

  /** One CRLF-terminated line, in the header, data-end or trailer state. */
  #onLine(text: string): void {
    if (this.#state === 'data-end') {
      if (text !== '') throw malformed('a chunk\'s data is longer than its size says');
      this.#state = 'header';
      return;
    }
    if (this.#state === 'trailer') {
      this.#trailerBytes += text.length + 2;
      if (this.#trailerBytes > MAX_TRAILER_BYTES) throw malformed('the trailers are too long');
      if (text === '') { this.#state = 'done'; return; }
      const colon = text.indexOf(':');
      if (colon <= 0) throw malformed(`the trailer line '${text.slice(0, 60)}' is not name:value`);
      this.trailers.set(text.slice(0, colon).trim().toLowerCase(), text.slice(colon + 1).trim());
      return;
    }
    const semi = text.indexOf(';');
    const sizeHex = semi < 0 ? text : text.slice(0, semi);
    if (!/^[0-9a-fA-F]+$/.test(sizeHex) || sizeHex.length > MAX_SIZE_DIGITS) throw malformed(`'${text.slice(0, 60)}' is not a chunk size`);
    const ext = semi < 0 ? undefined : text.slice(semi + 1);
    if (this.#signed && !(ext && /^chunk-signature=[0-9a-f]+$/.test(ext))) throw malformed('a signed chunk has no chunk-signature');
    if (!this.#signed && ext !== undefined) throw malformed('an unsigned chunk carries an extension');
    this.#remaining = parseInt(sizeHex, 16);
    this.#state = this.#remaining === 0 ? 'trailer' : 'data';
  }
}

function malformed(why: string): S3Error {
  return new S3Error('IncompleteBody', `The aws-chunked request body is malformed: ${why}.`);
}
