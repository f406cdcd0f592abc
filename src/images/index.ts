/** Images on a host: references, the registry client, pushing, the layer and image stores. See README.md. */

export { parseReference, resolveReference, formatReference, manifestReference, isEcrHost, InvalidReferenceError, DEFAULT_TAG, DOCKER_HUB_HOSTS, OFFICIAL_NAMESPACE } from './reference.ts';
export type { ImageReference, ResolvedReference } from './reference.ts';
export { RegistryClient, registryBaseUrl, MANIFEST_ACCEPT } from './registry-client.ts';
export type { RegistryClientOptions, BlobProgress, BlobPushResult, FetchedManifest, ResolvedManifest } from './registry-client.ts';
export type { RegistryCredentials } from './registry-auth.ts';
export { RegistryClientError, ImageStoreError } from './errors.ts';
export { pushImage } from './push.ts';
export type { PushOptions, PushResult, BlobPushed } from './push.ts';
export { openImageFile, chooseImport, importImage } from './import.ts';
export { ImageStore } from './image-store.ts';
export type { ImageStoreOptions, PullOptions, GcReport } from './image-store.ts';
export { LayerStore } from './layer-store.ts';
export type { LayerInfo } from './layer-store.ts';
export type { LocalImage, RunConfig, ImageHealthcheck } from './local-image.ts';
export type { MountedRootfs } from './rootfs.ts';
export { resolveInRootfs } from './confined-path.ts';
export { ProgressPrinter } from './progress.ts';
