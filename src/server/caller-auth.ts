import type { IncomingMessage, ServerResponse } from 'node:http';
import { bearerOf } from '../core/agent-credentials.ts';
import type { FailureLimiter } from '../core/failure-limiter.ts';

/**
 * What the parts of the server that authenticate callers share: who the caller is (its
 * address), whether it is on this host, the failure count that refuses guessers, and a
 * refusal that says what to do and never echoes what was presented.
 */
export interface CallerAuth {
  /** Whether a presented token is the control plane's join token (constant-time). */
  readonly checkJoinToken: (presented: string) => boolean;
  readonly limiter: FailureLimiter;
  readonly log: (line: string) => void;
  readonly now: () => number;
}

/** The caller's address: the key of its failure count. */
export function callerOf(req: IncomingMessage): string {
  return req.socket.remoteAddress ?? 'unknown';
}

/** 127.0.0.0/8 and ::1, also as IPv4-mapped IPv6: a process on this host. */
export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  return v4.startsWith('127.') || address === '::1';
}

export { bearerOf };

/**
 * Counts a failed authentication of `caller` and logs it: the first of its window, and the
 * one that reaches the limit, so a flood of attempts costs the log two lines.
 */
export function recordFailure(auth: CallerAuth, caller: string, what: string): void {
  const n = auth.limiter.fail(caller, auth.now());
  if (n === 1) auth.log(`refused ${what} from ${caller}`);
  else if (n === auth.limiter.maxFailures) auth.log(`${n} failed attempts from ${caller}: refusing it outright for the rest of the window (${auth.limiter.windowMs / 1000} s)`);
}

/** The answer to a caller that has used up its failures: nothing is checked. */
export function refuseBlocked(res: ServerResponse, auth: CallerAuth, caller: string): boolean {
  if (!auth.limiter.blocked(caller, auth.now())) return false;
  sendJson(res, 429, { message: `Too many failed attempts from ${caller}: wait ${auth.limiter.windowMs / 1000} s, then try with the right token.` });
  return true;
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}
