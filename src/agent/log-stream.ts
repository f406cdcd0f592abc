import { closeSync, existsSync, openSync, readSync, renameSync, statSync } from 'node:fs';

/** How often a followed log is checked for new output: fast enough to feel live, cheap when idle. */
const FOLLOW_POLL_MS = 250;
/** Bytes read per chunk sent: keeps each session frame small. */
const CHUNK_BYTES = 64 * 1024;

/**
 * Sends a log file's content, then (with `follow`: `caughtUp()` between the two) what is appended, until `finished()`
 * says the container is gone and the file is drained, or the returned function is called.
 * conmon rotates by truncating; a file that shrinks is read again from its start.
 */
export function streamLog(path: string, follow: boolean, finished: () => boolean, send: (text: string) => void, end: (error?: string) => void, caughtUp?: () => void): () => void {
  let offset = 0;
  let first = true;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const buf = Buffer.alloc(CHUNK_BYTES);
  const drain = (): boolean => {
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (e) {
      end(`cannot read the log: ${(e as Error).message}`);
      return false;
    }
    try {
      if (statSync(path).size < offset) offset = 0;
      for (;;) {
        const n = readSync(fd, buf, 0, CHUNK_BYTES, offset);
        if (n === 0) break;
        offset += n;
        send(buf.subarray(0, n).toString('utf8'));
      }
    } finally {
      closeSync(fd);
    }
    return true;
  };
  const tick = () => {
    if (stopped) return;
    const wasFinished = finished();
    if (!drain()) return;
    if (first && follow && !wasFinished) caughtUp?.();
    first = false;
    if (!follow || wasFinished) { stopped = true; end(); return; }
    timer = setTimeout(tick, FOLLOW_POLL_MS);
  };
  tick();
  return () => { stopped = true; clearTimeout(timer); };
}

/**
 * Before a pod's container starts again in place: its log so far becomes the previous run's
 * (replacing an older one), and the new run writes a new file, as the kubelet keeps one log
 * per restart and reads back the last but one for `--previous`. A log that cannot be moved
 * stays shared by both runs (said in the agent's log).
 */
export function keepPreviousLog(log: string, previous: string, say: (line: string) => void): void {
  if (!existsSync(log)) return;
  try {
    renameSync(log, previous);
  } catch (e) {
    say(`cannot keep the previous run's log ${log}: ${(e as Error).message}`);
  }
}
