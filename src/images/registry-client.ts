/**
 * A small client of the OCI distribution API (spec v1.1) over node:http and node:https
 * (src/lib/http-request.ts: not fetch, for the agent's memory): what `berth image`
 * pushes with and what the image store pulls with. Works with Berth's registry, ECR,
 * Docker Hub and any other conforming registry.
 *
 * - Authentication answers the registry's 401 challenge (registry-auth.ts).
 * - Everything read is verified: manifests against their digest, blobs against digest
 *   and size while they stream (a corrupt blob fails at its end, before a consumer
 *   could act on its last byte).
 * - Blobs stream both ways; nothing is buffered whole except manifests and configs.
 */

import { Transform, pipeline, type Readable, type TransformCallback } from 'node:stream';
import { discard, header, httpRequest, isOk, readBody, type HttpResponse } from '../lib/http-request.ts';
import { DigestingStream, digestOf, isDigest, parseDigest, type Digest } from '../oci/digest.ts';
import { parseDocument } from '../oci/documents.ts';
import { hostPlatform } from '../oci/image-source.ts';
import { MediaType, type Descriptor, type ImageIndex, type ImageManifest, type Platform } from '../oci/media-types.ts';
import { RegistryClientError } from './errors.ts';
import { RegistryAuthenticator, causeOf, errorText, repositoryScope, type RegistryCredentials } from './registry-auth.ts';

/** What a manifest GET accepts: OCI and Docker schema 2, single images and indexes. */
export const MANIFEST_ACCEPT = [MediaType.ociManifest, MediaType.ociIndex, MediaType.dockerManifest, MediaType.dockerManifestList].join(', ');
/** Largest manifest read: 4 MiB, the limit registries (Berth's and the reference one) apply to pushes. */
export const MAX_MANIFEST_BYTES = 4 << 20;
/** Largest config blob read whole (configs with long histories are still well under 1 MiB). */
export const MAX_CONFIG_BYTES = 16 << 20;
/** Most of an error answer read for its message (errorText keeps 300 characters of it). */
const MAX_ERROR_BODY_BYTES = 64 << 10;
/** Index nesting followed when resolving a platform (real images nest once at most). */
const MAX_INDEX_DEPTH = 4;

export interface BlobProgress {
  readonly digest: Digest;
  readonly done: number;
  readonly total: number;
}

export interface RegistryClientOptions {
  readonly credentials?: RegistryCredentials;
  /** Base URL, e.g. `http://127.0.0.1:8700`. Default: {@link registryBaseUrl} of the host. */
  readonly baseUrl?: string;
  /** Aborts every request of this client (e.g. a pull being cancelled). */
  readonly signal?: AbortSignal;
}

export interface FetchedManifest {
  readonly descriptor: Descriptor;
  readonly bytes: Buffer;
}

/** A single-platform image manifest, resolved from a tag or digest (through an index if need be). */
export interface ResolvedManifest extends FetchedManifest {
  readonly manifest: ImageManifest;
  /** The index that was followed, when the reference named one. */
  readonly index: Descriptor | undefined;
}

export type BlobPushResult = 'exists' | 'mounted' | 'uploaded';

/** HTTPS, except for loopback hosts, which registries (Docker's rule too) serve over plain HTTP. */
export function registryBaseUrl(host: string): string {
  const name = host.replace(/:\d+$/, '');
  const loopback = name === 'localhost' || /^127\.\d+\.\d+\.\d+$/.test(name) || name === '[::1]';
  return `${loopback ? 'http' : 'https'}://${host}`;
}

export class RegistryClient {
  /** `host[:port]`, as in image references. */
  readonly host: string;
  readonly #base: URL;
  readonly #auth: RegistryAuthenticator;
  readonly #signal: AbortSignal | undefined;

  constructor(host: string, options: RegistryClientOptions = {}) {
    this.host = host;
    this.#base = new URL(options.baseUrl ?? registryBaseUrl(host));
    this.#auth = new RegistryAuthenticator(host, options.credentials);
    this.#signal = options.signal;
  }

  /** Checks that the registry answers /v2/ and accepts the credentials. */
  async ping(): Promise<void> {
    const res = await this.#send('GET', '/v2/', { what: `registry ${this.host}` });
    if (!isOk(res)) throw await this.#failure(res, `registry ${this.host}`);
    discard(res);
  }

