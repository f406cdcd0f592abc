import { ApiError, fail } from '../../core/errors.ts';
import type { RegistryCore } from '../../registry/core.ts';
import { RegistryError } from '../../registry/errors.ts';
import { getRepo } from '../../registry/repositories.ts';
import type { RepoRecord } from '../../registry/records.ts';
import type { TokenAuthority } from '../../registry/tokens.ts';
import type { Versioned } from '../../store/json.ts';
import type { Store } from '../../store/store.ts';
import type { RequestContext } from '../aws/service.ts';

/** What the ECR operation modules need from the server. */
export interface EcrDeps {
  readonly store: Store;
  /** The registry the repositories live in (the same records /v2/ serves). */
  readonly registry: RegistryCore;
  readonly tokens: TokenAuthority;
  readonly log?: (line: string) => void;
}

/** ECR repository names: 2 to 256 characters, lowercase path components (ECR API reference). */
const ECR_NAME = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$/;
const MIN_NAME = 2;
const MAX_NAME = 256;

export function checkEcrRepositoryName(name: string): string {
  if (name.length < MIN_NAME || name.length > MAX_NAME || !ECR_NAME.test(name)) {
    fail('InvalidParameterException', `Invalid parameter at 'repositoryName' failed to satisfy constraint: the name '${name.slice(0, 300)}' must be ${MIN_NAME} to ${MAX_NAME} characters of lowercase letters, digits and '/', with '.', '_' or '-' only between letters or digits (for example 'team/my-app').`);
  }
  return name;
}

/** Wire timestamps of AWS JSON protocols are epoch seconds. */
export function seconds(ms: number): number {
  return ms / 1000;
}

export function repositoryArn(ctx: RequestContext, name: string): string {
  return `arn:aws:ecr:${ctx.region}:${ctx.accountId}:repository/${name}`;
}

export function repositoryNotFound(ctx: RequestContext, name: string): never {
  fail('RepositoryNotFoundException', `The repository with name '${name}' does not exist in the registry with id '${ctx.accountId}'. Create it with 'aws ecr create-repository --repository-name ${name}'.`);
}

export async function requireEcrRepo(deps: EcrDeps, ctx: RequestContext, name: string): Promise<Versioned<RepoRecord>> {
  checkEcrRepositoryName(name);
  const repo = await getRepo(deps.store, name);
  if (!repo) repositoryNotFound(ctx, name);
  return repo;
}

/** The ECR shape of a repository. */
export function repositoryView(ctx: RequestContext, r: RepoRecord) {
  return {
    repositoryArn: repositoryArn(ctx, r.name),
    registryId: ctx.accountId,
    repositoryName: r.name,
    repositoryUri: `${ctx.host}/${r.name}`,
    createdAt: seconds(r.createdAt),
    imageTagMutability: r.imageTagMutability,
    ...(r.imageTagMutabilityExclusionFilters && { imageTagMutabilityExclusionFilters: r.imageTagMutabilityExclusionFilters }),
    imageScanningConfiguration: r.imageScanningConfiguration,
    encryptionConfiguration: r.encryptionConfiguration,
  };
}

/**
 * A registry error met inside an ECR operation, as the ECR exception a client of the
 * ECR API expects. Errors that are not the registry's pass through.
 */
export function asEcrError(err: unknown): unknown {
  if (!(err instanceof RegistryError)) return err;
  switch (err.code) {
    case 'MANIFEST_BLOB_UNKNOWN':
      return new ApiError('LayersNotFoundException', `${err.message}.`);
    case 'TAG_INVALID':
      return (err.detail as { immutable?: boolean } | undefined)?.immutable ? new ApiError('ImageTagAlreadyExistsException', err.message) : new ApiError('InvalidParameterException', `${err.message}.`);
    case 'DIGEST_INVALID':
      return new ApiError('ImageDigestDoesNotMatchException', `${err.message}.`);
    case 'NAME_UNKNOWN':
      return new ApiError('RepositoryNotFoundException', `${err.message}.`);
    case 'MANIFEST_UNKNOWN':
      return new ApiError('ImageNotFoundException', `${err.message}.`);
    default:
      return new ApiError('InvalidParameterException', `${err.message}.`);
  }
}

/** Runs `fn`, turning registry errors into ECR exceptions. */
export async function ecr<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw asEcrError(err);
  }
}
