/**
 * What the watches of one pods backend share, so that a hundred watchers of a thousand pods
 * cost about what one does: the task halves each parsed once (by key and value, shared by
 * every watcher that reads or is told of that value), and the listing a watch starts from,
 * read once while the store's revision stands.
 *
 *   watch opens ─▶ WatchListings.of(prefix): the store's revision unchanged since the kept
 *                  listing was read? that listing : read (each half through the shared parser)
 *   store event ─▶ sharedParser(key, value) ─▶ the object every other watcher got for it
 *
 * Measured before (bench/wl: 100 watches of 1,000 pods opened at once, status writes after,
 * the 2-core machine at load ~12): each watch read and parsed every pod's halves itself,
 * +655 MB of heap and 42 s to open them, 5.9 s for 200 writes to reach all; with both shared,
 * see bench/README.md (kube-api, session 14).
 */
import type { ValueParser } from '../../core/workload/task-store.ts';
import type { ParsedValues } from '../../store/parsed-values.ts';

/** Listings kept at once: one per namespace watched and the cluster's; more are read again. */
export const MAX_WATCH_LISTINGS = 64;

/**
 * A parser of task halves shared by every watch of a backend: a value parsed once, the object
 * shared (ParsedValues' rule: nobody changes it; bounded by its MAX_REMEMBERED_VALUES).
 */
export function sharedParser(values: ParsedValues): ValueParser {
  return (key, value) => {
    const hit = values.get(key, value);
    if (hit !== undefined) return hit;
    const parsed: unknown = JSON.parse(value);
    values.remember(key, value, parsed);
    return parsed;
  };
}

/** A listing a watch starts from: its items and the revision it was read at. */
export interface WatchListing<T> {
  readonly items: readonly T[];
  readonly resourceVersion: string;
}

/**
 * Listings by prefix, each kept with the store revision it was asked at: a watch that opens
 * while that revision stands takes it (also while it is still being read: watches opened
 * together wait for one read). A listing read at a later revision than asked (a write landed
 * meanwhile) is as good for a watch, which replays the store's events from its own
 * resourceVersion over whatever it listed, as a watch reading its own listing does.
 */
export class WatchListings<T> {
  readonly #kept = new Map<string, { readonly revision: number; readonly listing: Promise<WatchListing<T>> }>();

  async of(prefix: string, revision: () => Promise<number>, read: () => Promise<WatchListing<T>>): Promise<WatchListing<T>> {
    const asked = await revision();
    const kept = this.#kept.get(prefix);
    if (kept?.revision === asked) return kept.listing;
    const listing = read();
    this.#kept.delete(prefix);
    if (this.#kept.size >= MAX_WATCH_LISTINGS) this.#kept.delete(this.#kept.keys().next().value!);
    const entry = { revision: asked, listing };
    this.#kept.set(prefix, entry);
    // A failed read is not kept: the next watch reads again.
    listing.catch(() => { if (this.#kept.get(prefix) === entry) this.#kept.delete(prefix); });
    return listing;
  }
}
