/**
 * The state file: JSON, replaced atomically (write a temporary file, rename it over), with
 * concurrent saves coalesced so a burst of task starts costs a few writes, not one each.
 *
 * No fsync: the file describes kernel objects (namespaces, veths, nft elements) that do
 * not survive a reboot either. What it must survive is kill -9 of the agent, and a
 * renamed file in the page cache does.
 */
import { mkdirSync, readFileSync, renameSync } from 'node:fs';
import { writeFile, rename } from 'node:fs/promises';
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

/** Saves states in order; a save while one is being written waits and joins the next write. */
export class StateWriter {
  readonly #file: string;
  readonly #tmp: string;
  #latest: NetworkState | undefined;
  #inFlight: Promise<void> | undefined;
  #next: Promise<void> | undefined;

  constructor(dir: string) {
    this.#file = join(dir, STATE_FILE);
    this.#tmp = `${this.#file}.tmp-${process.pid}`;
  }

  /** Resolves once a write holding `state` (or a later one) is in place. */
  save(state: NetworkState): Promise<void> {
    this.#latest = state;
    if (!this.#inFlight) {
      this.#inFlight = this.#write().finally(() => (this.#inFlight = undefined));
      return this.#inFlight;
    }
    // A failed write must not wedge later saves: they try again with the latest state.
    this.#next ??= this.#inFlight.catch(() => undefined).then(() => {
      this.#next = undefined;
      return this.save(this.#latest as NetworkState);
    });
    return this.#next;
  }

  /** Waits for every pending write. */
  async flush(): Promise<void> {
    while (this.#inFlight || this.#next) await (this.#next ?? this.#inFlight)?.catch(() => undefined);
  }

  async #write(): Promise<void> {
    const state = this.#latest;
    await writeFile(this.#tmp, `${JSON.stringify(state)}\n`);
    await rename(this.#tmp, this.#file);
  }
}
