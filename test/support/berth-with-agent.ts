/**
 * The life of a real-container test file: a clean host, `berth up` with its agent and the
 * sample images in its registry; at the end every service and task stopped through the API
 * (so containers, mounts and namespaces go the normal way), Berth stopped, the host clean.
 * Host-touching: run under flock /tmp/berth-host.lock.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ROOT, startBerth, type BerthProcess } from './berth.ts';
import { cleanupHost } from './host-cleanup.ts';
import { run } from './run.ts';

type Ecs = <T = Record<string, unknown>>(...args: string[]) => Promise<T>;

export async function startBerthWithSamples(): Promise<BerthProcess> {
  await cleanupHost();
  const berth = await startBerth([], { agent: true });
  const samples = await run(process.execPath, ['--disable-warning=ExperimentalWarning', join(ROOT, 'src/cli/main.ts'), 'image', 'samples', '--endpoint', berth.endpoint]);
  assert.equal(samples.code, 0, samples.stderr);
  return berth;
}

/** Best effort: a test that failed midway leaves whatever it left, and this still cleans up. */
export async function stopBerthAndTasks(berth: BerthProcess, ecs: Ecs, services: readonly string[] = []): Promise<void> {
  for (const name of services) await ecs('delete-service', '--service', name, '--force').catch(() => undefined);
  if (services.length) await ecs('wait', 'services-inactive', '--services', ...services).catch(() => undefined);
  const arns = (await ecs<{ taskArns: string[] }>('list-tasks').catch(() => ({ taskArns: [] }))).taskArns;
  for (const t of arns) await ecs('stop-task', '--task', t).catch(() => undefined);
  if (arns.length) await ecs('wait', 'tasks-stopped', '--tasks', ...arns).catch(() => undefined);
  await berth.stop();
  await cleanupHost();
}
