/**
 * The state file: JSON, replaced atomically (write a temporary file, rename it over).
 *
 * No fsync: the file describes kernel objects (namespaces, veths, nft elements) that do
 * not survive a reboot either. What it must survive is kill -9 of the agent, and a
 * renamed file in the page cache does.
 */
import { mkdirSync, readFileSync, renameSync } from 'node:fs';
import { replaceFileSync } from '../../lib/replace-file.ts';
import { join } from 'node:path';
import { checkState, emptyState, type NetworkState } from './state.ts';

export const STATE_FILE = 'network-state.json';

export interface LoadedState {
  readonly state: NetworkState;
  /** Set when an unreadable file was moved aside and the state started empty. */
  readonly warning?: string;
}

/** Reads the state; a missing file is an empty state, a corrupt one is moved aside. */
export function loadState(dir: string, now: () => number = Date.now): LoadedState {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, STATE_FILE);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { state: emptyState() };
    throw err;
  }
  try {
    return { state: checkState(JSON.parse(text)) };
  } catch (err) {
    const aside = `${file}.corrupt-${now()}`;
    renameSync(file, aside);
    return { state: emptyState(), warning: `network state ${file} was unreadable (${(err as Error).message}); moved to ${aside} and started empty` };
  }
}

/**
 * Saves the state (src/lib/replace-file.ts: in place when this returns, no fsync).
 * Synchronous on purpose: through libuv's thread pool the same write took 3–4 ms of a task
 * start's latency (four hops, behind the rootfs mount's file work).
 */
export function saveState(dir: string, state: NetworkState): void {
  replaceFileSync(join(dir, STATE_FILE), `${JSON.stringify(state)}\n`);
}
