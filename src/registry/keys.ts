/**
 * Where the registry keeps its metadata in the store. One module owns the layout so
 * that every reader and writer agrees on it (and the ECR API reads the same records).
 *
 *   /registry/repos/<name>                         RepoRecord (catalog: list this prefix)
 *   /registry/data/<name>@/m/<digest>              ManifestRecord (with the exact bytes)
 *   /registry/data/<name>@/t/<tag>                 TagRecord → digest
 *   /registry/data/<name>@/b/<digest>              BlobLink: the blob is in this repo
 *   /registry/data/<name>@/r/<subject>/<digest>    ReferrerRecord (a manifest naming <subject>)
 *   /registry/data/<name>@/lifecycle               LifecyclePolicyRecord (ECR)
 *   /registry/data/<name>@/lifecycle-preview       LifecyclePreviewRecord (ECR)
 *   /registry/uploads/<uuid>                       UploadRecord
 *
 * Names contain '/', so a repo's own keys end its name with '@', which no name can
 * contain: the prefix of `a` never matches the keys of `a/b` or `a.b`.
 */

const REPOS = '/registry/repos/';
const DATA = '/registry/data/';
const UPLOADS = '/registry/uploads/';

const data = (name: string) => `${DATA}${name}@/`;

export const keys = {
  repos: () => REPOS,
  repo: (name: string) => REPOS + name,
  /** Everything a repository holds (deleted with it). */
  repoData: data,
  /** Every repository's data, for garbage collection's mark phase. */
  allData: () => DATA,
  manifests: (name: string) => `${data(name)}m/`,
  manifest: (name: string, digest: string) => `${data(name)}m/${digest}`,
  tags: (name: string) => `${data(name)}t/`,
  tag: (name: string, tag: string) => `${data(name)}t/${tag}`,
  links: (name: string) => `${data(name)}b/`,
  link: (name: string, digest: string) => `${data(name)}b/${digest}`,
  referrers: (name: string, subject: string) => `${data(name)}r/${subject}/`,
  referrer: (name: string, subject: string, digest: string) => `${data(name)}r/${subject}/${digest}`,
  lifecycle: (name: string) => `${data(name)}lifecycle`,
  lifecyclePreview: (name: string) => `${data(name)}lifecycle-preview`,
  uploads: () => UPLOADS,
  upload: (id: string) => UPLOADS + id,
};

/** What kind of record a key under {@link keys.allData} is, and of which repository. */
export function classifyDataKey(key: string): { repo: string; kind: 'm' | 't' | 'b' | 'r' | 'other'; rest: string } | undefined {
  if (!key.startsWith(DATA)) return undefined;
  const at = key.indexOf('@/', DATA.length);
  if (at < 0) return undefined;
  const repo = key.slice(DATA.length, at);
  const tail = key.slice(at + 2);
  const kind = tail[1] === '/' && 'mtbr'.includes(tail[0] ?? '') ? (tail[0] as 'm' | 't' | 'b' | 'r') : 'other';
  return { repo, kind, rest: kind === 'other' ? tail : tail.slice(2) };
}
