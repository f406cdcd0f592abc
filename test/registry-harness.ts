/**
 * A Berth endpoint for the registry and ECR end-to-end tests: node:http on port 0 with
 * the registry under /v2/ and the AWS front door serving ECR, on the real SQLite store
 * in a temp dir. Everything is removed by `close()`.
 */

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAwsFrontDoor } from '../src/api/aws/front-door.ts';
import { createEcrService } from '../src/api/ecr/index.ts';
import { createRegistry, openTokenAuthority, type Registry, type RegistryAuth } from '../src/registry/index.ts';
import { openSqliteStore } from '../src/store/sqlite/sqlite-store.ts';
import type { Store } from '../src/store/store.ts';
import { createRequestVerifier } from '../src/api/aws/verify-request.ts';

export const ACCOUNT = '000000000000';

export interface Harness {
  readonly url: string;
  /** host:port, what clients put in image references. */
  readonly host: string;
  readonly dataDir: string;
  readonly store: Store;
  readonly registry: Registry;
  readonly logs: string[];
  /** A valid ECR token (the password of user AWS). */
  token(): string;
  close(): Promise<void>;
}

export interface HarnessOptions {
  readonly auth?: Partial<Omit<RegistryAuth, 'tokens'>>;
  readonly now?: () => number;
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const dataDir = await mkdtemp(join(tmpdir(), 'berth-registry-'));
  const store = await openSqliteStore(join(dataDir, 'state.db'));
  const tokens = await openTokenAuthority(dataDir);
  const logs: string[] = [];
  const log = (line: string) => void logs.push(line);
  const registry = createRegistry({
    store, dataDir, log, accountId: ACCOUNT, gcInterval: false,
    auth: { tokens, required: false, ...options.auth },
    ...(options.now && { now: options.now }),
  });
  const ecr = createEcrService({ store, registry: registry.core, tokens });
  const aws = createAwsFrontDoor({ services: [ecr], accountId: ACCOUNT, defaultRegion: 'us-east-1', log, verifier: createRequestVerifier({ key: randomBytes(32), accountId: ACCOUNT }) });
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const route = registry.accepts(req) ? registry : aws.accepts(req) ? aws : undefined;
    if (!route) {
      res.writeHead(404).end();
      return;
    }
    route.handle(req, res).catch((err: unknown) => {
      log(`unhandled: ${String(err)}`);
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    dataDir,
    store,
    registry,
    logs,
    token: () => tokens.issue({ account: ACCOUNT, expiresAt: Date.now() + 3600_000 }),
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await ecr.close();
      await registry.close();
      await store.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export function sha256(data: Uint8Array | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

export interface TinyImage {
  readonly config: Buffer;
  readonly layers: Buffer[];
  readonly manifest: Buffer;
  readonly digest: string;
  readonly mediaType: string;
}

/**
 * A small OCI image: random layers and a config, and the manifest naming them. Layers
 * are gzip streams (of random bytes), so that clients copy them as they are instead of
 * compressing them on the way, which would change every digest.
 */
export function tinyImage(layerSizes: readonly number[] = [1024], extra: Record<string, unknown> = {}): TinyImage {
  const layers = layerSizes.map((n) => gzipSync(randomBytes(n), { level: 0 }));
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: layers.map((l) => sha256(l)) }, nonce: randomBytes(8).toString('hex') }));
  const mediaType = 'application/vnd.oci.image.manifest.v1+json';
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType,
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
    layers: layers.map((l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: sha256(l), size: l.length })),
    ...extra,
  }));
  return { config, layers, manifest, digest: sha256(manifest), mediaType };
}

/** Pushes an image's blobs (monolithic POST) and its manifest under `tag` with fetch. */
export async function pushImage(h: Harness, repo: string, image: TinyImage, tag: string, headers: Record<string, string> = {}): Promise<Response> {
  for (const blob of [image.config, ...image.layers]) {
    const r = await fetch(`${h.url}/v2/${repo}/blobs/uploads/?digest=${sha256(blob)}`, { method: 'POST', body: blob, headers });
    if (r.status !== 201) throw new Error(`blob push answered ${r.status}: ${await r.text()}`);
  }
  return fetch(`${h.url}/v2/${repo}/manifests/${tag}`, { method: 'PUT', body: image.manifest, headers: { 'Content-Type': image.mediaType, ...headers } });
}
