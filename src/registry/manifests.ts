/**
 * Manifests in the store: put (with every reference checked), resolve by tag or
 * digest, delete. The exact bytes live in the manifest record, so a GET is one key read.
 */

import type { Digest } from '../oci/digest.ts';
import { getJson, getManyJson, type Versioned } from '../store/json.ts';
import type { Condition, Op, Store, Txn } from '../store/store.ts';
import type { BlobStore } from './blob-store.ts';
import { oci } from './errors.ts';
import type { GcLock } from '../lib/gc-lock.ts';
import { keys } from './keys.ts';
import { analyzeManifest, type AnalyzedManifest } from './manifest-doc.ts';
import type { Reference } from './names.ts';
import { parseDigest } from '../oci/digest.ts';
import { tagIsImmutable, type ManifestRecord, type ReferrerRecord, type TagRecord } from './records.ts';
import { CAS_ATTEMPTS, ensureRepo, requireRepo } from './repositories.ts';
import { digestsTagged } from './tags.ts';

export interface ManifestDeps {
  readonly store: Store;
  readonly blobs: BlobStore;
  readonly lock: GcLock;
}

export interface PutManifestOptions {
  /** Create the repository if it does not exist (registry pushes); ECR's PutImage requires it. */
  readonly createRepo: boolean;
  readonly now: number;
  /**
   * More tags to point at the manifest, set in the same transaction as the reference's own
   * (a push by digest with `?tag=` parameters). Checked tags, at most MAX_TAGS_PER_PUSH.
   */
  readonly tags?: readonly string[];
}

/** Tags one push may set: ten times the 10 the spec asks registries to take, all in one store transaction. */
export const MAX_TAGS_PER_PUSH = 100;

export interface PutManifestResult {
  readonly record: ManifestRecord;
  /** The manifest was already stored (same digest). */
  readonly existed: boolean;
  /** Every tag already pointed at this digest (or no tag was given). */
  readonly tagUnchanged: boolean;
  /** The tags that now point at the manifest: the reference's and the options' tags, each once. */
  readonly tags: readonly string[];
}

export async function putManifest(deps: ManifestDeps, repo: string, ref: Reference, bytes: Buffer, contentType: string | undefined, options: PutManifestOptions): Promise<PutManifestResult> {
  const doc = analyzeManifest(bytes, contentType, ref.kind === 'digest' ? parseDigest(ref.digest).algorithm : 'sha256');
  if (ref.kind === 'digest' && ref.digest !== doc.digest) {
    throw oci('DIGEST_INVALID', `the manifest's digest is ${doc.digest}, not ${ref.digest} as in the URL`, { expected: ref.digest, actual: doc.digest });
  }
  const tags = [...new Set([...(ref.kind === 'tag' ? [ref.tag] : []), ...(options.tags ?? [])])];
  if (tags.length > MAX_TAGS_PER_PUSH) {
    throw oci('TAG_INVALID', `a push may set at most ${MAX_TAGS_PER_PUSH} tags, this one names ${tags.length}: push the rest in further requests`, { tags: tags.length, max: MAX_TAGS_PER_PUSH }, 414);
  }
  if (options.createRepo) await ensureRepo(deps.store, repo, options.now);
  else await requireRepo(deps.store, repo);
  return deps.lock.shared(async () => {
    const children = await checkReferences(deps, repo, doc);
    for (let i = 0; i < CAS_ATTEMPTS; i++) {
      const result = await tryPut(deps.store, repo, tags, doc, children, options.now);
      if (result) return result;
    }
    throw new Error(`could not store manifest ${doc.digest} in ${repo}: too much contention`);
  });
}

