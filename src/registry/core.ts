/**
 * The registry's parts as one value: what the HTTP handlers, garbage collection and the
 * ECR API share. Built once by `createRegistry`.
 */

import type { Store } from '../store/store.ts';
import type { RegistryAuth } from './auth.ts';
import type { BlobStore } from './blob-store.ts';
import type { GcLock } from '../lib/gc-lock.ts';
import type { Uploads } from './uploads.ts';

/** Told after a manifest push changed a repository (new manifest or moved tag). */
export type PushListener = (repo: string, digest: string) => void | Promise<void>;

export interface RegistryCore {
  readonly store: Store;
  readonly blobs: BlobStore;
  readonly uploads: Uploads;
  readonly lock: GcLock;
  readonly auth: RegistryAuth;
  readonly log: (line: string) => void;
  /** Epoch milliseconds; injectable for tests of time-dependent behaviour. */
  now(): number;
  onPush(listener: PushListener): void;
  notifyPush(repo: string, digest: string): void;
}

export function pushEvents(log: (line: string) => void): Pick<RegistryCore, 'onPush' | 'notifyPush'> {
  const listeners: PushListener[] = [];
  return {
    onPush: (listener) => void listeners.push(listener),
    notifyPush(repo, digest) {
      for (const l of listeners) {
        Promise.resolve()
          .then(() => l(repo, digest))
          .catch((err: unknown) => log(`push listener failed for ${repo}@${digest}: ${err instanceof Error ? err.message : String(err)}`));
      }
    },
  };
}
