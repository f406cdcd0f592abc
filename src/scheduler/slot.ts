/**
 * A {@link Slot} is placement's working copy of one instance for one request: what it has
 * left after the tasks this request already put there. Only the instance a task was just
 * placed on changes, which is what lets the engine re-check one instance per placement
 * instead of the whole snapshot.
 */
import type { PlacementInstance } from './types.ts';

export class Slot {
  cpu: number;
  memory: number;
  eni: number;
  /** Pods' tasks on it. */
  pods: number;
  /** Tasks of the request's group on it (spread and distinctInstance count these). */
  groupCount: number;
  /** Tasks this request has placed on it. */
  placed = 0;
  private ports: ReadonlySet<string>;
  private ownPorts = false;
  private viewCache: PlacementInstance | undefined;

  readonly index: number;
  readonly instance: PlacementInstance;
  readonly group: string;

  constructor(index: number, instance: PlacementInstance, group: string) {
    this.index = index;
    this.instance = instance;
    this.group = group;
    this.cpu = instance.cpu;
    this.memory = instance.memory;
    this.eni = instance.eni;
    this.pods = instance.pods ?? 0;
    this.ports = instance.portsInUse;
    this.groupCount = instance.groups.get(group) ?? 0;
  }

  portInUse(port: string): boolean {
    return this.ports.has(port);
  }

  /** Takes what one task of `demand` reserves. */
  take(cpu: number, memory: number, eni: boolean, ports: readonly string[], pod = false): void {
    this.cpu -= cpu;
    this.memory -= memory;
    if (eni) this.eni -= 1;
    if (pod) this.pods += 1;
    if (ports.length > 0) {
      // Copy on first write: most instances never receive a task of this request.
      if (!this.ownPorts) { this.ports = new Set(this.ports); this.ownPorts = true; }
      for (const p of ports) (this.ports as Set<string>).add(p);
    }
    this.groupCount++;
    this.placed++;
    this.viewCache = undefined;
  }

  /** The instance as the query language sees it now: its groups and task count include this request's tasks. */
  view(): PlacementInstance {
    if (this.placed === 0) return this.instance;
    if (!this.viewCache) {
      const groups = new Map(this.instance.groups);
      groups.set(this.group, this.groupCount);
      this.viewCache = { ...this.instance, cpu: this.cpu, memory: this.memory, eni: this.eni, pods: this.pods, portsInUse: this.ports, groups, taskCount: this.instance.taskCount + this.placed };
    }
    return this.viewCache;
  }
}
