/**
 * The network manager: per-task networking on one host. Keeps the allocation state,
 * serializes work per task, persists before touching the kernel (so a crash leaves a record
 * to clean up from), and answers in ECS's terms.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { allocateTask, type AllocationInputs } from './allocate.ts';
import { applyHostGuards, ensureHost, findLeftovers, isStaleVeth, linkTask, namespacesExist, removeHost, removeLeftovers, removeStaleVeths, unlinkTask, type Leftovers } from './apply.ts';
import { cgroup2Exists } from './cgroup-path.ts';
import { resolveConfig, type NetworkConfig, type NetworkManagerOptions } from './config.ts';
import { hostPortsInUse } from './host-ports.ts';
import { withBatchedNft } from './nft-batch.ts';
import { taskNetwork } from './report.ts';
import { NetworkRequestError, normalizeRequest } from './request.ts';
import { loadState, saveState } from './state-file.ts';
import { emptyState, withTask, withoutTask, type NetworkState, type TaskRecord } from './state.ts';
import { createTools, type Tools } from './tools.ts';
import { serviceVips, type ServiceVips } from './service-vips.ts';
import type { TaskNetwork, TaskNetworkRequest } from './types.ts';

export interface ReattachReport {
  /** Tasks whose namespaces were missing or half-made and were rebuilt. */
  readonly repaired: readonly string[];
  /** Namespaces and veths with Berth's names that no task owned, now removed. */
  readonly removed: Leftovers;
}

export interface NetworkManager {
  readonly config: NetworkConfig;
  /** Things the operator should know: a corrupt state file moved aside, ip_forward turned on. */
  readonly warnings: readonly string[];
  /**
   * Creates the task's network, or returns the existing one: idempotent per task id.
   * On failure nothing of the task is left behind.
   */
  setupTask(request: TaskNetworkRequest): Promise<TaskNetwork>;
  /** Removes the task's namespaces, veths, nft elements and allocation; a no-op for an unknown task. */
  teardownTask(taskId: string): Promise<void>;
  getTask(taskId: string): TaskNetwork | undefined;
  listTasks(): TaskNetwork[];
  /** After a restart: rebuilds tasks whose kernel objects are missing and removes orphans. */
  reattach(): Promise<ReattachReport>;
  /** Removes every task, both bridges and the nft tables (tests, uninstall). */
  cleanupAll(): Promise<void>;
  /** The node's service virtual IPs (service-vips.ts): Kubernetes Services of the EKS cluster the host is a node of. */
  readonly services: ServiceVips;
  /** Waits for pending work and state writes. */
  close(): Promise<void>;
}

/** Loads the state and brings up the host side (bridges, sysctls, nft tables). */
export async function createNetworkManager(options: NetworkManagerOptions): Promise<NetworkManager> {
  const config = resolveConfig(options);
  const tools = withBatchedNft(createTools(config.hostNetns));
  await tools.check();
  const loaded = loadState(config.stateDir);
  const m = new Manager(config, tools, loaded.state, options.portsInUse ?? (() => hostPortsInUse()));
  if (loaded.warning) m.warnings.push(loaded.warning);
  await m.ensureHostOnce();
  return m;
}

class Manager implements NetworkManager {
  readonly config: NetworkConfig;
  readonly warnings: string[] = [];
  readonly #tools: Tools;
  readonly services: ServiceVips;
  readonly #portsInUse: () => ReadonlySet<string>;
  readonly #queues = new Map<string, Promise<unknown>>();
  #state: NetworkState;
  #host: Promise<void> | undefined;

  constructor(config: NetworkConfig, tools: Tools, state: NetworkState, portsInUse: () => ReadonlySet<string>) {
    this.config = config;
    this.#tools = tools;
    this.services = serviceVips(config, tools);
    this.#state = state;
    this.#portsInUse = portsInUse;
  }