  /** The manifest's descriptor (digest, size, media type), or undefined when there is none. */
  async headManifest(repository: string, reference: string): Promise<Descriptor | undefined> {
    const what = `${this.host}/${repository}${refSuffix(reference)}`;
    const res = await this.#send('HEAD', `/v2/${repository}/manifests/${reference}`, { scope: repositoryScope(repository, ['pull']), headers: { accept: MANIFEST_ACCEPT }, what });
    discard(res);
    if (res.statusCode === 404) return undefined;
    if (!isOk(res)) throw await this.#failure(res, what);
    const digest = header(res, 'docker-content-digest');
    const size = Number(header(res, 'content-length'));
    if (digest === null || !isDigest(digest) || !Number.isSafeInteger(size)) return undefined;
    return { mediaType: baseType(header(res, 'content-type')) ?? MediaType.ociManifest, digest, size };
  }

  /** A manifest or index by tag or digest, its bytes checked against the digest. */
  async getManifest(repository: string, reference: string): Promise<FetchedManifest> {
    const what = `${this.host}/${repository}${refSuffix(reference)}`;
    const res = await this.#send('GET', `/v2/${repository}/manifests/${reference}`, { scope: repositoryScope(repository, ['pull']), headers: { accept: MANIFEST_ACCEPT }, what });
    if (!isOk(res)) throw await this.#failure(res, what, 'check the name and tag; images for Berth\'s registry are pushed with \'berth image import\' or \'berth image samples\'');
    const bytes = await readLimited(res, MAX_MANIFEST_BYTES, what);
    const expected = isDigest(reference) ? reference : header(res, 'docker-content-digest');
    const algorithm = expected !== null && isDigest(expected) ? parseDigest(expected).algorithm : 'sha256';
    const digest = digestOf(bytes, algorithm);
    if (expected !== null && isDigest(expected) && expected !== digest) {
      throw new RegistryClientError(`${what}: the manifest the registry sent hashes to ${digest}, not ${expected}; the registry is serving corrupt content`);
    }
    const mediaType = baseType(header(res, 'content-type')) ?? mediaTypeOf(bytes) ?? MediaType.ociManifest;
    return { descriptor: { mediaType, digest, size: bytes.length }, bytes };
  }

  /** The image manifest for `platform` (default: this host's), following an index or manifest list. */
  async resolveManifest(repository: string, reference: string, platform: Platform = hostPlatform()): Promise<ResolvedManifest> {
    let fetched = await this.getManifest(repository, reference);
    let index: Descriptor | undefined;
    for (let depth = 0; depth <= MAX_INDEX_DEPTH; depth++) {
      const what = `${this.host}/${repository}@${fetched.descriptor.digest}`;
      const doc = parseDocument(fetched.bytes, `manifest ${what}`);
      if (doc.kind === 'manifest') return { ...fetched, manifest: doc.manifest, index };
      index ??= fetched.descriptor;
      const chosen = pickPlatform(doc.index, platform, what);
      fetched = await this.getManifest(repository, chosen.digest);
    }
    throw new RegistryClientError(`${this.host}/${repository}${refSuffix(reference)}: indexes nest deeper than ${MAX_INDEX_DEPTH}`);
  }

  /**
   * A blob's bytes as a stream that fails at its end (DigestMismatchError) unless the
   * content has the descriptor's digest and size.
   */
  async openBlob(repository: string, descriptor: Descriptor, onProgress?: (p: BlobProgress) => void): Promise<Readable> {
    const what = `blob ${descriptor.digest} of ${this.host}/${repository}`;
    const res = await this.#send('GET', `/v2/${repository}/blobs/${descriptor.digest}`, { scope: repositoryScope(repository, ['pull']), what });
    if (!isOk(res)) throw await this.#failure(res, what);
    const length = header(res, 'content-length');
    if (length !== null && Number.isSafeInteger(Number(length)) && Number(length) !== descriptor.size) {
      res.destroy();
      throw new RegistryClientError(`${what}: the registry sends ${length} bytes, but the manifest says ${descriptor.size}; the registry is serving corrupt content`);
    }
    const check = new DigestingStream({ expected: descriptor.digest, expectedSize: descriptor.size });
    if (!onProgress) return pipeline(res, check, () => {});
    return pipeline(res, check, new ProgressStream(descriptor, onProgress), () => {});
  }

