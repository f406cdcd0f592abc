/**
 * ECS Exec's audit: one line per session (who, task, container, command, start, end, exit
 * code) into the cluster's executeCommandConfiguration log group when it names one, in a
 * stream named for the session, as ECS Exec's CloudWatch logging names its streams. A group
 * that is missing is said in the control plane's log: the session itself is not refused.
 */
import { randomBytes } from 'node:crypto';
import { parseArn } from '../core/arn.ts';
import { ApiError } from '../core/errors.ts';
import { putEvents } from '../logs/events.ts';
import type { LogsDeps } from '../logs/groups.ts';
import type { LogStore } from '../logs/store/log-store.ts';
import { createStream } from '../logs/streams.ts';
import type { Store } from '../store/store.ts';
import type { ExecBinding } from '../exec/exec-sessions.ts';
import { auditLine, type AuditEntry } from '../exec/stream-session.ts';

export function execAuditor({ store, logStore, log, now = Date.now }: { store: Store; logStore: LogStore; log: (line: string) => void; now?: () => number }) {
  const deps: LogsDeps = { store, logs: logStore, ids: { group: () => randomBytes(16).toString('hex'), stream: () => randomBytes(8).toString('hex') } };
  return (b: ExecBinding, e: AuditEntry): void => {
    const line = auditLine(b, e);
    log(`exec session: ${line}`);
    if (b.logGroup === undefined) return;
    const arn = parseArn(b.clusterArn);
    if (!arn) return;
    const scope = { account: arn.account, region: arn.region };
    const group = b.logGroup;
    void (async () => {
      try {
        await createStream(deps, scope, now(), group, e.sessionId);
      } catch (err) {
        if (!(err instanceof ApiError && err.code === 'ResourceAlreadyExistsException')) throw err;
      }
      await putEvents(deps, scope, now(), group, e.sessionId, [{ timestamp: e.endedAt, message: line }]);
    })().catch((err: unknown) => log(`exec audit to log group ${group} failed: ${err instanceof Error ? err.message : String(err)}`));
  };
}
