/**
 * ExecuteCommand's sessions between the API answer and the client's connection: each is
 * bound to one caller, task and container and command, and opened once with its token.
 * A token is 32 random bytes, compared in constant time (hashes of equal length), used
 * once, and dead after {@link TOKEN_TTL_MS}. Nothing here outlives the process: a session
 * not yet opened when the control plane restarts is asked for again (the CLI does so).
 */
import { createHash, timingSafeEqual } from 'node:crypto';

/** A token unused this long is refused: the CLI hands it to the plugin at once. */
export const TOKEN_TTL_MS = 60_000;
/** Sessions issued and not yet opened; the oldest is dropped past this (each is a few hundred bytes). */
export const MAX_PENDING_SESSIONS = 10_000;

export interface ExecBinding {
  /** Who asked (the signer's ARN), for the audit line. */
  caller: string;
  clusterArn: string;
  taskArn: string;
  /** The instance whose agent runs the task: the session is relayed to it. */
  containerInstanceArn: string;
  containerName: string;
  command: string;
  /** The cluster's executeCommandConfiguration log group, when it names one. */
  logGroup?: string;
}

export type ClaimRefusal = 'unknown-session' | 'wrong-token' | 'expired';

interface Pending { binding: ExecBinding; tokenHash: Buffer; expires: number }

const hash = (s: string) => createHash('sha256').update(s).digest();

export class ExecSessions {
  // Insertion order is issue order: the first entry is the oldest.
  readonly #pending = new Map<string, Pending>();

  /** Records a session: `sessionId` and `token` are made by the caller (randomness is an input). */
  issue(sessionId: string, token: string, binding: ExecBinding, now: number): void {
    this.#sweep(now);
    if (this.#pending.size >= MAX_PENDING_SESSIONS) this.#pending.delete(this.#pending.keys().next().value!);
    this.#pending.set(sessionId, { binding, tokenHash: hash(token), expires: now + TOKEN_TTL_MS });
  }

  /** The binding, once: a right token opens the session and spends it; a wrong one leaves it for its owner. */
  claim(sessionId: string, token: string, now: number): ExecBinding | ClaimRefusal {
    const p = this.#pending.get(sessionId);
    if (!p) return 'unknown-session';
    if (!timingSafeEqual(p.tokenHash, hash(token))) return 'wrong-token';
    this.#pending.delete(sessionId);
    return now > p.expires ? 'expired' : p.binding;
  }

  get size(): number {
    return this.#pending.size;
  }

  #sweep(now: number): void {
    for (const [id, p] of this.#pending) {
      if (p.expires >= now) break; // issue order is expiry order
      this.#pending.delete(id);
    }
  }
}
