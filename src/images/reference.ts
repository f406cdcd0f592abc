/**
 * Image references as Docker and ECS users write them (`nginx`, `nginx:1.25`,
 * `busybox@sha256:…`, `localhost:5000/team/app:v1`,
 * `123456789012.dkr.ecr.us-east-1.amazonaws.com/app:tag`), parsed strictly with the
 * grammar of the distribution spec and Docker's reference package, and resolved to the
 * registry Berth pulls them from. Pure: no I/O.
 *
 * Resolution policy (README.md, "Where images come from"): no host, or a Docker Hub
 * host, means Berth's own registry as a local mirror of Docker Hub (one-component names
 * go under `library/`); an ECR host means Berth's registry with the repository as is;
 * any other host is pulled from as written.
 */

import { isDigest, type Digest } from '../oci/digest.ts';

export interface ImageReference {
  /** `host[:port]`, lowercased, when the reference names one. */
  readonly registry: string | undefined;
  /** Slash-separated lowercase path components, e.g. `library/nginx`. */
  readonly repository: string;
  /** The tag; `latest` when neither a tag nor a digest was written. */
  readonly tag: string | undefined;
  readonly digest: Digest | undefined;
}

/** Where a reference is pulled from, once Berth's policy is applied. */
export interface ResolvedReference {
  /** `host[:port]` of the registry to talk to. */
  readonly registry: string;
  readonly repository: string;
  readonly tag: string | undefined;
  readonly digest: Digest | undefined;
  /** True when `registry` is Berth's own. */
  readonly berth: boolean;
  /** Why a reference was sent to Berth's registry: written for Docker Hub, for ECR, or for Berth itself. */
  readonly mirrorOf: 'docker-hub' | 'ecr' | 'berth' | undefined;
}

/** Thrown for a reference that does not follow the grammar; the message says how to write it. */
export class InvalidReferenceError extends Error {
  constructor(reference: string, why: string) {
    super(`invalid image reference ${JSON.stringify(reference.length > 300 ? `${reference.slice(0, 300)}…` : reference)}: ${why}`);
    this.name = 'InvalidReferenceError';
  }
}

/** The tag Docker and ECS assume when none is written. */
export const DEFAULT_TAG = 'latest';
/** Docker Hub's names for itself: references to them resolve to Berth's mirror. */
export const DOCKER_HUB_HOSTS: readonly string[] = ['docker.io', 'registry-1.docker.io', 'index.docker.io'];
/** Docker Hub's namespace for official images: `nginx` is `library/nginx`. */
export const OFFICIAL_NAMESPACE = 'library';
/** Host plus repository, as Docker's reference package caps it (NameTotalLengthMax). */
export const MAX_NAME_LENGTH = 255;
/** Longest reference looked at: a 255-character name, a 128-character tag and a sha512 digest fit with room. */
const MAX_REFERENCE_LENGTH = 1024;

/** A path component: lowercase alphanumerics joined by `.`, `_`, `__` or runs of `-` (distribution spec). */
const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
/** Tag grammar from the distribution spec. */
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
/** A DNS label (letters, digits, inner hyphens); hosts are compared lowercased. */
const HOST_LABEL = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;
const IPV6_HOST = /^\[[0-9a-f:.]+\]$/;
/** ECR's registry host, `<account>.dkr.ecr[-fips].<region>.amazonaws.com[.cn]` (ECR user guide, "Registry concepts"). */
const ECR_HOST = /^\d{12}\.dkr\.ecr(?:-fips)?\.[a-z]{2}(?:-[a-z]+)+-\d\.amazonaws\.com(?:\.cn)?$/;

/** Parses a reference; throws {@link InvalidReferenceError}. */
export function parseReference(text: string): ImageReference {
  if (typeof text !== 'string' || text === '') throw new InvalidReferenceError(String(text), 'it is empty; write a name such as nginx or nginx:1.25');
  if (text.length > MAX_REFERENCE_LENGTH) throw new InvalidReferenceError(text, `it is longer than ${MAX_REFERENCE_LENGTH} characters`);
  if (/[\s\x00-\x1f\x7f]/.test(text)) throw new InvalidReferenceError(text, 'it contains whitespace or control characters');
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) throw new InvalidReferenceError(text, 'write host/repository without a URL scheme, e.g. localhost:5000/app');

  let rest = text;
  let digest: Digest | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    const d = rest.slice(at + 1);
    if (!isDigest(d)) throw new InvalidReferenceError(text, 'the part after @ must be a digest: sha256: and 64 lowercase hex characters');
    digest = d;
    rest = rest.slice(0, at);
  }

  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw new InvalidReferenceError(text, `tag ${JSON.stringify(tag)} is not valid: 1 to 128 letters, digits, '_', '.' or '-', not starting with '.' or '-'`);
  }

  let registry: string | undefined;
  const slash = rest.indexOf('/');
  const first = slash < 0 ? undefined : rest.slice(0, slash);
  // Docker's rule: the first component is a host when it has a '.' or ':' or is localhost
  // ('.' and '..' are path components, refused below, never hosts).
  const isHost = first !== undefined && first !== '.' && first !== '..' && (first.includes('.') || first.includes(':') || first === 'localhost');
  if (first !== undefined && isHost) {
    registry = checkHost(text, first);
    rest = rest.slice(slash + 1);
  }
  const repository = checkRepository(text, rest);
  if ((registry === undefined ? 0 : registry.length + 1) + repository.length > MAX_NAME_LENGTH) {
    throw new InvalidReferenceError(text, `the name is longer than ${MAX_NAME_LENGTH} characters`);
  }
  return { registry, repository, tag: tag ?? (digest === undefined ? DEFAULT_TAG : undefined), digest };
}

