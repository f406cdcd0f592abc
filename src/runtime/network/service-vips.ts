/**
 * Applies a node's service virtual IPs (service-vip-plan.ts) to its own nft table,
 * `<nftTable>_svc`: the first set, or one after the cluster DNS address changed, makes the
 * table afresh with every service in one transaction; each later set changes only the
 * service ports that differ, also in one transaction. Sets are applied one at a time, in
 * order. A change nft refuses (the table changed under it) is applied again as a whole table.
 */
import type { NetworkConfig } from './config.ts';
import { dropServiceTableScript, fullServiceScript, serviceChangeScript, type ServiceTableOptions, type VirtualService } from './service-vip-plan.ts';
import type { Tools } from './tools.ts';

export interface ServiceVips {
  /** The table's name in the host namespace. */
  readonly table: string;
  /** Makes the node's services exactly `services` (null: no table at all, even one an earlier agent left); `dns` routes the cluster DNS address to the node's resolver. */
  set(services: readonly VirtualService[] | null, dns?: ServiceTableOptions['dns']): Promise<void>;
  /** Removes the table (the agent's shutdown, host cleanup). */
  drop(): Promise<void>;
}

/** The service table of an agent whose main table is `nftTable` (`berth` → `berth_svc`, service-vip-plan's SERVICE_TABLE). */
export const serviceTableName = (nftTable: string): string => `${nftTable}_svc`;

export function serviceVips(config: NetworkConfig, tools: Tools): ServiceVips {
  const table = serviceTableName(config.nftTable);
  const taskSubnets = [config.bridge.subnet.cidr, config.vpc.subnet.cidr];
  /** What the kernel holds, by service port id; undefined: no table. Bounded by the cluster's service ports. */
  let applied: Map<string, VirtualService> | undefined;
  let appliedDns = '';
  let queue: Promise<void> = Promise.resolve();

  const apply = async (services: readonly VirtualService[] | null, dns: ServiceTableOptions['dns']): Promise<void> => {
    if (services === null) {
      // Whether or not this process made it: a table an earlier agent left goes too.
      await tools.nft(dropServiceTableScript(table), { tolerate: true });
      applied = undefined;
      return;
    }
    const next = new Map(services.map((s) => [s.id, s]));
    const dnsKey = JSON.stringify(dns ?? null);
    const whole = async () => {
      await tools.nft(fullServiceScript({ table, taskSubnets, ...(dns && { dns }) }, services));
      applied = next;
      appliedDns = dnsKey;
    };
    if (!applied || dnsKey !== appliedDns) return whole();
    let script = '';
    for (const [id, before] of applied) {
      const after = next.get(id);
      if (!after || JSON.stringify(after) !== JSON.stringify(before)) script += serviceChangeScript(before, after, table);
    }
    for (const [id, after] of next) if (!applied.has(id)) script += serviceChangeScript(undefined, after, table);
    if (script === '') return;
    const r = await tools.nft(script, { tolerate: true });
    if (r.code === 0) applied = next;
    else await whole();
  };

  return {
    table,
    set(services, dns) {
      const run = queue.then(() => apply(services, dns));
      queue = run.catch(() => undefined);
      return run;
    },
    drop() {
      return this.set(null);
    },
  };
}
