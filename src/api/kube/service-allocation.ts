/**
 * Cluster IPs and node ports of Services, allocated in the same store transaction as the
 * Service's own write: each address and port in use is a key of its own under the cluster
 * (`…/alloc/serviceips/<ip>`, `…/alloc/nodeports/<port>`), created with a "must not exist"
 * condition, so two services never share one even when created at once (the loser's
 * transaction fails and the storage retries with a fresh choice), and deleted in the
 * transaction that deletes the Service. The choice itself is core's (core/kube/service-ips.ts).
 *
 *   create/update svc ──▶ GenericStorage ──▶ beforeWrite: used set (one prefix read) ─▶ allocate
 *                              │                   └─▶ { if: key absent, ops: put key }  ─┐
 *                              └── txn: [object put] + allocation puts / releases ◀───────┘
 */
import type { Condition, Op, Store } from '../../store/store.ts';
import { eachKey } from '../../store/json.ts';
import { allocateClusterIP, allocateNodePort, parseRange, type Allocation, type Ipv4Range } from '../../core/kube/service-ips.ts';
import { DEFAULT_SERVICE_CIDR } from '../../core/eks/cluster.ts';
import type { KindInfo } from './kinds.ts';
import type { Obj } from './kind-rules.ts';
import { clusterRoot } from './keys.ts';
import { invalid } from './status.ts';
import { needsClusterIP, needsNodePorts, type ServiceSpec } from './service-rules.ts';

/** What commits with an object's write: conditions and operations added to its transaction. */
export interface WriteEffects {
  readonly if: Condition[];
  readonly ops: Op[];
}

/** Per-kind work that must commit atomically with the kind's writes (allocations, releases). */
export interface KindHooks {
  /** After defaulting and validation, before the transaction: may fill fields of `next`; throws a StatusError to refuse. */
  beforeWrite(kind: KindInfo, next: Obj, old: Obj | undefined): Promise<WriteEffects>;
  /** Operations that commit with the object's deletion. */
  onDelete(kind: KindInfo, last: Obj): Op[];
}

const allocRoot = (uid: string): string => `${clusterRoot(uid)}alloc/`;
export const serviceIpKey = (uid: string, ip: string): string => `${allocRoot(uid)}serviceips/${ip}`;
export const nodePortKey = (uid: string, port: number): string => `${allocRoot(uid)}nodeports/${port}`;

const specOf = (o: Obj | undefined): ServiceSpec => (o?.spec ?? {}) as ServiceSpec;

function clusterIPOf(o: Obj | undefined): string | undefined {
  const s = specOf(o);
  return o && needsClusterIP(s) && s.clusterIP !== undefined && s.clusterIP !== '' ? s.clusterIP : undefined;
}

function nodePortsOf(o: Obj | undefined): number[] {
  const s = specOf(o);
  if (!o || !needsNodePorts(s)) return [];
  return (s.ports ?? []).map((p) => p.nodePort).filter((n): n is number => typeof n === 'number' && n > 0);
}

export class ServiceAllocator implements KindHooks {
  readonly #store: Store;
  readonly #uid: string;
  readonly #rng: () => number;
  readonly range: Ipv4Range;

  constructor(store: Store, clusterUid: string, serviceIpv4Cidr: string | undefined, rng: () => number) {
    this.#store = store;
    this.#uid = clusterUid;
    this.#rng = rng;
    this.range = parseRange(serviceIpv4Cidr ?? DEFAULT_SERVICE_CIDR);
  }

  async #used(kind: 'serviceips' | 'nodeports'): Promise<Set<string>> {
    const prefix = `${allocRoot(this.#uid)}${kind}/`;
    const used = new Set<string>();
    await eachKey(this.#store, prefix, (kv) => used.add(kv.key.slice(prefix.length)));
    return used;
  }

  #owner(o: Obj): string {
    return JSON.stringify({ namespace: o.metadata.namespace, name: o.metadata.name });
  }

  #refuse(o: Obj, a: Extract<Allocation<unknown>, { field: string }>): never {
    const value = Array.isArray(a.value) ? `[]string{${a.value.map((v) => JSON.stringify(v)).join(', ')}}` : JSON.stringify(a.value);
    throw invalid('', 'Service', o.metadata.name ?? '', [{ reason: 'FieldValueInvalid', field: a.field, message: `Invalid value: ${value}: ${a.message}` }]);
  }

  async beforeWrite(_kind: KindInfo, next: Obj, old: Obj | undefined): Promise<WriteEffects> {
    const effects: WriteEffects = { if: [], ops: [] };
    const spec = specOf(next);
    const had = clusterIPOf(old);
    if (needsClusterIP(spec)) {
      if (had === undefined || spec.clusterIP !== had) {
        const a = allocateClusterIP(this.range, await this.#used('serviceips'), this.#rng, spec.clusterIP);
        if (!('ok' in a)) this.#refuse(next, a);
        spec.clusterIP = a.ok;
        spec.clusterIPs = [a.ok];
        const key = serviceIpKey(this.#uid, a.ok);
        effects.if.push({ key, modRevision: 0 });
        effects.ops.push({ type: 'put', key, value: this.#owner(next) });
        if (had !== undefined) effects.ops.push({ type: 'delete', key: serviceIpKey(this.#uid, had) });
      }
    } else if (had !== undefined) {
      effects.ops.push({ type: 'delete', key: serviceIpKey(this.#uid, had) });
    }
    const before = new Set(nodePortsOf(old));
    const kept = new Set<number>();
    if (needsNodePorts(spec)) {
      let used: Set<number> | undefined;
      for (const [i, p] of (spec.ports ?? []).entries()) {
        const asked = typeof p.nodePort === 'number' ? p.nodePort : undefined;
        if (asked !== undefined && before.has(asked) && !kept.has(asked)) {
          kept.add(asked);
          continue;
        }
        used ??= new Set([...(await this.#used('nodeports'))].map(Number));
        const a = allocateNodePort(used, this.#rng, i, asked);
        if (!('ok' in a)) this.#refuse(next, a);
        p.nodePort = a.ok;
        used.add(a.ok);
        const key = nodePortKey(this.#uid, a.ok);
        effects.if.push({ key, modRevision: 0 });
        effects.ops.push({ type: 'put', key, value: this.#owner(next) });
      }
    }
    for (const port of before) if (!kept.has(port)) effects.ops.push({ type: 'delete', key: nodePortKey(this.#uid, port) });
    return effects;
  }

  onDelete(_kind: KindInfo, last: Obj): Op[] {
    const ip = clusterIPOf(last);
    return [
      ...(ip !== undefined ? [{ type: 'delete' as const, key: serviceIpKey(this.#uid, ip) }] : []),
      ...nodePortsOf(last).map((port) => ({ type: 'delete' as const, key: nodePortKey(this.#uid, port) })),
    ];
  }
}
