/**
 * `berth image import`: an image from a file (an OCI layout directory, an OCI archive
 * tar, or a docker-archive tar, any of them gzip- or zstd-compressed) pushed into a
 * registry, under a name given or taken from the archive.
 */

import { stat } from 'node:fs/promises';
import { openImageArchive } from '../oci/image-archive.ts';
import type { ImageRef, ImageSource } from '../oci/image-source.ts';
import { openLayout } from '../oci/layout.ts';
import { ImageStoreError } from './errors.ts';
import { pushImage, type PushOptions, type PushResult } from './push.ts';
import { DEFAULT_TAG, parseReference, resolveReference } from './reference.ts';
import type { RegistryClient } from './registry-client.ts';

/** Where an import goes: a repository of the target registry and a tag. */
export interface ImportTarget {
  readonly repository: string;
  readonly tag: string;
}

/** Opens FILE as an image source, whichever of the accepted forms it is. */
export async function openImageFile(file: string): Promise<ImageSource> {
  const st = await stat(file).catch(() => undefined);
  if (st === undefined) throw new ImageStoreError(`${file} does not exist: give an OCI layout directory, an OCI archive or a docker-archive tar`);
  return st.isDirectory() ? openLayout(file) : openImageArchive(file);
}

/**
 * Which image of the source to import, and as what. `name` is `--name REPO[:TAG]`;
 * without it the name comes from the image's ref name (`docker.io/library/nginx:latest`
 * → `library/nginx:latest`, by the same policy that resolves `nginx` to
 * `library/nginx`). A ref name that is only a tag (what `skopeo copy oci:DIR:TAG`
 * writes) names no repository, so then `--name` is required.
 */
export function chooseImport(source: ImageSource, file: string, name: string | undefined, registryHost: string): { ref: ImageRef; target: ImportTarget } {
  const given = name === undefined ? undefined : parseName(name);
  const ref = pickImage(source.refs, file, name);
  const refName = ref.name;
  const refTarget = refName === undefined ? undefined : targetOfRefName(refName, registryHost);
  if (given) return { ref, target: { repository: given.repository, tag: given.tag ?? refTarget?.tag ?? DEFAULT_TAG } };
  if (refTarget?.repository === undefined) {
    const what = refName === undefined ? 'has no name for its image' : `names its image only by the tag ${JSON.stringify(refName)}`;
    throw new ImageStoreError(`${file} ${what}: pass --name REPOSITORY[:TAG], e.g. --name team/app:v1`);
  }
  return { ref, target: { repository: refTarget.repository, tag: refTarget.tag ?? DEFAULT_TAG } };
}

/** Pushes the chosen image to `client`'s registry. */
export async function importImage(client: RegistryClient, source: ImageSource, ref: ImageRef, target: ImportTarget, options: PushOptions = {}): Promise<PushResult> {
  return pushImage(client, source, ref.descriptor, target.repository, target.tag, options);
}

function parseName(name: string): { repository: string; tag: string | undefined } {
  const r = parseReference(name);
  if (r.registry !== undefined) throw new ImageStoreError(`--name takes a repository and tag, like team/app:v1, without a registry host (${r.registry}): the image goes to the Berth at --endpoint`);
  if (r.digest !== undefined) throw new ImageStoreError('--name takes a repository and tag, like team/app:v1, not a digest: the digest is the image\'s own');
  const explicitTag = /:[^/]*$/.test(name);
  return { repository: r.repository, tag: explicitTag ? r.tag : undefined };
}

function targetOfRefName(refName: string, registryHost: string): { repository?: string; tag?: string } | undefined {
  // A bare tag ("latest", "v1"): no '/' and no ':' to tell a repository from it.
  if (!refName.includes('/') && !refName.includes(':')) return /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(refName) ? { tag: refName } : undefined;
  let parsed;
  try {
    parsed = parseReference(refName);
  } catch {
    return undefined;
  }
  const resolved = resolveReference(parsed, registryHost);
  return { repository: resolved.berth ? resolved.repository : parsed.repository, ...(parsed.tag !== undefined && { tag: parsed.tag }) };
}

function pickImage(refs: readonly ImageRef[], file: string, name: string | undefined): ImageRef {
  if (refs.length === 1) return refs[0] as ImageRef;
  const names = refs.map((r) => r.name ?? '(unnamed)').join(', ');
  if (refs.length === 0) throw new ImageStoreError(`${file} holds no image`);
  // Several images (e.g. a `docker save` of two tags): --name picks the one it matches.
  const wanted = name === undefined ? undefined : [name, name.split(':').at(-1)];
  const found = refs.filter((r) => r.name !== undefined && (wanted?.includes(r.name) || wanted?.some((w) => w !== undefined && r.name?.endsWith(`/${w}`))));
  const unique = new Set(found.map((r) => r.descriptor.digest));
  if (found[0] && unique.size === 1) return found[0];
  throw new ImageStoreError(`${file} holds ${refs.length} images (${names}): pick one with --name set to one of these names`);
}
