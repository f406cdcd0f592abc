/** Tag listing, the catalog and the referrers API. */

import type { ServerResponse } from 'node:http';
import { MediaType } from '../oci/media-types.ts';
import { listRepositories } from './catalog.ts';
import type { RegistryCore } from './core.ts';
import { nextLink, pageSizeParam, sendJson } from './http.ts';
import { checkDigest } from './names.ts';
import { listReferrers } from './referrers.ts';
import { requireRepo } from './repositories.ts';
import { listTags } from './tags.ts';

/**
 * Largest page of tags or repositories. A client asking for more (`n=1e12`) gets this
 * many and a Link to the rest, so no request can make the registry build a huge answer.
 */
export const MAX_PAGE = 1000;

export async function tagsRoute(core: RegistryCore, res: ServerResponse, name: string, query: URLSearchParams): Promise<void> {
  await requireRepo(core.store, name);
  const n = pageSizeParam(query.get('n'), MAX_PAGE, MAX_PAGE);
  const last = query.get('last') ?? undefined;
  const page = await listTags(core.store, name, n, last);
  const tail = page.items.at(-1);
  sendJson(res, 200, { name, tags: page.items }, page.more && tail ? { Link: nextLink(`/v2/${name}/tags/list`, n, tail) } : {});
}

export async function catalogRoute(core: RegistryCore, res: ServerResponse, query: URLSearchParams): Promise<void> {
  const n = pageSizeParam(query.get('n'), MAX_PAGE, MAX_PAGE);
  const page = await listRepositories(core.store, n, query.get('last') ?? undefined);
  const tail = page.items.at(-1);
  sendJson(res, 200, { repositories: page.items }, page.more && tail ? { Link: nextLink('/v2/_catalog', n, tail) } : {});
}

export async function referrersRoute(core: RegistryCore, res: ServerResponse, name: string, digestParam: string, query: URLSearchParams): Promise<void> {
  const subject = checkDigest(digestParam);
  // No requireRepo: the spec forbids a 404 here; a repository never pushed to has no referrers.
  const artifactType = query.get('artifactType') ?? undefined;
  const manifests = await listReferrers(core.store, name, subject, artifactType);
  sendJson(res, 200, { schemaVersion: 2, mediaType: MediaType.ociIndex, manifests }, {
    'Content-Type': MediaType.ociIndex,
    ...(artifactType !== undefined && { 'OCI-Filters-Applied': 'artifactType' }),
  });
}
