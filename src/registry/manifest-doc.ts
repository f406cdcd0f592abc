/**
 * What the registry needs to know about a pushed manifest, worked out from its bytes and
 * Content-Type alone (no I/O): its digest and media type, the blobs and manifests it
 * references, its subject and artifact type. Anything malformed is MANIFEST_INVALID.
 */

import { digestOf, type Digest, type DigestAlgorithm } from '../oci/digest.ts';
import { parseDocument } from '../oci/documents.ts';
import { MediaType } from '../oci/media-types.ts';
import { oci } from './errors.ts';

/**
 * Largest manifest accepted: registries must take at least 4 MiB (spec "Pushing
 * manifests"), and ECR's imageManifest is at most 4,194,304 characters.
 */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

/** The manifest media types a registry stores (OCI image spec v1.1 + Docker schema 2). */
export const MANIFEST_MEDIA_TYPES: readonly string[] = [MediaType.ociManifest, MediaType.ociIndex, MediaType.dockerManifest, MediaType.dockerManifestList];

/** Layers that live elsewhere (`urls`) and are never pushed: Windows foreign layers. */
const FOREIGN_LAYER_TYPES: readonly string[] = [MediaType.dockerForeignLayerGzip, MediaType.ociLayerNondistributable, MediaType.ociLayerNondistributableGzip, MediaType.ociLayerNondistributableZstd];

export interface AnalyzedManifest {
  readonly digest: Digest;
  readonly mediaType: string;
  readonly text: string;
  readonly size: number;
  readonly kind: 'manifest' | 'index';
  readonly blobs: readonly Digest[];
  readonly children: readonly Digest[];
  readonly subject?: Digest;
  readonly artifactType?: string;
  readonly configMediaType?: string;
  /** config + layers for an image manifest; 0 for an index (its children are summed later). */
  readonly ownImageSize: number;
  readonly annotations?: Readonly<Record<string, string>>;
}

/** The media type of a Content-Type header, without parameters, lowercased; undefined if absent. */
export function baseMediaType(contentType: string | undefined): string | undefined {
  const t = contentType?.split(';')[0]?.trim().toLowerCase();
  return t ? t : undefined;
}

export function analyzeManifest(bytes: Buffer, contentType: string | undefined, algorithm: DigestAlgorithm = 'sha256'): AnalyzedManifest {
  if (bytes.length > MAX_MANIFEST_BYTES) {
    throw oci('SIZE_INVALID', `the manifest is ${bytes.length} bytes; at most ${MAX_MANIFEST_BYTES} are accepted`, { max: MAX_MANIFEST_BYTES }, 413);
  }
  const text = bytes.toString('utf8');
  if (!Buffer.from(text, 'utf8').equals(bytes)) throw oci('MANIFEST_INVALID', 'the manifest is not valid UTF-8 JSON');
  let doc;
  try {
    doc = parseDocument(text, 'manifest');
  } catch (e) {
    throw oci('MANIFEST_INVALID', `manifest invalid: ${(e as Error).message}`);
  }
  const body = doc.kind === 'manifest' ? doc.manifest : doc.index;
  const declared = body.mediaType;
  const header = baseMediaType(contentType);
  const headerIsManifestType = header !== undefined && MANIFEST_MEDIA_TYPES.includes(header);
  if (declared !== undefined && headerIsManifestType && header !== declared) {
    throw oci('MANIFEST_INVALID', `the Content-Type ${header} does not match the manifest's mediaType ${declared}: send the manifest with Content-Type ${declared}`, { contentType: header, mediaType: declared });
  }
  const mediaType = declared ?? (headerIsManifestType ? header : undefined);
  if (mediaType === undefined) {
    throw oci('MANIFEST_INVALID', `the manifest has no mediaType field and the Content-Type ${header ?? '(none)'} is not a manifest type: use one of ${MANIFEST_MEDIA_TYPES.join(', ')}`);
  }
  const isIndexType = mediaType === MediaType.ociIndex || mediaType === MediaType.dockerManifestList;
  if (isIndexType !== (doc.kind === 'index')) {
    throw oci('MANIFEST_INVALID', `the document is ${doc.kind === 'index' ? 'an index' : 'an image manifest'} but was sent as ${mediaType}`);
  }
  const common = {
    digest: digestOf(bytes, algorithm),
    mediaType,
    text,
    size: bytes.length,
    ...(body.subject && { subject: body.subject.digest }),
    ...(body.annotations && { annotations: body.annotations }),
  };
  if (doc.kind === 'index') {
    return { ...common, kind: 'index', blobs: [], children: doc.index.manifests.map((m) => m.digest), ...(body.artifactType && { artifactType: body.artifactType }), ownImageSize: 0 };
  }
  const m = doc.manifest;
  const layers = m.layers.filter((l) => !(FOREIGN_LAYER_TYPES.includes(l.mediaType) && l.urls?.length));
  return {
    ...common,
    kind: 'manifest',
    blobs: [...new Set([m.config.digest, ...layers.map((l) => l.digest)])],
    children: [],
    // The referrers API reports an image manifest's artifactType, else its config's media type.
    artifactType: m.artifactType ?? m.config.mediaType,
    configMediaType: m.config.mediaType,
    ownImageSize: m.config.size + m.layers.reduce((sum, l) => sum + l.size, 0),
  };
}
