/**
 * Media types and document shapes of the OCI image spec v1.1, plus the Docker image
 * manifest v2 schema 2 types that registries and `docker save` still produce.
 * Only shapes live here: parsing and checking is in `documents.ts`.
 */

import type { Digest } from './digest.ts';

export const MediaType = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociLayerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  /** Layers that must not be pushed elsewhere (deprecated in v1.1, still read). */
  ociLayerNondistributable: 'application/vnd.oci.image.layer.nondistributable.v1.tar',
  ociLayerNondistributableGzip: 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
  ociLayerNondistributableZstd: 'application/vnd.oci.image.layer.nondistributable.v1.tar+zstd',
  /** The config of an artifact that has none (spec v1.1 "empty descriptor"). */
  ociEmpty: 'application/vnd.oci.empty.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  dockerForeignLayerGzip: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
} as const;

export type KnownMediaType = (typeof MediaType)[keyof typeof MediaType];

/** Annotation keys of the spec that Berth reads or writes. */
export const Annotation = {
  /** In an OCI layout's index.json: the tag (or full reference) of a manifest. */
  refName: 'org.opencontainers.image.ref.name',
  created: 'org.opencontainers.image.created',
  title: 'org.opencontainers.image.title',
} as const;

export type Compression = 'none' | 'gzip' | 'zstd';

const layerCompression: Readonly<Record<string, Compression>> = {
  [MediaType.ociLayer]: 'none',
  [MediaType.ociLayerGzip]: 'gzip',
  [MediaType.ociLayerZstd]: 'zstd',
  [MediaType.ociLayerNondistributable]: 'none',
  [MediaType.ociLayerNondistributableGzip]: 'gzip',
  [MediaType.ociLayerNondistributableZstd]: 'zstd',
  [MediaType.dockerLayerGzip]: 'gzip',
  [MediaType.dockerForeignLayerGzip]: 'gzip',
};

/** How a layer of this media type is compressed, or undefined if it is not a layer type. */
export function layerCompressionOf(mediaType: string): Compression | undefined {
  return layerCompression[mediaType];
}

export function isManifestType(mediaType: string): boolean {
  return mediaType === MediaType.ociManifest || mediaType === MediaType.dockerManifest;
}

export function isIndexType(mediaType: string): boolean {
  return mediaType === MediaType.ociIndex || mediaType === MediaType.dockerManifestList;
}

/** Where a platform-specific manifest runs (image-index.md, "platform"). */
export interface Platform {
  readonly architecture: string;
  readonly os: string;
  readonly 'os.version'?: string;
  readonly 'os.features'?: readonly string[];
  readonly variant?: string;
  readonly features?: readonly string[];
}

/** A pointer to content by digest (descriptor.md). */
export interface Descriptor {
  readonly mediaType: string;
  readonly digest: Digest;
  readonly size: number;
  readonly urls?: readonly string[];
  readonly annotations?: Readonly<Record<string, string>>;
  /** The content itself, base64, for small blobs. */
  readonly data?: string;
  readonly platform?: Platform;
  readonly artifactType?: string;
}

/** One image for one platform (manifest.md). Docker schema 2 has the same shape. */
export interface ImageManifest {
  readonly schemaVersion: 2;
  readonly mediaType?: string;
  readonly artifactType?: string;
  readonly config: Descriptor;
  readonly layers: readonly Descriptor[];
  readonly subject?: Descriptor;
  readonly annotations?: Readonly<Record<string, string>>;
}

/** A set of manifests, usually one per platform (image-index.md). Also a docker manifest list. */
export interface ImageIndex {
  readonly schemaVersion: 2;
  readonly mediaType?: string;
  readonly artifactType?: string;
  readonly manifests: readonly Descriptor[];
  readonly subject?: Descriptor;
  readonly annotations?: Readonly<Record<string, string>>;
}

/** How to run the image (config.md, "config"); Docker's names, which OCI kept. */
export interface ContainerConfig {
  readonly User?: string;
  /** Keys like "80/tcp"; values are always empty objects. */
  readonly ExposedPorts?: Readonly<Record<string, Record<string, never>>>;
  readonly Env?: readonly string[];
  readonly Entrypoint?: readonly string[] | null;
  readonly Cmd?: readonly string[] | null;
  readonly Volumes?: Readonly<Record<string, Record<string, never>>>;
  readonly WorkingDir?: string;
  readonly Labels?: Readonly<Record<string, string>>;
  readonly StopSignal?: string;
  readonly ArgsEscaped?: boolean;
}

export interface HistoryEntry {
  readonly created?: string;
  readonly created_by?: string;
  readonly author?: string;
  readonly comment?: string;
  readonly empty_layer?: boolean;
}

/** The image configuration (config.md). */
export interface ImageConfig {
  readonly created?: string;
  readonly author?: string;
  readonly architecture: string;
  readonly os: string;
  readonly 'os.version'?: string;
  readonly 'os.features'?: readonly string[];
  readonly variant?: string;
  readonly config?: ContainerConfig;
  readonly rootfs: {
    readonly type: 'layers';
    /** Digests of the uncompressed layer tars, in order. */
    readonly diff_ids: readonly Digest[];
  };
  readonly history?: readonly HistoryEntry[];
}

/** The `oci-layout` file at the root of an image layout. */
export interface OciLayoutFile {
  readonly imageLayoutVersion: '1.0.0';
}

/** The OCI architecture name of a Node.js `process.arch` value (config.md, Go's GOARCH). */
export function ociArchitecture(nodeArch: string): string {
  const names: Readonly<Record<string, string>> = { x64: 'amd64', ia32: '386', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64', loong64: 'loong64' };
  return names[nodeArch] ?? nodeArch;
}
