/**
 * Signal names and numbers, for stop signals (the image's `StopSignal` may be `SIGQUIT`,
 * `QUIT` or `3`) and for reading exit statuses (128+n means "killed by signal n").
 */

import { constants } from 'node:os';
import { ContainerConfigError } from './errors.ts';

const BY_NAME: Readonly<Record<string, number>> = constants.signals as Readonly<Record<string, number>>;
const BY_NUMBER = new Map<number, string>(Object.entries(BY_NAME).filter(([n]) => n !== 'SIGIOT' && n !== 'SIGPOLL' && n !== 'SIGUNUSED').map(([n, v]) => [v, n]));

/** The stop signal when the image names none. */
export const DEFAULT_STOP_SIGNAL = 'SIGTERM';
/** Exit statuses above this mean "killed by signal (status - 128)", as shells and conmon report them. */
export const SIGNAL_EXIT_BASE = 128;
/** Real-time signals are numbered past the named ones (SIGRTMIN is 34 on Linux). */
const SIGRTMIN = 34;
const SIGRTMAX = 64;

/** `SIGQUIT`, `QUIT`, `sigquit` and `3` all become `SIGQUIT`; `SIGRTMIN+3` stays as is. */
export function normalizeSignal(raw: string | undefined): string {
  if (raw === undefined || raw.trim() === '') return DEFAULT_STOP_SIGNAL;
  const s = raw.trim().toUpperCase();
  if (/^[0-9]+$/.test(s)) {
    const n = Number(s);
    const name = BY_NUMBER.get(n) ?? (n >= SIGRTMIN && n <= SIGRTMAX ? `SIGRTMIN+${n - SIGRTMIN}` : undefined);
    if (name !== undefined) return name;
  } else {
    const name = s.startsWith('SIG') ? s : `SIG${s}`;
    if (BY_NAME[name] !== undefined) return name;
    const rt = /^SIGRTMIN\+([0-9]+)$/.exec(name);
    if (rt && SIGRTMIN + Number(rt[1]) <= SIGRTMAX) return name;
  }
  throw new ContainerConfigError(`stop signal ${JSON.stringify(raw)} is not a Linux signal name or number`);
}

/** `SIGKILL` for 137 and other 128+n statuses; undefined for ordinary exit codes. */
export function signalOfExitCode(code: number): string | undefined {
  if (code <= SIGNAL_EXIT_BASE || code > SIGNAL_EXIT_BASE + SIGRTMAX) return undefined;
  const n = code - SIGNAL_EXIT_BASE;
  return BY_NUMBER.get(n) ?? (n >= SIGRTMIN ? `SIGRTMIN+${n - SIGRTMIN}` : undefined);
}

/** The number of a normalized signal name, which is what `<runtime> kill` is given (both accept numbers). */
export function signalNumber(name: string): number {
  const rt = /^SIGRTMIN\+([0-9]+)$/.exec(name);
  const n = rt ? SIGRTMIN + Number(rt[1]) : BY_NAME[name];
  if (n === undefined) throw new ContainerConfigError(`${JSON.stringify(name)} is not a Linux signal name`);
  return n;
}
