/**
 * Garbage collection: mark and sweep.
 *
 * Mark: every blob a stored manifest references (in any repository) is live.
 * Sweep: a blob on disk that is not live and was not written or touched within the
 * grace period is deleted, with its repository links; uploads idle longer than the
 * idle limit are deleted with their records.
 *
 * Safe against concurrent pushes: the sweep of each blob runs under the exclusive side
 * of the GcLock, and every push that relies on an existing blob touches it under the
 * shared side first (see src/lib/gc-lock.ts), so a blob in use is never old when swept.
 */

import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { RegistryCore } from './core.ts';
import { classifyDataKey, keys } from './keys.ts';
import type { ManifestRecord, UploadRecord } from './records.ts';
import { SCAN_PAGE } from './tags.ts';

/**
 * A blob younger than this is never collected: a client pushes layers before the
 * manifest naming them, and slow pushes of big images take minutes.
 */
export const BLOB_GRACE_MS = 60 * 60 * 1000;
/** An upload with no data for this long is abandoned (clients resume within minutes, if ever). */
export const UPLOAD_IDLE_MS = 24 * 60 * 60 * 1000;

export interface GcOptions {
  readonly blobGraceMs?: number;
  readonly uploadIdleMs?: number;
}

export interface GcReport {
  readonly blobsRemoved: number;
  readonly bytesFreed: number;
  readonly linksRemoved: number;
  readonly uploadsRemoved: number;
}

export async function collectGarbage(core: RegistryCore, options: GcOptions = {}): Promise<GcReport> {
  const now = core.now();
  const graceCutoff = now - (options.blobGraceMs ?? BLOB_GRACE_MS);
  const { live, links } = await mark(core);

  let blobsRemoved = 0;
  let bytesFreed = 0;
  let linksRemoved = 0;
  for await (const { digest, path } of core.blobs.list()) {
    if (live.has(digest)) continue;
    const before = await stat(path).catch(() => undefined);
    if (!before || before.mtimeMs >= graceCutoff) continue;
    await core.lock.exclusive(async () => {
      const s = await stat(path).catch(() => undefined);
      if (!s || s.mtimeMs >= graceCutoff) return;
      await rm(path, { force: true });
      blobsRemoved++;
      bytesFreed += s.size;
      // A link rewritten since the mark (a new upload of the same content) fails its condition and stays.
      for (const link of links.get(digest) ?? []) {
        const r = await core.store.txn({ if: [{ key: link.key, modRevision: link.modRevision }], ops: [{ type: 'delete', key: link.key }] });
        if (r.ok) linksRemoved++;
      }
    });
  }
  const uploadsRemoved = await sweepUploads(core, now - (options.uploadIdleMs ?? UPLOAD_IDLE_MS));
  const report = { blobsRemoved, bytesFreed, linksRemoved, uploadsRemoved };
  core.log(`registry gc: ${JSON.stringify(report)}`);
  return report;
}

async function mark(core: RegistryCore) {
  const live = new Set<string>();
  const links = new Map<string, { key: string; modRevision: number }[]>();
  let after: string | undefined;
  for (;;) {
    const page = await core.store.list(keys.allData(), { limit: SCAN_PAGE, ...(after !== undefined && { after }) });
    for (const kv of page.items) {
      after = kv.key;
      const k = classifyDataKey(kv.key);
      if (k?.kind === 'm') {
        for (const b of (JSON.parse(kv.value) as ManifestRecord).blobs) live.add(b);
      } else if (k?.kind === 'b') {
        const list = links.get(k.rest) ?? [];
        list.push({ key: kv.key, modRevision: kv.modRevision });
        links.set(k.rest, list);
      }
    }
    if (!page.more) return { live, links };
  }
}

async function sweepUploads(core: RegistryCore, idleCutoff: number): Promise<number> {
  let removed = 0;
  const onDisk = new Set(await readdir(core.blobs.uploadsDir).catch(() => [] as string[]));
  for (const file of onDisk) {
    if (core.uploads.active.has(file)) continue;
    const path = join(core.blobs.uploadsDir, file);
    const s = await stat(path).catch(() => undefined);
    if (!s || s.mtimeMs >= idleCutoff) continue;
    await rm(path, { force: true });
    await core.store.txn({ ops: [{ type: 'delete', key: keys.upload(file) }] });
    core.uploads.forget(file);
    removed++;
  }
  // Records whose file is gone (a crash between the two deletes) go too.
  let after: string | undefined;
  for (;;) {
    const page = await core.store.list(keys.uploads(), { limit: SCAN_PAGE, ...(after !== undefined && { after }) });
    for (const kv of page.items) {
      after = kv.key;
      const rec = JSON.parse(kv.value) as UploadRecord;
      if (!onDisk.has(rec.id) && rec.startedAt < idleCutoff) {
        await core.store.txn({ if: [{ key: kv.key, modRevision: kv.modRevision }], ops: [{ type: 'delete', key: kv.key }] });
      }
    }
    if (!page.more) return removed;
  }
}

