/**
 * Builds the sample images (busybox, web, sleep, exit-with, memhog, nginx) as OCI image
 * layouts, tag `latest`, one directory each. `berth image samples` pushes them; the
 * tests use them as fixtures (test/fixtures/images/build.ts re-exports this module):
 *
 *   import { buildTestImages } from '../fixtures/images/build.ts';
 *   const images = await buildTestImages();          // into .data/test-images/
 *   images.web.dir  →  skopeo copy oci:<dir>:latest ..., or LayoutWriter/openLayout
 *
 *   node src/images/samples/build.ts [OUTDIR] [NAME...]
 *
 * Idempotent and cheap to call often: an image is rebuilt only when a hash of its inputs
 * (layer contents, config, and the builder's and src/oci's sources) differs from the one
 * recorded beside it. Builds into a temporary directory and renames it into place, under
 * a lock, so parallel test processes can share one output directory.
 */

import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import type { Digest } from '../../oci/digest.ts';
import { LayoutWriter, openLayout } from '../../oci/layout.ts';
import { writeImage, writeLayer } from '../../oci/image-writer.ts';
import { listBlobs } from '../../oci/image-source.ts';
import { Recipes, TEST_IMAGES, type Recipe, type TestImageName } from './recipes.ts';
import { withLock } from './lock.ts';
import type { Log } from './debian.ts';

export { TEST_IMAGES, type TestImageName } from './recipes.ts';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
/** Default output: gitignored, kept between runs. */
export const DEFAULT_IMAGES_DIR = join(REPO_ROOT, '.data', 'test-images');
/** Downloaded .deb files, kept between runs and output directories. */
export const DEFAULT_DEB_CACHE_DIR = join(REPO_ROOT, '.data', 'debs');
/** Every file time in every layer, and the config's `created`: 2024-01-01T00:00:00Z, for stable digests. */
export const FIXTURE_EPOCH = 1704067200;
const FIXTURE_CREATED = new Date(FIXTURE_EPOCH * 1000).toISOString().replace('.000Z', 'Z');
/** The tag every image gets. */
export const TEST_IMAGE_TAG = 'latest';

export interface BuiltTestImage {
  readonly name: TestImageName;
  /** The OCI image layout directory (use as `oci:<dir>:latest`). */
  readonly dir: string;
  readonly tag: typeof TEST_IMAGE_TAG;
  readonly manifestDigest: Digest;
  /** True when the layout from an earlier build was reused. */
  readonly cached: boolean;
}

export interface BuildOptions {
  /** Only these images (default: all). */
  readonly images?: readonly TestImageName[];
  readonly debCacheDir?: string;
  /** Progress lines (default: silent). */
  readonly log?: Log;
}

export async function buildTestImages(outDir: string = DEFAULT_IMAGES_DIR, options: BuildOptions = {}): Promise<Record<TestImageName, BuiltTestImage>> {
  const names = options.images ?? TEST_IMAGES;
  const log = options.log ?? (() => {});
  await mkdir(outDir, { recursive: true });
  return withLock(join(outDir, '.build.lock'), async () => {
    const recipes = new Recipes({ debCacheDir: options.debCacheDir ?? DEFAULT_DEB_CACHE_DIR, log });
    const sources = await sourceHash();
    const built: Partial<Record<TestImageName, BuiltTestImage>> = {};
    for (const name of names) built[name] = await buildOne(outDir, name, await recipes.recipe(name), sources, log);
    return built as Record<TestImageName, BuiltTestImage>;
  });
}

/** One image; see {@link buildTestImages}. */
export async function buildTestImage(name: TestImageName, outDir: string = DEFAULT_IMAGES_DIR, options: Omit<BuildOptions, 'images'> = {}): Promise<BuiltTestImage> {
  return (await buildTestImages(outDir, { ...options, images: [name] }))[name];
}

