import { existsSync, readdirSync, readFileSync, rmdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { removeCreateNamespace, removeReadOnlyBinaries } from '../../src/runtime/container/index.ts';
import { createNetworkManager } from '../../src/runtime/network/index.ts';
import { hostLayout } from '../../src/hosts/layout.ts';
import { powerOffFrom, removeHostsBridge } from '../../src/hosts/machine.ts';
import { assertHostTest } from './host-only.ts';
import { run } from './run.ts';

/** The agent's runtime directory (src/agent/agent.ts RUN_DIR). */
const AGENT_RUN_DIR = '/run/berth';

/**
 * Removes what an agent leaves on the host by design (its bridges and nft tables, which
 * outlive it so that tasks keep their network across restarts; its create namespace and
 * read-only runtime binaries), and any container monitor a failed test left behind.
 * End-to-end tests call it before and after.
 */
export async function cleanupHost(): Promise<void> {
  assertHostTest('cleanupHost()');
  // Simulated hosts of a `berth up --hosts N` that did not stop cleanly (src/hosts/).
  await powerOffFrom(2, (i) => hostLayout(i, '/nonexistent', 'us-east-1'));
  await removeHostsBridge();
  await run('pkill', ['-9', '-f', 'conmon --api-version 1 -c [0-9a-f]{32}-']);
  await removeSandboxes(join(AGENT_RUN_DIR, 'runsc'));
  const stateDir = '/tmp/berth-test-network-cleanup';
  const manager = await createNetworkManager({ stateDir, manageIpForward: false }).catch(() => undefined);
  // Its tasks, bridges, nft tables and the Kubernetes service table (berth_svc, src/svcnet).
  await manager?.cleanupAll();
  await manager?.close();
  rmSync(stateDir, { recursive: true, force: true });
  // The agent's long-lived create namespace and read-only runtime binaries (src/runtime/container/).
  await removeCreateNamespace(AGENT_RUN_DIR);
  await removeReadOnlyBinaries(join(AGENT_RUN_DIR, 'bin'));
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

/**
 * Fargate tasks' gVisor sandboxes an agent left (src/runtime/sandbox): each deleted through
 * runsc, then any sandbox or file-proxy process of that runsc root killed, runsc's state
 * removed, and the tasks' ephemeral disks (loop-mounted ext4 at <task>/sandbox/ephemeral)
 * unmounted.
 */
async function removeSandboxes(root: string): Promise<void> {
  if (existsSync(root)) {
    const list = await run('runsc', ['--root', root, 'list', '-format', 'json']).catch(() => undefined);
    let ids: string[] = [];
    try {
      ids = (JSON.parse(list?.stdout ?? '[]') as { id: string }[] | null ?? []).map((c) => c.id);
    } catch { /* no list: the kill below still ends them */ }
    for (const id of ids) await run('runsc', ['--root', root, 'delete', '--force', id]).catch(() => undefined);
    await run('pkill', ['-9', '-f', `runsc-(sandbox|gofer) .*--root=${root}`]);
    rmSync(root, { recursive: true, force: true });
  }
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4] ?? '');
  for (const m of mounts.filter((p) => p.endsWith('/sandbox/ephemeral'))) await run('umount', ['--lazy', m]).catch(() => undefined);
}