/** Every blob must be in the repository and every child manifest stored there. Touches the blobs (see GcLock). */
async function checkReferences(deps: ManifestDeps, repo: string, doc: AnalyzedManifest): Promise<ManifestRecord[]> {
  const links = await Promise.all(doc.blobs.map((d) => deps.store.get(keys.link(repo, d))));
  const present = await Promise.all(doc.blobs.map((d, i) => (links[i] ? deps.blobs.touch(d) : false)));
  const missingBlob = doc.blobs.find((_, i) => !present[i]);
  if (missingBlob) {
    throw oci('MANIFEST_BLOB_UNKNOWN', `the manifest references blob ${missingBlob}, which is not in repository ${repo}: push the blob first`, { digest: missingBlob });
  }
  const children = await getManyJson<ManifestRecord>(deps.store, doc.children.map((d) => keys.manifest(repo, d)));
  const missingChild = doc.children.find((_, i) => !children[i]);
  if (missingChild) {
    throw oci('MANIFEST_BLOB_UNKNOWN', `the index references manifest ${missingChild}, which is not in repository ${repo}: push the platform manifests first`, { digest: missingChild });
  }
  return children.map((c) => c!.value);
}

async function tryPut(store: Store, repo: string, tags: readonly string[], doc: AnalyzedManifest, children: ManifestRecord[], now: number): Promise<PutManifestResult | undefined> {
  const repoRec = await requireRepo(store, repo);
  const manifestKey = keys.manifest(repo, doc.digest);
  const existing = await getJson<ManifestRecord>(store, manifestKey);
  const conditions: Condition[] = [{ key: keys.repo(repo), modRevision: repoRec.modRevision }, { key: manifestKey, modRevision: existing?.modRevision ?? 0 }];
  const ops: Op[] = [];
  const record: ManifestRecord = existing?.value ?? {
    digest: doc.digest,
    mediaType: doc.mediaType,
    size: doc.size,
    body: doc.text,
    pushedAt: now,
    blobs: doc.blobs,
    children: doc.children,
    ...(doc.subject && { subject: doc.subject }),
    ...(doc.artifactType && { artifactType: doc.artifactType }),
    ...(doc.configMediaType && { configMediaType: doc.configMediaType }),
    imageSize: doc.ownImageSize + children.reduce((sum, c) => sum + c.imageSize, 0),
    ...(doc.annotations && { annotations: doc.annotations }),
  };
  if (!existing) {
    ops.push({ type: 'put', key: manifestKey, value: JSON.stringify(record) });
    if (doc.subject) {
      const referrer: ReferrerRecord = {
        mediaType: doc.mediaType, digest: doc.digest, size: doc.size,
        ...(doc.artifactType && { artifactType: doc.artifactType }),
        ...(doc.annotations && { annotations: doc.annotations }),
      };
      ops.push({ type: 'put', key: keys.referrer(repo, doc.subject, doc.digest), value: JSON.stringify(referrer) });
    }
  }
  let tagUnchanged = true;
  const current = await getManyJson<TagRecord>(store, tags.map((t) => keys.tag(repo, t)));
  for (const [i, name] of tags.entries()) {
    const tagKey = keys.tag(repo, name);
    const tag = current[i];
    conditions.push({ key: tagKey, modRevision: tag?.modRevision ?? 0 });
    if (tag?.value.digest !== doc.digest) {
      if (tag && tagIsImmutable(repoRec.value, name)) {
        throw oci('TAG_INVALID', `The image tag '${name}' already exists in the '${repo}' repository and cannot be overwritten because the repository is immutable. Push under a new tag, or make the repository's tags mutable with 'aws ecr put-image-tag-mutability'.`, { tag: name, repository: repo, immutable: true });
      }
      tagUnchanged = false;
      ops.push({ type: 'put', key: tagKey, value: JSON.stringify({ digest: doc.digest, updatedAt: now } satisfies TagRecord) });
    }
  }
  if (ops.length === 0) return { record, existed: true, tagUnchanged, tags };
  const r = await store.txn({ if: conditions, ops });
  return r.ok ? { record, existed: existing !== undefined, tagUnchanged, tags } : undefined;
}

/** The digest a reference names in `repo`, or MANIFEST_UNKNOWN. */
export async function resolve(store: Store, repo: string, ref: Reference): Promise<Digest> {
  if (ref.kind === 'digest') return ref.digest;
  const tag = await getJson<TagRecord>(store, keys.tag(repo, ref.tag));
  if (!tag) throw manifestUnknown(repo, ref);
  return tag.value.digest as Digest;
}

