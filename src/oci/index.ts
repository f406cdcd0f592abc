/** The OCI image library: what the registry, the runtime and `berth image` use. */

export { MediaType, Annotation, layerCompressionOf, isManifestType, isIndexType, ociArchitecture } from './media-types.ts';
export type { Compression, Descriptor, ImageConfig, ImageIndex, ImageManifest, ContainerConfig, HistoryEntry, Platform } from './media-types.ts';
export { parseDigest, toDigest, isDigest, digestOf, digestStream, verifyDigest, DigestingStream } from './digest.ts';
export type { Digest, DigestAlgorithm, ParsedDigest } from './digest.ts';
export { InvalidDigestError, DigestMismatchError, TarFormatError, UnsafeLayerError, ImageFormatError } from './errors.ts';
export { parseDocument, parseManifest, parseIndex, parseImageConfig, parseDescriptor, MAX_DOCUMENT_SIZE } from './documents.ts';
export { writeTar, tarStream, tarBuffer } from './tar-writer.ts';
export type { TarEntryInput, TarWriterOptions } from './tar-writer.ts';
export { readTar } from './tar-reader.ts';
export type { TarEntry, TarReaderOptions } from './tar-reader.ts';
export type { EntryType } from './tar-header.ts';
export { detectCompression, decompress, compress } from './compression.ts';
export { applyLayer } from './layer-apply.ts';
export type { ApplyLayerOptions, ApplyLayerResult } from './layer-apply.ts';
export { openLayout, LayoutWriter, blobPath } from './layout.ts';
export type { WrittenBlob } from './layout.ts';
export { writeLayer, writeImage } from './image-writer.ts';
export type { LayerBlob, LayerOptions, ImageSpec, WrittenImage } from './image-writer.ts';
export { openImageArchive } from './image-archive.ts';
export type { ImageArchive, ImageArchiveFormat, ImageArchiveOptions } from './image-archive.ts';
export { resolveImage, readBlob, listBlobs, verifyImage, hostPlatform } from './image-source.ts';
export type { ImageSource, ImageRef, BlobReader, ResolvedImage } from './image-source.ts';
