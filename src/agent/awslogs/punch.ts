/**
 * Delivered bytes of an awslogs container's log given back to the disk. conmon does not
 * rotate such a log (rotation replaced the file faster than the driver could open the
 * next, losing whole files in a burst), so the file would only grow: the driver punches
 * holes in what the control plane acknowledged instead. A hole keeps the file's size and
 * every byte's offset, so conmon writes on at its own offset, the producer offsets and the
 * position file stay as they are, and only the blocks are freed.
 *
 * Node has no fallocate(2); util-linux's `fallocate --punch-hole` does it, once per
 * PUNCH_BYTES delivered (milliseconds per several MiB). It opens the file through the
 * agent's own descriptor (`/proc/<pid>/fd/<fd>`), so it reaches the file the driver reads
 * whatever conmon has renamed since, and nothing at all once the agent is gone.
 */
import { launch } from '../../lib/launcher.ts';

/** Holes are punched once this many delivered bytes are behind the last one: the file's disk use past what waits. */
export const PUNCH_BYTES = 8 * 1024 * 1024;
/** Holes are whole filesystem blocks (a partial block would only be zeroed, not freed). */
const BLOCK_BYTES = 4096;
/** A punch that takes longer than this is given up (and tried again with the next delivery). */
const PUNCH_TIMEOUT_MS = 10_000;

/**
 * The range to punch when `delivered` bytes of the file are acknowledged and holes reach
 * `punched`: whole blocks only, PUNCH_BYTES at least; undefined when not yet worth it. Pure.
 */
export function punchRange(punched: number, delivered: number): { offset: number; length: number } | undefined {
  const to = delivered - (delivered % BLOCK_BYTES);
  return to - punched >= PUNCH_BYTES ? { offset: punched, length: to - punched } : undefined;
}

/** Punches [offset, offset + length) of the file open as `fd` in this process; rejects with fallocate's words. */
export async function punchHole(fd: number, offset: number, length: number): Promise<void> {
  const r = await launch('fallocate', ['--punch-hole', '--offset', String(offset), '--length', String(length), `/proc/${process.pid}/fd/${fd}`], { timeoutMs: PUNCH_TIMEOUT_MS });
  if (r.code !== 0) throw new Error(`fallocate --punch-hole: ${r.stderr.trim() || `exit ${r.code}`}`);
}
