/**
 * `berth image samples`: builds the sample images (build.ts) and pushes them where a
 * new user's task definitions look for them. `nginx` and `busybox` resolve to
 * `library/…` (Berth's Docker Hub mirror), so the README's task definition with image
 * `nginx` runs as written; the test images go under `berth/`.
 */

import type { Digest } from '../../oci/digest.ts';
import { openLayout } from '../../oci/layout.ts';
import { pushImage, type PushOptions, type PushResult } from '../push.ts';
import type { RegistryClient } from '../registry-client.ts';
import { TEST_IMAGE_TAG, buildTestImages, type TestImageName } from './build.ts';

/** Repository of each sample. busybox first: every other image mounts its base layer from it. */
export const SAMPLE_REPOSITORIES: Readonly<Record<TestImageName, string>> = {
  busybox: 'library/busybox',
  nginx: 'library/nginx',
  web: 'berth/web',
  sleep: 'berth/sleep',
  'exit-with': 'berth/exit-with',
  memhog: 'berth/memhog',
};

export interface PushSamplesOptions extends Pick<PushOptions, 'onBlob' | 'onProgress'> {
  /** Where the layouts are built and cached. */
  readonly buildDir: string;
  readonly debCacheDir: string;
  readonly log: (line: string) => void;
  /** Creates a repository if it is missing (ECR CreateRepository). */
  readonly createRepository: (name: string) => Promise<void>;
  /** Called before each image is pushed. */
  readonly onImage?: (repository: string) => void;
}

export async function pushSamples(client: RegistryClient, options: PushSamplesOptions): Promise<PushResult[]> {
  const built = await buildTestImages(options.buildDir, { debCacheDir: options.debCacheDir, log: options.log });
  const knownBlobs = new Map<Digest, string>();
  const results: PushResult[] = [];
  for (const [name, repository] of Object.entries(SAMPLE_REPOSITORIES) as [TestImageName, string][]) {
    const source = await openLayout(built[name].dir);
    try {
      const ref = source.refs.find((r) => r.name === TEST_IMAGE_TAG);
      if (ref === undefined) throw new Error(`the built sample ${name} has no ${TEST_IMAGE_TAG} tag`);
      await options.createRepository(repository);
      options.onImage?.(repository);
      results.push(await pushImage(client, source, ref.descriptor, repository, TEST_IMAGE_TAG, {
        knownBlobs,
        ...(options.onBlob && { onBlob: options.onBlob }),
        ...(options.onProgress && { onProgress: options.onProgress }),
      }));
    } finally {
      await source.close();
    }
  }
  return results;
}
