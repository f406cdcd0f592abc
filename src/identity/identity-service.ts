/**
 * Identity as the rest of Berth uses it: the issuer of role credentials (STS AssumeRole; a
 * task's role, for the agent to serve inside the task) and the key the request verifier
 * (src/api/aws/verify-request.ts) opens them with. One key, from the store (identity-key.ts).
 */
import { randomBytes } from 'node:crypto';
import type { Store } from '../store/store.ts';
import { ensureIdentityKey } from './identity-key.ts';
import { issueSessionCredentials, type IssueOptions, type SessionCredentials, type SessionFacts } from './session-credentials.ts';

export interface IdentityService {
  /** What seals session tokens: for the request verifier only. */
  readonly key: Buffer;
  issue(facts: SessionFacts, now: number, options?: IssueOptions): SessionCredentials;
}

export async function createIdentityService(options: { readonly store: Store }): Promise<IdentityService> {
  const key = await ensureIdentityKey(options.store);
  return {
    key,
    issue: (facts, now, issueOptions) => issueSessionCredentials(key, facts, now, randomBytes(10), issueOptions),
  };
}
