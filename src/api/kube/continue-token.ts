/**
 * `continue` tokens of paged lists: opaque to clients (base64 of the list's revision, the last
 * key returned and when the first page was read). A token older than CONTINUE_TTL_MS answers
 * 410 Expired, as the real server's does once etcd compacted the list's revision.
 */

/** How long a continue token holds: the API server's default etcd compaction interval (5 minutes). */
export const CONTINUE_TTL_MS = 5 * 60_000;

interface Token {
  readonly revision: number;
  readonly key: string;
  readonly issuedAt: number;
}

export function encodeContinue(revision: number, key: string, now: number): string {
  return Buffer.from(JSON.stringify({ v: 'berth/1', r: revision, k: key, t: now })).toString('base64url');
}

/** The token's content, 'expired', or undefined when it is not one of ours. */
export function decodeContinue(token: string, now: number): Token | 'expired' | undefined {
  try {
    const t = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { v?: unknown; r?: unknown; k?: unknown; t?: unknown };
    if (t.v !== 'berth/1' || typeof t.r !== 'number' || typeof t.k !== 'string' || typeof t.t !== 'number') return undefined;
    if (now - t.t > CONTINUE_TTL_MS) return 'expired';
    return { revision: t.r, key: t.k, issuedAt: t.t };
  } catch {
    return undefined;
  }
}
