/**
 * Blob files read and written past the page cache (O_DIRECT), and the aligned memory
 * that takes.
 *
 * Why: on this kind of machine (a VM whose free memory the host reclaims) filling fresh
 * page-cache pages is the dearest thing a registry does with a blob. Measured with dd,
 * 200 MB in 1 MiB blocks: written through the page cache and fsync'd, 80–450 ms of system
 * time, written directly 40 ms; read cold through the page cache 410–450 ms, directly
 * 10 ms (warm, 40 ms). In a CPU profile of `berth up` during skopeo pushes the kernel's
 * copy into page-cache pages was 35% of the server's time, more than SHA-256 and the
 * garbage collector together. Writers use this for every blob (blob-file-writer.ts),
 * GETs for blobs of a block or more (blob-store.ts `openRead`).
 *
 * Reads past the page cache too, every time: a read through it would have to fill it
 * first, since writes bypass it. With reads admitted to the page cache on a blob's second
 * GET (tried: 2026-12-05), that second pull of a 200 MB image cost the server 310 ms of
 * CPU against 110 ms for the first and 130–140 ms warm; read directly, every pull costs
 * 100–120 ms, less than the reference registry's warm reads (130–180 ms). What the page
 * cache would still save is disk bandwidth, which matters on slow disks (below).
 *
 * O_DIRECT wants every file offset, length and buffer address aligned to the device's
 * logical block size. A filesystem that refuses it at open (EINVAL: tmpfs before Linux
 * 6.6, some FUSE filesystems) is remembered, and everything goes through the page cache
 * after. One that took it at open and then refused an aligned transfer would fail that
 * push or pull with EINVAL; BERTH_REGISTRY_PAGE_CACHE=1 is the way round it.
 *
 * The trade: every pull of a blob comes from the disk, not from memory. On a disk slower
 * than the network (a cloud volume at 125 MB/s, say, with many hosts pulling one image)
 * that is slower; BERTH_REGISTRY_PAGE_CACHE=1 in berth up's environment sends everything
 * through the page cache instead.
 */

import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';

/** 512 on most disks, 4096 on some: 4096 covers both. */
export const DIRECT_ALIGNMENT = 4096;
/**
 * Bytes per file read or write of a blob (a staging block, or a writev batch through the
 * page cache), and per socket write of a GET. A transfer holds two: one in I/O while the
 * other fills or drains. Measured serving four 50 MB blobs at once on loopback (server
 * CPU per 200 MB): 256 KiB 116 ms, 1 MiB 93–102 ms, 4 MiB 117 ms; 4 MiB staging blocks
 * pulled no faster with skopeo (bench/README.md, registry-bench).
 */
export const BLOCK_BYTES = 1024 * 1024;
/** Staging blocks are allocated this many at a time (one WebAssembly memory each). */
const SLAB_BLOCKS = 4;
/** At most 16 slabs, 64 MiB: 32 transfers past the page cache at once; more go through it. */
const MAX_SLABS = 16;

export type StagingPair = [Buffer, Buffer];

let refused = false;

/** A file opened past the page cache, and the two staging blocks its reads or writes go through. */
export interface DirectFile {
  readonly handle: FileHandle;
  readonly staging: StagingPair;
}

/**
 * Opens `path` with O_DIRECT added to `flags` (numeric open flags), with two staging
 * blocks. Undefined when that cannot be: every block is taken, or the filesystem refuses
 * O_DIRECT (then nothing was opened: do not pass O_CREAT, as some kernels create the file
 * before they check). Other errors are thrown. Give the blocks back with
 * {@link giveStagingPair} when the file is closed.
 */
export async function openDirect(path: string, flags: number): Promise<DirectFile | undefined> {
  if (refused || process.env.BERTH_REGISTRY_PAGE_CACHE === '1') return undefined;
  const staging = takeStagingPair();
  if (!staging) return undefined;
  try {
    return { handle: await open(path, flags | constants.O_DIRECT), staging };
  } catch (e) {
    giveStagingPair(staging);
    if ((e as NodeJS.ErrnoException).code !== 'EINVAL') throw e;
    refused = true;
    return undefined;
  }
}

/**
 * Two aligned staging blocks, or undefined when all are taken (the caller then goes
 * through the page cache).
 *
 * Node has no aligned allocation; a WebAssembly memory is page-aligned by construction
 * (V8 maps it with its page allocator, in 64 KiB wasm pages), so blocks cut from one at
 * multiples of BLOCK_BYTES are too. Slabs are kept once made.
 */
function takeStagingPair(): StagingPair | undefined {
  if (free.length < 2 && slabs < MAX_SLABS) addSlab();
  return free.length < 2 ? undefined : [free.pop()!, free.pop()!];
}

function addSlab(): void {
  let memory;
  try {
    memory = new WebAssembly.Memory({ initial: (SLAB_BLOCKS * BLOCK_BYTES) / 65_536 });
  } catch {
    // No room for it (a wasm memory reserves address space, which `ulimit -v` may
    // forbid): make do with the slabs there are, and the page cache beyond them.
    slabs = MAX_SLABS;
    return;
  }
  for (let i = 0; i < SLAB_BLOCKS; i++) free.push(Buffer.from(memory.buffer, i * BLOCK_BYTES, BLOCK_BYTES));
  slabs++;
}

export function giveStagingPair(pair: StagingPair): void {
  free.push(...pair);
}

const free: Buffer[] = [];
let slabs = 0;

/** The one part of the WebAssembly API used here (the project's TypeScript libs do not declare it). */
declare const WebAssembly: { Memory: new (descriptor: { initial: number }) => { readonly buffer: ArrayBuffer } };
