import type { IncomingMessage, ServerResponse } from 'node:http';
import type { S3Service } from '../api/s3/index.ts';
import type { Registry } from '../registry/index.ts';
import type { ClusterState } from '../cluster/types.ts';
import type { Store } from '../store/store.ts';
import { VERSION } from '../version.ts';
import { resetOps } from './reset-ops.ts';
import { fargateUsageLines, UsageBusyError, usageQueryOf } from './fargate-usage-query.ts';

/**
 * Berth's own endpoints, off the AWS surface, under /_berth/:
 * - GET  /_berth/health       → {"status":"ok","version":…,"revision":…}
 * - POST /_berth/reset        → wipes all state (every account and region, registry
 *   contents included) but the identity key (reset-ops.ts), for test suites that need a
 *   clean slate between tests.
 * - POST /_berth/registry/gc  → collects unreferenced blobs and abandoned uploads now.
 * - GET  /_berth/cost/usage   → Fargate usage lines of one account and region over a window
 *   (fargate-usage-query.ts); `berth cost` prices them. Query: since, until (epoch seconds;
 *   default the last 30 days), cluster, service, account, region (default the server's),
 *   ec2 (true: EC2-mode tasks too, for what they would have cost on Fargate). The answer
 *   says whether EC2-mode tasks are metered (meterEc2): when not, only those the cluster
 *   state still holds are counted.
 * All but health answer other hosts only with the join token (admin-guard.ts wraps this).
 */
export function adminRoutes({ store, registry, s3, state, accountId, region, now = Date.now, meterEc2 = false }: {
  store: Store; registry: Registry; s3: S3Service; state: ClusterState; accountId: string; region: string;
  /** Whether the metering job meters EC2-mode tasks (server.ts), told to `berth cost --ec2`. */
  meterEc2?: boolean;
  /** Epoch ms. */
  now?: () => number;
}) {
  return {
    accepts: (req: IncomingMessage) => req.url?.startsWith('/_berth/') ?? false,
    async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
      const path = req.url!.split('?')[0];
      if (req.method === 'GET' && path === '/_berth/health') {
        return json(res, 200, { status: 'ok', version: VERSION, revision: await store.revision() });
      }
      if (req.method === 'POST' && path === '/_berth/reset') {
        // Everything but the identity key: running tasks' credentials stay valid (reset-ops.ts).
        const r = await store.txn({ ops: await resetOps(store) });
        // With no manifest left, every blob is garbage; no grace, since the reset is the point.
        const gc = await registry.collectGarbage({ blobGraceMs: 0, uploadIdleMs: 0 });
        // Likewise every S3 object file: no record names one any more.
        const s3Files = await s3.sweep(0);
        return json(res, 200, { reset: true, revision: r.revision, blobsRemoved: gc.blobsRemoved, s3ObjectsRemoved: s3Files.blobs });
      }
      if (req.method === 'POST' && path === '/_berth/registry/gc') {
        return json(res, 200, await registry.collectGarbage());
      }
      if (req.method === 'GET' && path === '/_berth/cost/usage') {
        const nowS = now() / 1000;
        const q = usageQueryOf(new URL(req.url!, 'http://berth').searchParams, nowS, { account: accountId, region });
        if (typeof q === 'string') return json(res, 400, { message: q });
        try {
          return json(res, 200, { account: q.scope.account, region: q.scope.region, since: q.since, until: q.until, now: nowS, meterEc2, ...await fargateUsageLines(store, state, q, nowS) });
        } catch (err) {
          if (err instanceof UsageBusyError) return json(res, 503, { message: err.message });
          throw err;
        }
      }
      return json(res, 404, { message: `No admin endpoint ${req.method} ${path}. There are GET /_berth/health, GET /_berth/cost/usage, POST /_berth/reset and POST /_berth/registry/gc.` });
    },
  };
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}
