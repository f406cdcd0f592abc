/**
 * Applying the plans to the kernel: bringing up the host side (bridges, sysctls, nft
 * tables), linking and unlinking one task, and finding what Berth left behind.
 */
import { existsSync, readdirSync } from 'node:fs';
import { cgroup2Exists, ensureNftCgroupPath } from './cgroup-path.ts';
import type { NetworkConfig } from './config.ts';
import { guardRewriteScript, liveGuards } from './host-guard.ts';
import { bridgeLines, NETNS_DIR, staleVethLines, taskLinkPlan, taskUnlinkPlan } from './link-plan.ts';
import { baseScript, dropTablesScript, taskAddScript, taskRemoveScript } from './nft-plan.ts';
import type { HostGuard, NetworkState, TaskRecord } from './state.ts';
import { ToolError, type Tools } from './tools.ts';

/** What bringing up the host side changed that an operator should know about. */
export interface HostReport {
  readonly enabledIpForward: boolean;
}

/** Bridges up with their gateway addresses, sysctls set, nft tables (re)built from `state`. */
export async function ensureHost(config: NetworkConfig, tools: Tools, state: NetworkState): Promise<HostReport> {
  const bridges = (await tools.ipJson(['link', 'show', 'type', 'bridge'])) as { ifname?: string }[];
  const present = new Set(bridges.map((b) => b.ifname));
  const lines = [config.bridge, config.vpc].flatMap((net) => bridgeLines(net, !present.has(net.bridge)));
  await tools.ipBatch(lines, hostN(config));
  // The ruleset first: its loopback guard must be in place before route_localnet lets the
  // bridge accept 127.0.0.0/8 (see baseScript).
  await tools.nft(baseScript(config, state, resolvableGuards(state)));
  // Lets packets from 127.0.0.1, DNATed by the output chain, leave through the bridge (then
  // masqueraded): what makes published ports answer on localhost without a userspace proxy.
  await tools.writeSysctl(`net/ipv4/conf/${config.bridge.bridge}/route_localnet`, '1');
  let enabledIpForward = false;
  if (config.manageIpForward && (await tools.readSysctl('net/ipv4/ip_forward')) !== '1') {
    await tools.writeSysctl('net/ipv4/ip_forward', '1');
    enabledIpForward = true;
  }
  return { enabledIpForward };
}

/**
 * The host-mode guards of `state` nft can load: those whose cgroup still exists (a task
 * whose containers are gone has nothing left to guard), each made resolvable by nft.
 */
function resolvableGuards(state: NetworkState): HostGuard[] {
  const guards = liveGuards(state, (c) => cgroup2Exists(c));
  for (const g of guards) ensureNftCgroupPath(g.cgroup);
  return guards;
}

/**
 * How many times a guard rewrite is tried: a stopping task's cgroup can vanish between the
 * check and nft's load, failing the transaction; the next try leaves it out.
 */
const GUARD_REWRITE_TRIES = 3;

/** Sets the host-mode loopback guard's elements to `state`'s tasks (see guardRewriteScript). */
export async function applyHostGuards(config: NetworkConfig, tools: Tools, state: () => NetworkState): Promise<void> {
  for (let i = 1; ; i++) {
    // The script is built and submitted in one synchronous step, so concurrent rewrites
    // reach nft in the order of the states they were built from: the last one wins.
    const result = await tools.nft(guardRewriteScript(config.nftTable, resolvableGuards(state())), { tolerate: true });
    if (result.code === 0) return;
    if (i >= GUARD_REWRITE_TRIES || !/cgroupv2 path fails|No such file or directory/.test(result.stderr)) {
      throw new ToolError(`nft could not set the host-mode loopback guard: ${result.stderr.trim()}`, result.stderr);
    }
  }
}

/** Creates the task's namespaces, veths, addresses, routes and nft elements. */
export async function linkTask(config: NetworkConfig, tools: Tools, record: TaskRecord): Promise<void> {
  const plan = taskLinkPlan(config, record);
  const script = taskAddScript(config, record);
  const links = async (): Promise<void> => {
    if (config.hostNetns) {
      await tools.ipBatch(plan.netnsAdd);
      if (plan.host.length) await tools.ipBatch(plan.host, hostN(config));
    } else {
      await tools.ipBatch([...plan.netnsAdd, ...plan.host]);
    }
    await Promise.all(plan.inside.map((i) => tools.ipBatch(i.lines, { netns: i.netns })));
  };
  // The nft elements don't depend on the links: a DNAT to an address not up yet just finds
  // no one. Running both at once saves one process's latency per task.
  const results = await Promise.allSettled([links(), script ? tools.nft(script) : Promise.resolve()]);
  const failed = results.find((r) => r.status === 'rejected');
  if (failed) throw failed.reason;
}