  ensureHostOnce(): Promise<void> {
    this.#host ??= ensureHost(this.config, this.#tools, this.#state).then(
      (r) => {
        if (r.enabledIpForward) this.warnings.push('net.ipv4.ip_forward was 0; set it to 1 (bridge NAT and awsvpc routing need it)');
      },
      (err: unknown) => {
        this.#host = undefined;
        throw err;
      },
    );
    return this.#host;
  }

  setupTask(request: TaskNetworkRequest): Promise<TaskNetwork> {
    const req = normalizeRequest(request);
    return this.#serial(req.taskId, async () => {
      await this.ensureHostOnce();
      const before = this.#state;
      const { state, record } = allocateTask(before, this.config, req, this.#inputs(req.ports.some((p) => p.hostPort === undefined)));
      if (record.phase === 'ready' && namespacesExist(record)) return taskNetwork(this.config, record);
      this.#state = state;
      if (record.mode === 'host') return this.#guardHostTask(record, state !== before);
      if (state !== before) {
        saveState(this.config.stateDir, this.#state);
      } else {
        await unlinkTask(this.config, this.#tools, record); // half-made (a crash) or gone (a reboot)
      }
      try {
        await this.#link(record);
      } catch (err) {
        await unlinkTask(this.config, this.#tools, record).catch(() => undefined);
        this.#state = withoutTask(this.#state, record.taskId);
        saveState(this.config.stateDir, this.#state);
        throw err;
      }
      return this.#markReady(record);
    });
  }

  teardownTask(taskId: string): Promise<void> {
    return this.#serial(taskId, async () => {
      const record = this.#state.tasks[taskId];
      if (!record) return;
      await unlinkTask(this.config, this.#tools, record);
      this.#state = withoutTask(this.#state, taskId);
      saveState(this.config.stateDir, this.#state);
      if (record.hostGuard) await applyHostGuards(this.config, this.#tools, () => this.#state);
    });
  }

  getTask(taskId: string): TaskNetwork | undefined {
    const r = this.#state.tasks[taskId];
    return r && taskNetwork(this.config, r);
  }

  listTasks(): TaskNetwork[] {
    return Object.values(this.#state.tasks).map((r) => taskNetwork(this.config, r));
  }

  async reattach(): Promise<ReattachReport> {
    await this.ensureHostOnce();
    const repaired: string[] = [];
    for (const record of Object.values(this.#state.tasks)) {
      if (record.endpoints.length === 0 || (record.phase === 'ready' && namespacesExist(record))) continue;
      await this.#serial(record.taskId, async () => {
        const current = this.#state.tasks[record.taskId];
        if (!current) return; // torn down meanwhile
        await unlinkTask(this.config, this.#tools, current);
        await this.#link(current);
        await this.#markReady(current);
        repaired.push(current.taskId);
      });
    }
    const removed = await findLeftovers(this.config, this.#tools, this.#state);
    await removeLeftovers(this.config, this.#tools, removed);
    return { repaired, removed };
  }

  async cleanupAll(): Promise<void> {
    await Promise.all(Object.keys(this.#state.tasks).map((id) => this.teardownTask(id)));
    await removeLeftovers(this.config, this.#tools, await findLeftovers(this.config, this.#tools, emptyState()));
    await removeHost(this.config, this.#tools);
    await this.services.drop();
    this.#host = undefined;
    this.#state = emptyState();
    saveState(this.config.stateDir, this.#state);
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.#queues.values()]);
  }

  /**
   * Host mode has no namespace to make: its network is the host's, and what is set up is
   * the task's place in the loopback guard. The record is saved first (as every task's),
   * so a crash before the guard loads leaves it to the next start's rebuild.
   */
  async #guardHostTask(record: TaskRecord, isNew: boolean): Promise<TaskNetwork> {
    if (isNew) saveState(this.config.stateDir, this.#state);
    try {
      // The rewrite leaves out cgroups that are gone; this task's must be there, or it would
      // run unguarded.
      const cgroup = record.hostGuard?.cgroup;
      if (cgroup === undefined || !cgroup2Exists(cgroup)) throw new NetworkRequestError(`task ${record.taskId}: its cgroup ${cgroup ?? '(none)'} does not exist; make it before the network (the loopback guard names it)`);
      await applyHostGuards(this.config, this.#tools, () => this.#state);
    } catch (err) {
      this.#state = withoutTask(this.#state, record.taskId);
      saveState(this.config.stateDir, this.#state);
      throw err;
    }
    return this.#markReady(record);
  }

  /** Links the task; a veth left by a namespace someone still held is removed and linking retried once. */
  async #link(record: TaskRecord): Promise<void> {
    try {
      await linkTask(this.config, this.#tools, record);
    } catch (err) {
      if (!isStaleVeth(err)) throw err;
      await unlinkTask(this.config, this.#tools, record);
      await removeStaleVeths(this.config, this.#tools, record);
      await linkTask(this.config, this.#tools, record);
    }
  }

  async #markReady(record: TaskRecord): Promise<TaskNetwork> {
    const ready: TaskRecord = { ...record, phase: 'ready' };
    this.#state = withTask(this.#state, ready);
    saveState(this.config.stateDir, this.#state);
    return taskNetwork(this.config, ready);
  }

  #inputs(needsBusyPorts: boolean): AllocationInputs {
    return {
      busyPorts: needsBusyPorts ? this.#portsInUse() : new Set(),
      randomHex: (n) => randomBytes(Math.ceil(n / 2)).toString('hex').slice(0, n),
      randomUuid: randomUUID,
    };
  }

  /** Runs `work` after every earlier operation on the same task has settled. */
  #serial<T>(taskId: string, work: () => Promise<T>): Promise<T> {
    const prev = this.#queues.get(taskId) ?? Promise.resolve();
    const next = prev.catch(() => undefined).then(work);
    this.#queues.set(taskId, next);
    void next.catch(() => undefined).then(() => {
      if (this.#queues.get(taskId) === next) this.#queues.delete(taskId);
    });
    return next;
  }
}
