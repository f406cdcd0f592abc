/**
 * Which boundary this host gives Fargate tasks, decided once at agent start:
 *   runsc installed and a probe sandbox runs (systrap, else ptrace) → gvisor;
 *   else, where the kernel allows user namespaces → userns (userns.ts);
 *   else → the per-container runtime (Isolation `container`);
 *   /dev/kvm present → said in the facts and the log; no microVM backend is served.
 */

import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Isolation } from '../../core/ecs/fargate.ts';
import { findExecutable } from '../../lib/executables.ts';
import { launch } from '../../lib/launcher.ts';
import { removeCgroups } from '../container/cgroups.ts';
import { INIT_BINARY_CANDIDATES } from '../container/host-facts.ts';
import { writeJsonAtomic } from '../container/state-dir.ts';
import { GvisorBackend } from './gvisor.ts';
import { pauseSpec, type RunscSettings } from './gvisor-spec.ts';
import type { SandboxBackend } from './types.ts';
import { USERNS_BACKEND, USERNS_HOST_ID } from './userns.ts';

/** A probe sandbox starts in ~0.3 s; gVisor's KVM platform hung here (runtime-notes §6), so a probe is bounded. */
export const PROBE_TIMEOUT_MS = 20_000;
/** Platforms tried in order: systrap needs no ptrace stops (runsc 2023+); ptrace works on older kernels. */
const PLATFORMS: readonly RunscSettings['platform'][] = ['systrap', 'ptrace'];

export interface IsolationFacts {
  /** What a Fargate task gets on this host. */
  readonly fargate: Isolation;
  readonly runsc?: { readonly binary: string; readonly version: string; readonly platform: RunscSettings['platform'] } | undefined;
  /** /dev/kvm exists: a microVM backend could use it (not served). */
  readonly kvm: boolean;
  /** Why the choice fell as it did, one line each (for the agent's log). */
  readonly notes: readonly string[];
}

export interface Detected {
  readonly facts: IsolationFacts;
  /** The backend for Fargate tasks; undefined: they run as EC2 tasks do (Isolation `container`). */
  readonly backend: SandboxBackend | undefined;
}

export async function detectIsolation(o: { runDir: string; kvmDevice?: string; /** Tests: this runsc instead of PATH's; null for none. */ runsc?: string | null }): Promise<Detected> {
  const notes: string[] = [];
  const kvm = existsSync(o.kvmDevice ?? '/dev/kvm');
  if (kvm) notes.push('/dev/kvm is present: a microVM boundary could use it; Berth serves none yet (gVisor\'s KVM platform hangs on this kind of host)');
  const binary = o.runsc === undefined ? findExecutable('runsc') : o.runsc ?? undefined;
  const unshare = findExecutable('unshare');
  const pauseBinary = INIT_BINARY_CANDIDATES.find((p) => existsSync(p));
  if (!binary || !unshare || !pauseBinary) {
    notes.push(`no gVisor: ${!binary ? 'runsc is not installed (bin/berth installs it from bookworm-backports)' : !unshare ? 'unshare is missing' : 'catatonit is missing'}`);
    return fallback(kvm, notes);
  }
  const version = (await launch(binary, ['--version'], { timeoutMs: PROBE_TIMEOUT_MS }).catch(() => undefined))?.stdout.split('\n')[0]?.replace(/^runsc version /, '') ?? 'unknown';
  for (const platform of PLATFORMS) {
    const runsc = { binary, unshare, root: join(o.runDir, 'runsc'), platform };
    const backend = new GvisorBackend({ runsc, runDir: o.runDir, pauseBinary });
    const failure = await probe(backend, runsc, join(o.runDir, 'sandbox', 'probe'));
    if (failure === undefined) {
      notes.push(`Fargate tasks get gVisor: runsc ${version}, ${platform} platform`);
      return { facts: { fargate: 'gvisor', runsc: { binary, version, platform }, kvm, notes }, backend };
    }
    notes.push(`runsc ${version} on ${platform} failed its probe: ${failure}`);
  }
  return fallback(kvm, notes);
}

/** Where runsc cannot run: user namespaces if the kernel allows them, else nothing more than EC2 tasks get. */
function fallback(kvm: boolean, notes: string[]): Detected {
  let max = 0;
  try {
    max = Number(readFileSync('/proc/sys/user/max_user_namespaces', 'utf8').trim());
  } catch { /* no such sysctl: no user namespaces */ }
  if (max > 0) {
    notes.push(`Fargate tasks get the userns boundary (root in the task is uid ${USERNS_HOST_ID} on the host; seccomp; no-new-privileges)`);
    return { facts: { fargate: 'userns', kvm, notes }, backend: USERNS_BACKEND };
  }
  notes.push('Fargate tasks get the container boundary: this kernel allows no user namespaces');
  return { facts: { fargate: 'container', kvm, notes }, backend: undefined };
}

/** Runs `catatonit --version` in a throwaway sandbox with no network; the reason on failure. */
async function probe(backend: GvisorBackend, rs: RunscSettings, dir: string): Promise<string | undefined> {
  const id = `berth-probe-${process.pid}`;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const spec = pauseSpec({ taskId: id, cgroupPath: `/berth-probe-${process.pid}`, hostname: 'probe' }, backend.pauseRootfs());
  spec.process.args = ['/catatonit', '--version'];
  delete spec.annotations;
  writeJsonAtomic(join(dir, 'config.json'), spec);
  try {
    const r = await launch(rs.binary, ['--root', rs.root, `--platform=${rs.platform}`, '--network=none', 'run', '--bundle', dir, id], { timeoutMs: PROBE_TIMEOUT_MS });
    return r.code === 0 ? undefined : (r.stderr.trim().split('\n').pop() ?? `exit ${r.code}`);
  } catch (e) {
    return (e as Error).message;
  } finally {
    await launch(rs.binary, ['--root', rs.root, 'delete', '--force', id], { timeoutMs: PROBE_TIMEOUT_MS }).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
    removeCgroups(`/berth-probe-${process.pid}`, '/');
  }
}