async function buildOne(outDir: string, name: TestImageName, recipe: Recipe, sources: string, log: Log): Promise<BuiltTestImage> {
  const dir = join(outDir, name);
  const marker = join(outDir, `${name}.inputs`);
  const inputs = inputHash(recipe, sources);
  if ((await readFile(marker, 'utf8').catch(() => '')) === inputs) {
    const digest = await manifestDigest(dir).catch(() => undefined);
    if (digest !== undefined) return { name, dir, tag: TEST_IMAGE_TAG, manifestDigest: digest, cached: true };
  }
  log(`building sample image ${name}`);
  const tmp = join(outDir, `.${name}.tmp-${process.pid}`);
  await rm(tmp, { recursive: true, force: true });
  try {
    const writer = await LayoutWriter.open(tmp);
    const layers = [];
    for (const layer of recipe.layers) layers.push(await writeLayer(writer, layer.entries, { mtime: FIXTURE_EPOCH }));
    const image = await writeImage(writer, {
      layers,
      config: recipe.config,
      created: FIXTURE_CREATED,
      history: recipe.layers.map((l) => ({ created: FIXTURE_CREATED, created_by: `berth test image builder: ${l.comment}` })),
    }, TEST_IMAGE_TAG);
    await writer.commit();
    await rm(marker, { force: true });
    await rm(dir, { recursive: true, force: true });
    await rename(tmp, dir);
    await writeFile(`${marker}.tmp`, inputs);
    await rename(`${marker}.tmp`, marker);
    return { name, dir, tag: TEST_IMAGE_TAG, manifestDigest: image.manifest.digest, cached: false };
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/** The digest of a layout built earlier, if it is still whole (every blob there with its size). */
async function manifestDigest(dir: string): Promise<Digest> {
  const source = await openLayout(dir);
  const ref = source.refs.find((r) => r.name === TEST_IMAGE_TAG);
  if (ref === undefined) throw new Error(`${dir} has no ${TEST_IMAGE_TAG} tag`);
  for (const blob of await listBlobs(source, ref.descriptor)) {
    if ((await source.stat(blob.digest)) !== blob.size) throw new Error(`${dir} lacks blob ${blob.digest}`);
  }
  return ref.descriptor.digest;
}

/** What the output depends on besides the recipe: this builder and the OCI library it writes with. */
async function sourceHash(): Promise<string> {
  const hash = createHash('sha256');
  hash.update(`node-zlib ${process.versions.zlib}\n`);
  for (const folder of ['src/images/samples', 'src/oci']) {
    const files = (await readdir(join(REPO_ROOT, folder))).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts')).sort();
    for (const f of files) hash.update(`${folder}/${f}\n`).update(await readFile(join(REPO_ROOT, folder, f)));
  }
  return hash.digest('hex');
}

function inputHash(recipe: Recipe, sources: string): string {
  const hash = createHash('sha256').update(sources).update(JSON.stringify(recipe.config));
  for (const layer of recipe.layers) {
    hash.update(`layer ${layer.comment}\n`);
    for (const e of layer.entries) {
      const body = e.body === undefined ? '' : createHash('sha256').update(e.body).digest('hex');
      hash.update(JSON.stringify([e.path, e.type ?? 'file', e.mode, e.uid, e.gid, e.linkPath, body]));
    }
  }
  return hash.digest('hex');
}

if (import.meta.main) {
  const [outDir = DEFAULT_IMAGES_DIR, ...names] = process.argv.slice(2);
  for (const n of names) {
    if (!(TEST_IMAGES as readonly string[]).includes(n)) {
      console.error(`unknown test image ${n}; known: ${TEST_IMAGES.join(', ')}`);
      process.exit(2);
    }
  }
  const images = await buildTestImages(outDir, {
    ...(names.length > 0 ? { images: names as TestImageName[] } : {}),
    log: (line) => console.error(`test-images: ${line}`),
  });
  for (const image of Object.values(images)) {
    console.log(`${image.name}\t${image.manifestDigest}\t${image.dir}${image.cached ? '\t(cached)' : ''}`);
  }
}