  /** A small blob (a config) read whole and verified. */
  async readBlob(repository: string, descriptor: Descriptor, maxBytes = MAX_CONFIG_BYTES): Promise<Buffer> {
    if (descriptor.size > maxBytes) throw new RegistryClientError(`blob ${descriptor.digest} of ${this.host}/${repository} is ${descriptor.size} bytes, more than the ${maxBytes} a config may have`);
    const parts: Buffer[] = [];
    for await (const chunk of await this.openBlob(repository, descriptor)) parts.push(chunk as Buffer);
    return Buffer.concat(parts);
  }

  /** The stored size of a blob in the repository, or undefined when it is not there. */
  async blobSize(repository: string, digest: Digest): Promise<number | undefined> {
    const what = `blob ${digest} of ${this.host}/${repository}`;
    const res = await this.#send('HEAD', `/v2/${repository}/blobs/${digest}`, { scope: repositoryScope(repository, ['pull', 'push']), what });
    discard(res);
    if (res.statusCode === 404) return undefined;
    if (!isOk(res)) throw await this.#failure(res, what);
    return Number(header(res, 'content-length'));
  }

  /**
   * Makes sure the repository has the blob: nothing to do when it is there, a
   * cross-repository mount when `mountFrom` has it, else a monolithic streaming upload
   * (POST, then PUT of the whole body with its Content-Length).
   */
  async pushBlob(repository: string, descriptor: Descriptor, open: () => Promise<Readable>, options: { mountFrom?: string; onProgress?: (p: BlobProgress) => void } = {}): Promise<BlobPushResult> {
    const what = `pushing blob ${descriptor.digest} to ${this.host}/${repository}`;
    if ((await this.blobSize(repository, descriptor.digest)) === descriptor.size) return 'exists';
    const scope = repositoryScope(repository, ['pull', 'push']);
    const query = options.mountFrom !== undefined && options.mountFrom !== repository ? `?mount=${descriptor.digest}&from=${encodeURIComponent(options.mountFrom)}` : '';
    const started = await this.#send('POST', `/v2/${repository}/blobs/uploads/${query}`, { scope, what, headers: { 'content-length': '0' } });
    if (started.statusCode === 201 && query !== '') {
      discard(started);
      return 'mounted';
    }
    const location = header(started, 'location');
    if (started.statusCode !== 202 || location === null) throw await this.#failure(started, what);
    discard(started);
    const target = new URL(location, this.#base);
    target.searchParams.set('digest', descriptor.digest);
    const source = await open();
    const body = options.onProgress ? pipeline(source, new ProgressStream(descriptor, options.onProgress), () => {}) : source;
    let res: HttpResponse;
    try {
      res = await this.#send('PUT', target, {
        scope, what, stream: true, body,
        headers: { 'content-type': 'application/octet-stream', 'content-length': String(descriptor.size) },
      });
    } catch (e) {
      source.destroy();
      await this.#send('DELETE', new URL(location, this.#base), { scope, what }).then(discard, () => undefined);
      throw e;
    }
    if (res.statusCode !== 201) {
      source.destroy();
      throw await this.#failure(res, what);
    }
    discard(res);
    return 'uploaded';
  }

  /** Stores a manifest under a tag or its digest; returns its digest. */
  async putManifest(repository: string, reference: string, bytes: Buffer, mediaType: string): Promise<Digest> {
    const what = `pushing manifest to ${this.host}/${repository}${refSuffix(reference)}`;
    const res = await this.#send('PUT', `/v2/${repository}/manifests/${reference}`, {
      scope: repositoryScope(repository, ['pull', 'push']), what, body: bytes, headers: { 'content-type': mediaType },
    });
    if (res.statusCode !== 201) throw await this.#failure(res, what);
    discard(res);
    return digestOf(bytes);
  }

  /** One request, answering a 401 challenge once (not for streamed bodies, which cannot be sent twice). */
  async #send(method: string, path: string | URL, o: { scope?: string; headers?: Record<string, string>; body?: Buffer | Readable; stream?: boolean; what: string }): Promise<HttpResponse> {
    const url = path instanceof URL ? path : new URL(path, this.#base);
    for (let attempt = 0; ; attempt++) {
      const authorization = await this.#withWhat(o.what, () => this.#auth.header(o.scope, this.#signal));
      let res: HttpResponse;
      try {
        res = await httpRequest(url, {
          method,
          headers: { ...o.headers, ...(authorization && { authorization }) },
          ...(o.body !== undefined && { body: o.body }),
          ...(this.#signal && { signal: this.#signal }),
        });
      } catch (e) {
        const cause = causeOf(e);
        if (cause === 'aborted') throw new RegistryClientError(`${o.what}: aborted`);
        throw new RegistryClientError(`${o.what}: cannot reach ${url.origin} (${cause}); check that the registry is running (for Berth's own: 'berth up') and the address is right`);
      }
      if (res.statusCode !== 401 || attempt > 0 || o.stream) return res;
      const challenge = header(res, 'www-authenticate');
      if (!(await this.#withWhat(o.what, () => this.#auth.answer(challenge, o.scope, authorization, this.#signal)))) return res;
      discard(res);
    }
  }

  /** Errors of the token exchange, prefixed with the request they were for. */
  async #withWhat<T>(what: string, action: () => Promise<T>): Promise<T> {
    try {
      return await action();
    } catch (e) {
      if (e instanceof RegistryClientError) throw new RegistryClientError(`${what}: ${e.message}`, e.status, e.code);
      throw e;
    }
  }

  /** A one-line error from a failed response: what failed, the registry's own words, what to do. */
  async #failure(res: HttpResponse, what: string, notFoundHint?: string): Promise<RegistryClientError> {
    const text = (await readBody(res, MAX_ERROR_BODY_BYTES).catch(() => undefined))?.toString('utf8') ?? '';
    const message = errorText(text);
    const code = /^[A-Z_]+(?=:)/.exec(message)?.[0];
    const detail = message ? ` (${message})` : '';
    let hint = '';
    if (res.statusCode === 401 || res.statusCode === 403) {
      hint = this.#auth.hasCredentials
        ? '; the registry refused the credentials: get a fresh ECR token (aws ecr get-login-password) or check the username and password'
        : '; the registry wants credentials: log in, e.g. with an ECR token from \'aws ecr get-login-password\'';
    } else if (res.statusCode === 404 && notFoundHint) {
      hint = `; ${notFoundHint}`;
    }
    return new RegistryClientError(`${what}: HTTP ${res.statusCode}${detail}${hint}`, res.statusCode, code);
  }
}

