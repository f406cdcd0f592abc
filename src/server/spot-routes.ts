/**
 * Berth's own Spot endpoints (`berth spot`), off the AWS surface, behind the admin guard:
 * - GET  /_berth/spot/settings?region=R        → the region's SpotSettings (+ updatedAt)
 * - POST /_berth/spot/settings {region?, interruptionsPerHour?, seed?, capacity?}
 *                                              → the settings after the change
 * - POST /_berth/spot/interrupt {region?, account?, cluster?, task? | service?, count?, zone?}
 *                                              → {interrupted: [...]}: each task told
 *   TerminationNotice now, as the reclaim controller would (core/ecs/spot-interruption.ts).
 * Bad input answers 400 with the ECS exception's code and a message that says what to do.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ClusterSnapshot, ClusterState } from '../cluster/types.ts';
import { clusterNameOf } from '../core/ecs/cluster.ts';
import { changeSpotSettings, readSpotSettings } from '../core/ecs/spot-settings.ts';
import { interruptTask } from '../core/ecs/spot-interruption.ts';
import type { TaskRecord } from '../core/ecs/task.ts';
import { ApiError } from '../core/errors.ts';
import { selectInterruptions, type InterruptRequest } from '../controllers/spot/select.ts';
import { changeTask } from '../core/workload/task-store.ts';
import type { Store } from '../store/store.ts';
import { readJsonBody, sendError, sendJson } from './admin-http.ts';

/** Attempts of one interruption's compare-and-set before it is reported as not done. */
const INTERRUPT_ATTEMPTS = 5;

export interface SpotRoutesOptions {
  readonly store: Store;
  readonly state: ClusterState;
  readonly accountId: string;
  readonly region: string;
  readonly now: () => number;
  readonly log: (line: string) => void;
}

export function spotRoutes(o: SpotRoutesOptions) {
  return {
    accepts: (req: IncomingMessage) => req.url?.startsWith('/_berth/spot/') ?? false,
    async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
      const url = new URL(req.url!, 'http://berth');
      try {
        if (req.method === 'GET' && url.pathname === '/_berth/spot/settings') {
          const region = url.searchParams.get('region') ?? o.region;
          return sendJson(res, 200, { region, ...(await readSpotSettings(o.store, region)) });
        }
        if (req.method === 'POST' && url.pathname === '/_berth/spot/settings') {
          const body = await readJsonBody(req);
          const region = stringField(body, 'region') ?? o.region;
          const settings = await changeSpotSettings(o.store, region, body, o.now());
          o.log(`spot: settings of ${region}: ${JSON.stringify(settings)}`);
          return sendJson(res, 200, { region, ...settings });
        }
        if (req.method === 'POST' && url.pathname === '/_berth/spot/interrupt') {
          return sendJson(res, 200, await interrupt(o, await readJsonBody(req)));
        }
        throw new ApiError('UnknownOperationException', `No Spot endpoint ${req.method} ${url.pathname}: there are GET and POST /_berth/spot/settings and POST /_berth/spot/interrupt.`);
      } catch (err) {
        sendError(res, err, o.log);
      }
    },
  };
}

function stringField(body: Record<string, unknown>, name: string): string | undefined {
  const v = body[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || v === '') throw new ApiError('InvalidParameterException', `${name} must be a non-empty string.`);
  return v;
}

async function interrupt(o: SpotRoutesOptions, body: Record<string, unknown>) {
  const region = stringField(body, 'region') ?? o.region;
  const account = stringField(body, 'account') ?? o.accountId;
  const clusterRef = stringField(body, 'cluster');
  const count = body.count;
  if (count !== undefined && typeof count !== 'number') throw new ApiError('InvalidParameterException', 'count must be a number.');
  const request: InterruptRequest = {
    ...(stringField(body, 'task') !== undefined && { task: stringField(body, 'task')! }),
    ...(stringField(body, 'service') !== undefined && { service: stringField(body, 'service')! }),
    ...(stringField(body, 'zone') !== undefined && { zone: stringField(body, 'zone')! }),
    ...(count !== undefined && { count }),
  };
  // --zone alone reaches every cluster of the region (Spot capacity is the zone's); else one cluster.
  const wide = request.task === undefined && request.service === undefined && clusterRef === undefined;
  const refs = wide
    ? o.state.clusters().filter((r) => r.scope.region === region)
    : [{ scope: { account, region }, cluster: clusterNameOf(clusterRef) }];
  if (!wide && !o.state.cluster(refs[0]!)) throw new ApiError('ClusterNotFoundException', `Cluster ${refs[0]!.cluster} was not found in ${account}/${region}: pass --cluster with an existing one ('aws ecs list-clusters').`);
  // Snapshots are views valid in this turn: select before any await.
  const snapshots = refs.map((r) => o.state.snapshot(r)).filter((s): s is ClusterSnapshot => s !== undefined);
  const chosen = selectInterruptions(snapshots, request);
  const interrupted = [];
  for (const c of chosen) {
    const done = await interruptOne(o.store, c.task.key);
    if (!done) continue;
    o.log(`spot: interrupted ${done.taskArn} (berth spot interrupt)`);
    interrupted.push({
      taskArn: done.taskArn, cluster: c.cluster, group: done.group, ...(c.zone !== undefined && { availabilityZone: c.zone }),
      ...(done.capacityProviderName !== undefined && { capacityProviderName: done.capacityProviderName }),
      lastStatus: done.lastStatus, desiredStatus: done.desiredStatus, stopCode: done.stopCode, stoppedReason: done.stoppedReason,
    });
  }
  return { interrupted };
}

/** Interrupts one task (its spec: the control plane's stop) by compare-and-set; undefined when it was already stopping or gone. */
async function interruptOne(store: Store, key: string): Promise<TaskRecord | undefined> {
  const w = await changeTask(store, key, 'spec', interruptTask, { attempts: INTERRUPT_ATTEMPTS });
  return w.outcome === 'written' ? w.task.record : undefined;
}
