import { fail } from '../../core/errors.ts';
import { decodeToken, encodeToken, pageSize } from '../../core/pagination.ts';
import { keys } from '../../registry/keys.ts';
import { newRepoRecord, type MutabilityExclusion, type RepoRecord, type TagMutability } from '../../registry/records.ts';
import { anyUnder, updateJson } from '../../store/json.ts';
import type { RequestContext } from '../aws/service.ts';
import { checkEcrRepositoryName, repositoryNotFound, repositoryView, requireEcrRepo, type EcrDeps } from './deps.ts';
import { checkTags, type EcrTag } from './tags.ts';

/** DescribeRepositories returns up to 100 repositories a page unless asked otherwise; at most 1000 (ECR API reference). */
const DEFAULT_PAGE = 100;
const MAX_PAGE = 1000;

interface CreateRepositoryInput {
  repositoryName: string;
  tags?: EcrTag[];
  imageTagMutability?: TagMutability;
  imageTagMutabilityExclusionFilters?: MutabilityExclusion[];
  imageScanningConfiguration?: { scanOnPush?: boolean };
  encryptionConfiguration?: { encryptionType: string; kmsKey?: string };
}

export function repositoryOperations(deps: EcrDeps) {
  const { store } = deps;
  return {
    async CreateRepository(input: CreateRepositoryInput, ctx: RequestContext) {
      const name = checkEcrRepositoryName(input.repositoryName);
      const tags = input.tags ?? [];
      checkTags(tags);
      checkMutability(input.imageTagMutability, input.imageTagMutabilityExclusionFilters);
      const enc = input.encryptionConfiguration;
      if (enc && enc.encryptionType === 'AES256' && enc.kmsKey) fail('InvalidParameterException', 'A kmsKey can only be given with encryptionType KMS or KMS_DSSE.');
      const record = newRepoRecord(name, ctx.now, {
        imageTagMutability: input.imageTagMutability ?? 'MUTABLE',
        ...(input.imageTagMutabilityExclusionFilters && { imageTagMutabilityExclusionFilters: input.imageTagMutabilityExclusionFilters }),
        imageScanningConfiguration: { scanOnPush: input.imageScanningConfiguration?.scanOnPush ?? false },
        encryptionConfiguration: enc ? { encryptionType: enc.encryptionType, ...(enc.kmsKey && { kmsKey: enc.kmsKey }) } : { encryptionType: 'AES256' },
        tags,
      });
      const r = await store.txn({ if: [{ key: keys.repo(name), modRevision: 0 }], ops: [{ type: 'put', key: keys.repo(name), value: JSON.stringify(record) }] });
      if (!r.ok) fail('RepositoryAlreadyExistsException', `The repository with name '${name}' already exists in the registry with id '${ctx.accountId}'.`);
      return { repository: repositoryView(ctx, record) };
    },

    async DescribeRepositories(input: { repositoryNames?: string[]; nextToken?: string; maxResults?: number }, ctx: RequestContext) {
      if (input.repositoryNames?.length) {
        if (input.nextToken !== undefined || input.maxResults !== undefined) {
          fail('InvalidParameterException', 'maxResults and nextToken cannot be used together with repositoryNames: list the names, or page through all repositories.');
        }
        const repositories = [];
        for (const name of input.repositoryNames) repositories.push(repositoryView(ctx, (await requireEcrRepo(deps, ctx, name)).value));
        return { repositories };
      }
      const prefix = keys.repos();
      const limit = pageSize(input.maxResults, MAX_PAGE, DEFAULT_PAGE);
      const after = decodeToken(input.nextToken, prefix);
      const page = await store.list(prefix, { limit, ...(after !== undefined && { after }) });
      const repositories = page.items.map((kv) => repositoryView(ctx, JSON.parse(kv.value) as RepoRecord));
      const last = page.items.at(-1);
      return { repositories, ...(page.more && last && { nextToken: encodeToken(last.key) }) };
    },

    async DeleteRepository(input: { repositoryName: string; force?: boolean }, ctx: RequestContext) {
      const name = input.repositoryName;
      for (;;) {
        const repo = await requireEcrRepo(deps, ctx, name);
        if (!input.force && (await anyUnder(store, keys.manifests(name)))) {
          fail('RepositoryNotEmptyException', `The repository with name '${name}' in registry with id '${ctx.accountId}' cannot be deleted because it still contains images. Delete the images first, or pass --force to delete them with it.`);
        }
        const r = await store.txn({
          if: [{ key: keys.repo(name), modRevision: repo.modRevision }],
          ops: [{ type: 'delete', key: keys.repo(name) }, { type: 'deletePrefix', prefix: keys.repoData(name) }],
        });
        if (r.ok) return { repository: repositoryView(ctx, repo.value) };
      }
    },

    async PutImageTagMutability(input: { repositoryName: string; imageTagMutability: TagMutability; imageTagMutabilityExclusionFilters?: MutabilityExclusion[] }, ctx: RequestContext) {
      checkMutability(input.imageTagMutability, input.imageTagMutabilityExclusionFilters);
      const updated = await update(ctx, input.repositoryName, (r) => {
        const { imageTagMutabilityExclusionFilters: _old, ...rest } = r;
        return { ...rest, imageTagMutability: input.imageTagMutability, ...(input.imageTagMutabilityExclusionFilters && { imageTagMutabilityExclusionFilters: input.imageTagMutabilityExclusionFilters }) };
      });
      return {
        registryId: ctx.accountId,
        repositoryName: updated.name,
        imageTagMutability: updated.imageTagMutability,
        ...(updated.imageTagMutabilityExclusionFilters && { imageTagMutabilityExclusionFilters: updated.imageTagMutabilityExclusionFilters }),
      };
    },

    async PutImageScanningConfiguration(input: { repositoryName: string; imageScanningConfiguration: { scanOnPush?: boolean } }, ctx: RequestContext) {
      const updated = await update(ctx, input.repositoryName, (r) => ({ ...r, imageScanningConfiguration: { scanOnPush: input.imageScanningConfiguration.scanOnPush ?? false } }));
      return { registryId: ctx.accountId, repositoryName: updated.name, imageScanningConfiguration: updated.imageScanningConfiguration };
    },
  };

  async function update(ctx: RequestContext, name: string, change: (r: RepoRecord) => RepoRecord): Promise<RepoRecord> {
    checkEcrRepositoryName(name);
    const updated = await updateJson<RepoRecord>(store, keys.repo(name), change);
    if (!updated) repositoryNotFound(ctx, name);
    return updated;
  }
}

function checkMutability(mutability: TagMutability | undefined, filters: MutabilityExclusion[] | undefined): void {
  const withExclusion = mutability === 'IMMUTABLE_WITH_EXCLUSION' || mutability === 'MUTABLE_WITH_EXCLUSION';
  if (withExclusion && !filters?.length) fail('InvalidParameterException', `imageTagMutability ${mutability} needs imageTagMutabilityExclusionFilters (1 to 5 wildcard filters).`);
  if (!withExclusion && filters?.length) fail('InvalidParameterException', 'imageTagMutabilityExclusionFilters can only be given with IMMUTABLE_WITH_EXCLUSION or MUTABLE_WITH_EXCLUSION.');
  for (const f of filters ?? []) {
    if (!/^[0-9a-zA-Z._*-]{1,128}$/.test(f.filter)) fail('InvalidParameterException', `Exclusion filter '${f.filter}' may only contain letters, digits, '.', '_', '-' and '*' (1 to 128 characters).`);
  }
}

