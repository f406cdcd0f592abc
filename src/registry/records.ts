/**
 * The JSON records the registry keeps in the store (layout in keys.ts). Times are epoch
 * milliseconds. The ECR API reads and writes the same records: an ECR repository is a
 * registry repository with more settings.
 */

export type TagMutability = 'MUTABLE' | 'IMMUTABLE' | 'IMMUTABLE_WITH_EXCLUSION' | 'MUTABLE_WITH_EXCLUSION';

export interface MutabilityExclusion {
  readonly filterType: 'WILDCARD';
  readonly filter: string;
}

export interface RepoRecord {
  readonly name: string;
  readonly createdAt: number;
  readonly imageTagMutability: TagMutability;
  readonly imageTagMutabilityExclusionFilters?: readonly MutabilityExclusion[];
  readonly imageScanningConfiguration: { readonly scanOnPush: boolean };
  readonly encryptionConfiguration: { readonly encryptionType: string; readonly kmsKey?: string };
  /** Resource tags (ECR's `{Key, Value}`). */
  readonly tags: readonly { readonly Key: string; readonly Value: string }[];
}

export interface ManifestRecord {
  readonly digest: string;
  readonly mediaType: string;
  /** Length of `body` in bytes. */
  readonly size: number;
  /** The manifest exactly as pushed (UTF-8 JSON; pushes whose bytes are not UTF-8 are refused). */
  readonly body: string;
  readonly pushedAt: number;
  /** Blobs it references (config and layers). */
  readonly blobs: readonly string[];
  /** Manifests it references (an index's children). */
  readonly children: readonly string[];
  readonly subject?: string;
  readonly artifactType?: string;
  readonly configMediaType?: string;
  /** ECR's imageSizeInBytes: config + layers; for an index, the sum over its children. */
  readonly imageSize: number;
  readonly annotations?: Readonly<Record<string, string>>;
}

export interface TagRecord {
  readonly digest: string;
  readonly updatedAt: number;
}

/** A blob is part of a repository once pushed or mounted into it. */
export interface BlobLink {
  readonly size: number;
  readonly linkedAt: number;
}

/** A descriptor of a manifest whose `subject` is another manifest (referrers API). */
export interface ReferrerRecord {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
  readonly artifactType?: string;
  readonly annotations?: Readonly<Record<string, string>>;
}

export interface UploadRecord {
  readonly id: string;
  readonly repo: string;
  readonly startedAt: number;
}

export function newRepoRecord(name: string, now: number, settings: Partial<Omit<RepoRecord, 'name' | 'createdAt'>> = {}): RepoRecord {
  return {
    name,
    createdAt: now,
    imageTagMutability: settings.imageTagMutability ?? 'MUTABLE',
    ...(settings.imageTagMutabilityExclusionFilters && { imageTagMutabilityExclusionFilters: settings.imageTagMutabilityExclusionFilters }),
    imageScanningConfiguration: settings.imageScanningConfiguration ?? { scanOnPush: false },
    encryptionConfiguration: settings.encryptionConfiguration ?? { encryptionType: 'AES256' },
    tags: settings.tags ?? [],
  };
}

/**
 * Whether a tag that exists may be moved to another manifest. `*_WITH_EXCLUSION`
 * inverts the rule for tags matching one of the wildcard filters (ECR semantics).
 */
export function tagIsImmutable(repo: RepoRecord, tag: string): boolean {
  const m = repo.imageTagMutability;
  if (m === 'MUTABLE') return false;
  if (m === 'IMMUTABLE') return true;
  const excluded = (repo.imageTagMutabilityExclusionFilters ?? []).some((f) => wildcard(f.filter).test(tag));
  return m === 'IMMUTABLE_WITH_EXCLUSION' ? !excluded : excluded;
}

/** A `*` wildcard pattern as a whole-string regular expression. */
export function wildcard(pattern: string): RegExp {
  return new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
}