function refSuffix(reference: string): string {
  return isDigest(reference) ? `@${reference}` : `:${reference}`;
}

function baseType(header: string | null): string | undefined {
  const t = header?.split(';')[0]?.trim().toLowerCase();
  return t ? t : undefined;
}

function mediaTypeOf(bytes: Buffer): string | undefined {
  try {
    const t = (JSON.parse(bytes.toString('utf8')) as { mediaType?: unknown }).mediaType;
    return typeof t === 'string' ? t : undefined;
  } catch {
    return undefined;
  }
}

async function readLimited(res: HttpResponse, max: number, what: string): Promise<Buffer> {
  const declared = Number(header(res, 'content-length'));
  if (Number.isFinite(declared) && declared > max) {
    res.destroy();
    throw new RegistryClientError(`${what}: the manifest is ${declared} bytes, more than the ${max} allowed`);
  }
  const bytes = await readBody(res, max);
  if (bytes === undefined) throw new RegistryClientError(`${what}: the manifest is more than the ${max} bytes allowed`);
  return bytes;
}

function pickPlatform(index: ImageIndex, want: Platform, what: string): Descriptor {
  const fits = index.manifests.filter((m) => m.platform?.os === want.os && m.platform.architecture === want.architecture);
  const chosen = fits.find((m) => want.variant === undefined || m.platform?.variant === want.variant) ?? fits[0];
  if (chosen) return chosen;
  const have = index.manifests.map((m) => (m.platform ? `${m.platform.os}/${m.platform.architecture}` : 'unknown')).join(', ');
  throw new RegistryClientError(`${what} has no image for ${want.os}/${want.architecture} (it has: ${have || 'none'}); push an image built for this host's platform`);
}

/** Counts bytes through, reporting progress for one blob. */
class ProgressStream extends Transform {
  #done = 0;
  readonly #descriptor: Descriptor;
  readonly #report: (p: BlobProgress) => void;

  constructor(descriptor: Descriptor, report: (p: BlobProgress) => void) {
    super();
    this.#descriptor = descriptor;
    this.#report = report;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#done += chunk.length;
    this.#report({ digest: this.#descriptor.digest, done: this.#done, total: this.#descriptor.size });
    callback(null, chunk);
  }
}
