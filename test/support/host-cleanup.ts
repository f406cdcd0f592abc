import { existsSync, readdirSync, rmdirSync } from 'node:fs';
import { createNetworkManager } from '../../src/runtime/network/index.ts';
import { run } from './run.ts';

/**
 * Removes what an agent leaves on the host by design (its bridges and nft tables, which
 * outlive it so that tasks keep their network across restarts), and any container
 * monitor a failed test left behind. End-to-end tests call it before and after.
 */
export async function cleanupHost(): Promise<void> {
  await run('pkill', ['-9', '-f', 'conmon --api-version 1 -c [0-9a-f]{32}-']);
  const manager = await createNetworkManager({ stateDir: '/tmp/berth-test-network-cleanup', manageIpForward: false }).catch(() => undefined);
  await manager?.cleanupAll();
  await manager?.close();
  // Leaf cgroups go with their containers; the per-task parents and /berth itself stay.
  for (const root of existsSync('/sys/fs/cgroup') ? readdirSync('/sys/fs/cgroup') : []) {
    const parent = `/sys/fs/cgroup/${root}/berth`;
    if (!existsSync(parent)) continue;
    for (const task of readdirSync(parent, { withFileTypes: true }).filter((d) => d.isDirectory())) {
      try { rmdirSync(`${parent}/${task.name}`); } catch { /* still in use */ }
    }
    try { rmdirSync(parent); } catch { /* still in use */ }
  }
}
