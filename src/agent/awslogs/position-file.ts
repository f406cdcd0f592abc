/**
 * Where a container's awslogs driver is in its log, kept in the task's directory and
 * written only after the control plane acknowledged the batch that got it there. After a
 * kill -9 the agent resumes from it: what was acknowledged is not read again (the receiver
 * would drop it anyway, agent-put.ts), what was not is sent again.
 *
 *   ino         the log file read (conmon replaces the file when it rotates it; a hard
 *               link, `<log>.awslogs`, keeps the one being read until it is done)
 *   base        producer offset of that file's first byte: bytes of the files before it
 *   fileOffset  bytes of it delivered
 */
import { existsSync, readFileSync } from 'node:fs';
import { replaceFileSync } from '../../lib/replace-file.ts';

export interface Position {
  readonly ino: number;
  readonly base: number;
  readonly fileOffset: number;
}

export function readPosition(path: string): Position | undefined {
  if (!existsSync(path)) return undefined;
  try {
    const p = JSON.parse(readFileSync(path, 'utf8')) as Position;
    return Number.isSafeInteger(p.ino) && Number.isSafeInteger(p.base) && Number.isSafeInteger(p.fileOffset) ? p : undefined;
  } catch {
    return undefined;
  }
}

/** Atomic (rename over); no fsync: a kill -9 keeps the page cache, and a reboot ends the container anyway. */
export function writePosition(path: string, p: Position): void {
  replaceFileSync(path, JSON.stringify(p));
}
