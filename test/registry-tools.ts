/** Running the real clients (skopeo, the aws CLIs) from registry and ECR tests, and tiny OCI layouts for them. */

import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sha256, type TinyImage } from './registry-harness.ts';

export { ok, run, type RunResult } from './support/run.ts';

/** Environment for the aws CLIs: dummy credentials, a region, no user config. */
export function awsEnv(dir: string): Record<string, string> {
  return {
    AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_DEFAULT_REGION: 'us-east-1',
    AWS_CONFIG_FILE: join(dir, 'aws-config'), AWS_SHARED_CREDENTIALS_FILE: join(dir, 'aws-credentials'),
    AWS_PAGER: '',
  };
}

/** Writes `image` as an OCI image layout with tag `latest` (what `skopeo copy oci:<dir>:latest` reads). */
export async function writeLayout(dir: string, image: TinyImage): Promise<void> {
  await mkdir(join(dir, 'blobs', 'sha256'), { recursive: true });
  for (const blob of [image.config, ...image.layers, image.manifest]) {
    await writeFile(join(dir, 'blobs', 'sha256', sha256(blob).slice('sha256:'.length)), blob);
  }
  await writeFile(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  await writeFile(join(dir, 'index.json'), JSON.stringify({
    schemaVersion: 2,
    manifests: [{ mediaType: image.mediaType, digest: image.digest, size: image.manifest.length, annotations: { 'org.opencontainers.image.ref.name': 'latest' } }],
  }));
}