function checkHost(text: string, hostPort: string): string {
  const lower = hostPort.toLowerCase();
  const m = /^(\[[^\]]*\]|[^:]*)(?::(\d{1,5}))?$/.exec(lower);
  if (!m) throw new InvalidReferenceError(text, `registry ${JSON.stringify(hostPort)} is not host or host:port`);
  const host = m[1] as string;
  const port = m[2];
  if (port !== undefined && (Number(port) < 1 || Number(port) > 65535)) throw new InvalidReferenceError(text, `port ${port} is not from 1 to 65535`);
  const validHost = IPV6_HOST.test(host) || (host.split('.').every((label) => HOST_LABEL.test(label)) && host.length <= 253);
  if (!validHost) throw new InvalidReferenceError(text, `registry host ${JSON.stringify(host)} is not a valid host name or address`);
  return lower;
}

function checkRepository(text: string, repository: string): string {
  if (repository === '') throw new InvalidReferenceError(text, 'it names no repository');
  const parts = repository.split('/');
  for (const part of parts) {
    if (part === '') throw new InvalidReferenceError(text, 'the repository has an empty path component (a leading, trailing or double /)');
    if (part === '.' || part === '..') throw new InvalidReferenceError(text, `the repository may not have a "${part}" component`);
    if (!COMPONENT.test(part)) {
      if (COMPONENT.test(part.toLowerCase())) throw new InvalidReferenceError(text, `repository names are lowercase: write ${JSON.stringify(repository.toLowerCase())}`);
      throw new InvalidReferenceError(text, `repository component ${JSON.stringify(part)} is not valid: lowercase letters and digits, joined by '.', '_', '__' or '-'`);
    }
  }
  return repository;
}

/** True for ECR registry hosts such as `123456789012.dkr.ecr.us-east-1.amazonaws.com`. */
export function isEcrHost(host: string): boolean {
  return ECR_HOST.test(host.toLowerCase());
}

/**
 * Applies Berth's resolution policy. `berthRegistry` is Berth's own `host:port` (the
 * endpoint's host, e.g. `127.0.0.1:8700`).
 */
export function resolveReference(ref: ImageReference | string, berthRegistry: string): ResolvedReference {
  const r = typeof ref === 'string' ? parseReference(ref) : ref;
  const own = berthRegistry.toLowerCase();
  const local = (repository: string, mirrorOf: ResolvedReference['mirrorOf']): ResolvedReference => ({
    registry: own, repository, tag: r.tag, digest: r.digest, berth: true, mirrorOf,
  });
  if (r.registry === undefined || DOCKER_HUB_HOSTS.includes(r.registry)) {
    return local(r.repository.includes('/') ? r.repository : `${OFFICIAL_NAMESPACE}/${r.repository}`, 'docker-hub');
  }
  if (isEcrHost(r.registry)) return local(r.repository, 'ecr');
  if (r.registry === own) return local(r.repository, 'berth');
  return { registry: r.registry, repository: r.repository, tag: r.tag, digest: r.digest, berth: false, mirrorOf: undefined };
}

/** `host/repository:tag@digest`, leaving out what is undefined. */
export function formatReference(ref: { readonly registry?: string | undefined; readonly repository: string; readonly tag?: string | undefined; readonly digest?: string | undefined }): string {
  return `${ref.registry === undefined ? '' : `${ref.registry}/`}${ref.repository}${ref.tag === undefined ? '' : `:${ref.tag}`}${ref.digest === undefined ? '' : `@${ref.digest}`}`;
}

/** What to ask the registry for: the digest when there is one (it pins the content), else the tag. */
export function manifestReference(ref: { readonly tag?: string | undefined; readonly digest?: string | undefined }): string {
  return ref.digest ?? ref.tag ?? DEFAULT_TAG;
}
