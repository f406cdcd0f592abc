/**
 * Services as the service benchmarks drive them: create one, wait for it the way
 * `aws ecs wait services-stable` does (one deployment, runningCount == desiredCount: the
 * waiter's acceptor in the ECS waiters model), and watch a rolling deployment's counts at
 * every poll. A build without services is named in one line.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { EcsClient } from './aws-json.ts';

/** How often a wait asks DescribeServices (the CLI's waiter asks every 15 s; a benchmark needs finer). */
export const POLL_MS = 50;

export interface Deployment {
  readonly id: string;
  readonly status: string;
  readonly runningCount: number;
  readonly pendingCount: number;
  readonly desiredCount: number;
  readonly rolloutState?: string;
}

export interface Service {
  readonly serviceName: string;
  readonly status: string;
  readonly desiredCount: number;
  readonly runningCount: number;
  readonly pendingCount: number;
  readonly deployments: readonly Deployment[];
}

/** What a build without issue 14's services answers to CreateService. */
export class ServicesMissing extends Error {}

/** CreateService; a build without the operation throws ServicesMissing with one clear line. */
export async function createService(client: EcsClient, input: Record<string, unknown>): Promise<Service> {
  const r = await client.call<{ service?: Service; __type?: string; message?: string }>('CreateService', input);
  const type = r.body.__type?.split('#').pop();
  if (type === 'UnknownOperationException' || type === 'InvalidAction') {
    throw new ServicesMissing(`CreateService is not available in this build (it answered ${type}): this part needs issue 14's services (CreateService, DescribeServices, the service reconciler) merged`);
  }
  if (r.status !== 200 || !r.body.service) throw new Error(`CreateService answered ${r.status} ${type ?? ''}: ${r.body.message ?? r.raw.toString('utf8')}`);
  return r.body.service;
}

export async function describeService(client: EcsClient, cluster: string, name: string): Promise<Service> {
  const r = await client.ok<{ services: Service[]; failures: unknown[] }>('DescribeServices', { cluster, services: [name] });
  const s = r.services[0];
  if (!s) throw new Error(`DescribeServices does not know ${name}: ${JSON.stringify(r.failures)}`);
  return s;
}

/** services-stable's condition for one service. */
export function isStable(s: Service): boolean {
  return s.deployments.length === 1 && s.runningCount === s.desiredCount;
}

export interface Watch {
  readonly ms: number;
  /** Over every poll: the fewest tasks running and the most tasks running or pending, across deployments. */
  readonly minRunning: number;
  readonly maxTotal: number;
  readonly polls: number;
}

/**
 * Polls until `done` holds; records the counts seen at each poll (the deployment limits'
 * evidence). Fails after `timeoutMs` with the last state.
 */
export async function watchService(client: EcsClient, cluster: string, name: string, done: (s: Service) => boolean, timeoutMs: number): Promise<Watch> {
  const start = performance.now();
  let minRunning = Number.MAX_SAFE_INTEGER;
  let maxTotal = 0;
  let polls = 0;
  for (;;) {
    const s = await describeService(client, cluster, name);
    polls++;
    const running = s.deployments.reduce((a, d) => a + d.runningCount, 0);
    const total = s.deployments.reduce((a, d) => a + d.runningCount + d.pendingCount, 0);
    minRunning = Math.min(minRunning, running);
    maxTotal = Math.max(maxTotal, total);
    if (done(s)) return { ms: performance.now() - start, minRunning, maxTotal, polls };
    if (performance.now() - start > timeoutMs) {
      throw new Error(`service ${name} did not get there within ${timeoutMs / 1000} s: desired ${s.desiredCount}, running ${s.runningCount}, pending ${s.pendingCount}, deployments ${JSON.stringify(s.deployments.map((d) => [d.status, d.runningCount, d.pendingCount, d.rolloutState]))}`);
    }
    await sleep(POLL_MS);
  }
}