/**
 * Removes everything the task may have, whatever was created: each step tolerates missing
 * objects. The veths go with their namespaces, asynchronously (see taskUnlinkPlan). Throws
 * only when a namespace name is still there afterwards or nft refused for a reason other
 * than a missing table.
 */
export async function unlinkTask(config: NetworkConfig, tools: Tools, record: TaskRecord): Promise<void> {
  const plan = taskUnlinkPlan(record);
  const script = taskRemoveScript(config, record);
  const [ip, nft] = await Promise.all([
    tools.ipBatch(plan.netnsDel, { force: true, tolerate: true }),
    script ? tools.nft(script, { tolerate: true }) : undefined,
  ]);
  const ipErr = ip.stderr;
  const left = record.endpoints.filter((e) => existsSync(`${NETNS_DIR}/${e.netns}`)).map((e) => e.netns);
  if (left.length) throw new ToolError(`could not remove network namespace(s) ${left.join(', ')}: ${ipErr.trim()}`, ipErr);
  if (nft && nft.code !== 0 && !/No such file or directory/.test(nft.stderr)) throw new ToolError(`nft could not remove task ${record.taskId}'s elements: ${nft.stderr.trim()}`, nft.stderr);
}

/** Deletes host veths of the task that outlived their namespace (see taskUnlinkPlan). */
export async function removeStaleVeths(config: NetworkConfig, tools: Tools, record: TaskRecord): Promise<void> {
  const lines = staleVethLines(record);
  if (lines.length) await tools.ipBatch(lines, { ...hostN(config), force: true, tolerate: true });
}

/** True when creating the task's links failed because one of its veth names is taken. */
export function isStaleVeth(err: unknown): boolean {
  return err instanceof ToolError && /RTNETLINK answers: File exists/.test(err.stderr);
}

/** True when every namespace of the record exists. */
export function namespacesExist(record: TaskRecord): boolean {
  return record.endpoints.every((e) => existsSync(`${NETNS_DIR}/${e.netns}`));
}

export interface Leftovers {
  readonly netns: readonly string[];
  readonly veths: readonly string[];
}

/** Namespaces and host veths carrying Berth's names that no record in `state` owns. */
export async function findLeftovers(config: NetworkConfig, tools: Tools, state: NetworkState): Promise<Leftovers> {
  const ownedNs = new Set<string>();
  const ownedVeth = new Set<string>();
  for (const r of Object.values(state.tasks)) {
    for (const e of r.endpoints) {
      ownedNs.add(e.netns);
      if (e.hostVeth) ownedVeth.add(e.hostVeth);
    }
  }
  const netns = existsSync(NETNS_DIR) ? readdirSync(NETNS_DIR).filter((n) => n.startsWith(config.netnsPrefix) && !ownedNs.has(n)) : [];
  const links = (await tools.ipJson(['link', 'show', 'type', 'veth'])) as { ifname?: string }[];
  const stems = [config.bridge.vethStem, config.vpc.vethStem];
  const veths = links.map((l) => l.ifname ?? '').filter((n) => stems.some((s) => n.startsWith(s) && /^[0-9a-f]+$/.test(n.slice(s.length))) && !ownedVeth.has(n));
  return { netns, veths };
}

export async function removeLeftovers(config: NetworkConfig, tools: Tools, l: Leftovers): Promise<void> {
  if (l.veths.length) await tools.ipBatch(l.veths.map((v) => `link del dev ${v}`), { ...hostN(config), force: true, tolerate: true });
  if (l.netns.length) await tools.ipBatch(l.netns.map((n) => `netns del ${n}`), { force: true, tolerate: true });
}

/** Deletes both bridges and both nft tables. */
export async function removeHost(config: NetworkConfig, tools: Tools): Promise<void> {
  await tools.ipBatch([config.bridge, config.vpc].map((n) => `link del dev ${n.bridge}`), { ...hostN(config), force: true, tolerate: true });
  await tools.nft(dropTablesScript(config));
}

function hostN(config: NetworkConfig): { netns?: string } {
  return config.hostNetns ? { netns: config.hostNetns } : {};
}
