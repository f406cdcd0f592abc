import { existsSync, readdirSync, readFileSync, rmdirSync, rmSync } from 'node:fs';
import { createNetworkManager } from '../../src/runtime/network/index.ts';
import { run } from './run.ts';

/** Where agents mount the runtime read-only (src/agent/agent.ts RUN_DIR/bin). */
const AGENT_BINARIES = '/run/berth/bin';

/** Mount points under `dir`, from mountinfo. */
function mountsUnder(dir: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4]).filter((p): p is string => p?.startsWith(`${dir}/`) === true);
}

/**
 * Removes what an agent leaves on the host by design (its bridges and nft tables, which
 * outlive it so that tasks keep their network across restarts; its read-only runtime
 * binaries), and any container monitor a failed test left behind. End-to-end tests call it before and after.
 */
export async function cleanupHost(): Promise<void> {
  await run('pkill', ['-9', '-f', 'conmon --api-version 1 -c [0-9a-f]{32}-']);
  const manager = await createNetworkManager({ stateDir: '/tmp/berth-test-network-cleanup', manageIpForward: false }).catch(() => undefined);
  await manager?.cleanupAll();
  await manager?.close();
  // The agent's read-only runtime binaries (src/runtime/container/read-only-binary.ts).
  for (const point of mountsUnder(AGENT_BINARIES)) await run('umount', ['-l', point]);
  rmSync(AGENT_BINARIES, { recursive: true, force: true });
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
