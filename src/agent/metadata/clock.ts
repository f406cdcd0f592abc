/**
 * The host clock's state for the task metadata's ClockDrift: the kernel's maximum error
 * and whether it is synchronized, from `adjtimex(2)` (read through busybox's `adjtimex`,
 * which Debian's busybox-static has; Node has no binding for the call). Sampled at most
 * once a minute, off the request path: a request gets the last sample.
 */
import { execFile } from 'node:child_process';
import type { ClockFacts } from './view.ts';

/** How often the clock is sampled: the kernel's bound moves slowly, and a sample is a process start. */
export const CLOCK_SAMPLE_MS = 60_000;
/** adjtimex's STA_UNSYNC status bit: the clock is not synchronized to a source. */
const STA_UNSYNC = 0x40;

/** Pure: busybox adjtimex's report → ClockFacts (maxerror is in microseconds). */
export function parseAdjtimex(text: string, measuredAt: number): ClockFacts | undefined {
  const maxerror = /maxerror:\s*(\d+)/.exec(text)?.[1];
  const status = /status:\s*(\d+)/.exec(text)?.[1];
  if (maxerror === undefined || status === undefined) return undefined;
  return { errorBoundMs: Number(maxerror) / 1000, measuredAt, synchronized: (Number(status) & STA_UNSYNC) === 0 };
}

/** The last sample (undefined until the first one lands, or without busybox); asks for a new one when it is old. */
export function clockSampler(now: () => number, read: (done: (text: string | undefined) => void) => void = readAdjtimex): () => ClockFacts | undefined {
  let last: ClockFacts | undefined;
  let askedAt = -Infinity;
  const sample = () => {
    askedAt = now();
    read((text) => { if (text !== undefined) last = parseAdjtimex(text, now()) ?? last; });
  };
  sample();
  return () => {
    if (now() - askedAt >= CLOCK_SAMPLE_MS) sample();
    return last;
  };
}

function readAdjtimex(done: (text: string | undefined) => void): void {
  execFile('busybox', ['adjtimex'], { timeout: 5_000 }, (_err, stdout) => done(stdout || undefined));
}