/** The stored manifest a reference names; NAME_UNKNOWN or MANIFEST_UNKNOWN when absent. */
export async function getManifest(store: Store, repo: string, ref: Reference): Promise<ManifestRecord> {
  const digest = ref.kind === 'digest' ? ref.digest : (await getJson<TagRecord>(store, keys.tag(repo, ref.tag)))?.value.digest;
  const m = digest === undefined ? undefined : await getJson<ManifestRecord>(store, keys.manifest(repo, digest));
  if (!m) {
    await requireRepo(store, repo);
    throw manifestUnknown(repo, ref);
  }
  return m.value;
}

/**
 * Deletes a tag (the manifest stays), or a manifest by digest together with every tag
 * pointing at it and its referrers entry. Returns the tags removed.
 */
export async function deleteManifest(store: Store, repo: string, ref: Reference): Promise<{ digest: string; tags: string[] }> {
  await requireRepo(store, repo);
  for (let i = 0; i < CAS_ATTEMPTS; i++) {
    if (ref.kind === 'tag') {
      const tag = await getJson<TagRecord>(store, keys.tag(repo, ref.tag));
      if (!tag) throw manifestUnknown(repo, ref);
      const r = await store.txn({ if: [{ key: keys.tag(repo, ref.tag), modRevision: tag.modRevision }], ops: [{ type: 'delete', key: keys.tag(repo, ref.tag) }] });
      if (r.ok) return { digest: tag.value.digest, tags: [ref.tag] };
      continue;
    }
    const m = await getJson<ManifestRecord>(store, keys.manifest(repo, ref.digest));
    if (!m) throw manifestUnknown(repo, ref);
    const tags = (await digestsTagged(store, repo)).get(ref.digest) ?? [];
    const result = await deleteRecord(store, repo, m, tags);
    if (result) return { digest: ref.digest, tags: tags.map((t) => t.tag) };
  }
  throw new Error(`could not delete ${JSON.stringify(ref)} from ${repo}: too much contention`);
}

async function deleteRecord(store: Store, repo: string, m: Versioned<ManifestRecord>, tags: readonly { tag: string; modRevision: number }[]): Promise<boolean> {
  return (await store.txn(deleteManifestTxn(repo, m, tags))).ok;
}

/**
 * The transaction that deletes a manifest with its tags and referrer entry, pinned to the
 * revisions they were read at (the lifecycle job decides on them without I/O).
 */
export function deleteManifestTxn(repo: string, m: Versioned<Pick<ManifestRecord, 'digest' | 'subject'>>, tags: readonly { tag: string; modRevision: number }[]): Txn {
  const digest = m.value.digest;
  const ops: Op[] = [{ type: 'delete', key: keys.manifest(repo, digest) }, ...tags.map((t) => ({ type: 'delete' as const, key: keys.tag(repo, t.tag) }))];
  if (m.value.subject) ops.push({ type: 'delete', key: keys.referrer(repo, m.value.subject, digest) });
  return {
    if: [{ key: keys.manifest(repo, digest), modRevision: m.modRevision }, ...tags.map((t) => ({ key: keys.tag(repo, t.tag), modRevision: t.modRevision }))],
    ops,
  };
}

/**
 * Answers a read or delete of a reference that is neither a tag nor a digest (see
 * lookupReference): NAME_UNKNOWN if the repository is missing too, else MANIFEST_UNKNOWN.
 */
export async function unknownReference(store: Store, repo: string, reference: string): Promise<never> {
  await requireRepo(store, repo);
  const shown = reference.slice(0, 200);
  throw oci('MANIFEST_UNKNOWN', `manifest ${JSON.stringify(shown)} is not in repository ${repo}: a reference is a tag (letters, digits, '_', '.' and '-', at most 128, not starting with '.' or '-') or a digest (sha256:<64 hex> or sha512:<128 hex>)`, { reference: shown });
}

function manifestUnknown(repo: string, ref: Reference) {
  const what = ref.kind === 'tag' ? `tag ${ref.tag}` : ref.digest;
  return oci('MANIFEST_UNKNOWN', `manifest ${what} is not in repository ${repo}`, ref.kind === 'tag' ? { tag: ref.tag } : { digest: ref.digest });
}
