/**
 * What a task's containers need on disk before they start: their environment files (read
 * from S3, like ECS's task resources, before any image is pulled), their images, and each
 * container's root filesystem, mounted ahead of its start. A restarted agent, or a container
 * started again, reads them anew where they are missing.
 */
import type { ImageStore } from '../images/image-store.ts';
import type { LocalImage } from '../images/local-image.ts';
import type { RegistryCredentials } from '../images/registry-auth.ts';
import { EnvFilesError, resolveEnvironment, type S3ObjectReader } from './env-files.ts';
import { StartFailure } from './task-failure.ts';
import type { Slot } from './task-slot.ts';

export interface TaskFileDeps {
  images: ImageStore;
  credentialsFor(reference: string, taskArn?: string): Promise<RegistryCredentials | undefined>;
  envFiles: S3ObjectReader;
  now(): number;
}

/** Reads the slot's environment files (if it has any) into `slot.environment`. */
export async function loadEnvironment(slot: Slot, envFiles: S3ObjectReader): Promise<void> {
  const files = slot.spec.envFiles;
  if (!files?.length || slot.environment) return;
  try {
    slot.environment = await resolveEnvironment(slot.spec.env, files, envFiles);
  } catch (e) {
    if (e instanceof EnvFilesError) throw new StartFailure(e.message);
    throw e;
  }
}

/** The slot's image: the one it pulled, else the store's, else pulled now. */
export async function imageOf(slot: Slot, deps: TaskFileDeps, taskArn: string): Promise<LocalImage> {
  slot.image ??= deps.images.get(slot.spec.image) ?? await deps.images.pull(slot.spec.image, { credentials: await deps.credentialsFor(slot.spec.image, taskArn) });
  return slot.image;
}

/**
 * Every slot's environment files, image and root filesystem (at `rootfsOf(name)`); `pulls`
 * hears when the pulls begin and end (epoch seconds: the task's pullStartedAt and pullStoppedAt).
 */
export async function prepareFiles(slots: readonly Slot[], deps: TaskFileDeps, taskArn: string, rootfsOf: (name: string) => string, pulls: (edge: 'started' | 'stopped', at: number) => void): Promise<void> {
  await Promise.all(slots.map((slot) => loadEnvironment(slot, deps.envFiles)));
  pulls('started', deps.now() / 1000);
  for (const slot of slots) {
    slot.image = await deps.images.pull(slot.spec.image, { credentials: await deps.credentialsFor(slot.spec.image, taskArn) }).catch((e: Error) => {
      throw new StartFailure(`CannotPullContainerError: pull image ${slot.spec.image}: ${e.message}`, slot.spec.name);
    });
  }
  pulls('stopped', deps.now() / 1000);
  await Promise.all(slots.map(async (slot) => {
    slot.rootfs = await deps.images.mountRootfs(slot.image!, rootfsOf(slot.spec.name)).catch((e: Error) => {
      throw new StartFailure(`CannotStartContainerError: ${e.message}`, slot.spec.name);
    });
  }));
}
