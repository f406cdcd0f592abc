/**
 * The controllers' lease: which control plane runs the reconcilers. A record in the store
 * (`{ holder, renewedAt, ttlMs }`), acquired and renewed by compare-and-set on its
 * modRevision. Its modRevision is also the fencing token: every write the runner makes
 * carries the condition `lease.modRevision == the one it last saw`, so a leader that lost
 * the lease without knowing it (paused, partitioned) has its writes refused.
 *
 * Expiry is judged by the standby's own clock, never by comparing its clock with the
 * holder's: a standby takes over once it has seen the same lease revision for longer than
 * the TTL (a holder that renews changes the revision). Clock skew between control planes
 * then cannot cut a live holder's lease short.
 */
import type { Condition, Store } from '../store/store.ts';

export const CONTROLLERS_LEASE_KEY = '/berth/leases/controllers';
/**
 * A holder that has not renewed for this long is taken over. Three renewals fit in it, so
 * a holder survives two slow ones (a busy SQLite fsync, a long GC pause) before losing it.
 */
export const LEASE_TTL_MS = 15_000;
/** The holder renews this often; a standby checks this often whether the lease expired. */
export const LEASE_RENEW_MS = 5_000;

export interface LeaseRecord {
  readonly holder: string;
  /** Epoch ms by the holder's clock, for people reading the store; nobody decides on it. */
  readonly renewedAt: number;
  readonly ttlMs: number;
}

export type LeaseState =
  | { readonly held: true; readonly modRevision: number }
  | { readonly held: false; readonly holder?: string };

/**
 * One participant in the lease. `tick()` acquires, renews or observes (call it every
 * LEASE_RENEW_MS); `fence()` is the condition every write must carry while held.
 */
export class Lease {
  readonly #store: Store;
  readonly #key: string;
  readonly #holder: string;
  readonly #now: () => number;
  readonly #ttlMs: number;
  #held: number | undefined;
  /** The other holder's revision this participant saw, and when it first saw it (own clock). */
  #seen: { modRevision: number; since: number } | undefined;

  constructor(o: { store: Store; key: string; holder: string; now: () => number; ttlMs?: number }) {
    this.#store = o.store;
    this.#key = o.key;
    this.#holder = o.holder;
    this.#now = o.now;
    this.#ttlMs = o.ttlMs ?? LEASE_TTL_MS;
  }

  get key(): string {
    return this.#key;
  }

  get holder(): string {
    return this.#holder;
  }

  get held(): boolean {
    return this.#held !== undefined;
  }

  /** The fencing condition, or undefined when not held. */
  fence(): Condition | undefined {
    return this.#held === undefined ? undefined : { key: this.#key, modRevision: this.#held };
  }

  /** Acquires, renews or observes the lease once. */
  async tick(): Promise<LeaseState> {
    const cur = await this.#store.get(this.#key);
    const now = this.#now();
    const record = JSON.stringify({ holder: this.#holder, renewedAt: now, ttlMs: this.#ttlMs } satisfies LeaseRecord);
    const value = cur && (JSON.parse(cur.value) as LeaseRecord);
    const mine = value?.holder === this.#holder && cur!.modRevision === this.#held;
    if (cur && !mine) {
      if (this.#seen?.modRevision !== cur.modRevision) this.#seen = { modRevision: cur.modRevision, since: now };
      const stale = now - this.#seen.since > this.#ttlMs;
      if (!stale) {
        this.#held = undefined;
        return { held: false, holder: value!.holder };
      }
    }
    const r = await this.#store.txn({ if: [{ key: this.#key, modRevision: cur?.modRevision ?? 0 }], ops: [{ type: 'put', key: this.#key, value: record }] });
    if (!r.ok) {
      this.#held = undefined;
      return { held: false };
    }
    this.#held = r.revision;
    this.#seen = undefined;
    return { held: true, modRevision: r.revision };
  }

  /** Called when a fenced write was refused for the lease: somebody else holds it now. */
  lost(): void {
    this.#held = undefined;
  }

  /** Gives the lease up (on shutdown), so a standby takes over at once rather than after the TTL. */
  async release(): Promise<void> {
    const fence = this.fence();
    this.#held = undefined;
    if (fence) await this.#store.txn({ if: [fence], ops: [{ type: 'delete', key: this.#key }] });
  }
}
