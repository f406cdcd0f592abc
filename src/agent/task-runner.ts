import { mkdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { replaceFileSync } from '../lib/replace-file.ts';
import type { TaskSpec } from '../core/workload/spec.ts';
import type { StatusReport } from '../core/workload/report.ts';
import type { StopCode, TaskStatus } from '../core/ecs/task-lifecycle.ts';
import type { ImageStore } from '../images/image-store.ts';
import type { RegistryCredentials } from '../images/registry-auth.ts';
import { applyTaskCgroup, removeCgroups, stopTimeoutSeconds, type ExitStatus, type NetworkSetting, type OciRuntime } from '../runtime/container/index.ts';
import type { FoundContainer, SandboxBackend, TaskContainer, TaskSandbox } from '../runtime/sandbox/index.ts';
import type { ContainerConfig } from '../oci/media-types.ts';
import type { NetworkManager } from '../runtime/network/index.ts';
import type { TaskNetwork } from '../runtime/network/types.ts';
import { decideStarts, stopOrder, type ContainerFacts } from './container-order.ts';
import type { EnvVar, S3ObjectReader } from './env-files.ts';
import { imageOf, loadEnvironment, prepareFiles } from './task-files.ts';
import { healthSpec, startHealthChecks, taskHealth } from './health.ts';
import type { AwslogsTransport } from './awslogs/driver.ts';
import { TaskAwslogs } from './awslogs/task-logs.ts';
import type { Assignment } from './protocol.ts';
import { CGROUP_PARENT, cgroupsPath, runtimeId, taskCgroupPath, taskLayout } from './task-layout.ts';
import { taskPidsLimit } from './task-pids-limit.ts';
import { backendFor, sandboxTask } from './task-sandbox.ts';
import { ESSENTIAL_EXIT_REASON, OOM_REASON, StartFailure } from './task-failure.ts';
import { containerNetwork, probeAddress, taskHostname } from './task-network.ts';
import { containerReports, type Slot } from './task-slot.ts';
import { taskMounts } from './volumes.ts';
import { runtimeFields } from './runtime-fields.ts';
import type { PlacedFacts } from '../core/kube/pod/env.ts';
import { placedEnv, placedVolumes } from '../core/kube/pod/placed-env.ts';
import { fargatePlacedFacts, isFargatePod } from '../core/kube/fargate-node.ts';
import { readRestarts, writeRestarts } from './restart-history.ts';
import { ALL_EXITED_REASON, allExited, beginRestart, planRestart, restartsOf } from './slot-restart.ts';
import { probeSlot } from './probes/slot-probes.ts';
import { keepPreviousLog } from './log-stream.ts';
import { portRoute, type PortRoute } from './port-forwards.ts';

export interface RunnerDeps {
  images: ImageStore;
  network: NetworkManager;
  runtime: OciRuntime;
  tasksDir: string;
  /** For the task's execution role when it has one (the pull is made as that role). */
  credentialsFor(reference: string, taskArn?: string): Promise<RegistryCredentials | undefined>;
  report(r: StatusReport): void;
  log(line: string): void;
  now(): number;
  /** Reads environment files from S3: the control plane's S3, at the endpoint the agent joined. */
  envFiles: S3ObjectReader;
  /** ECS_TASK_PIDS_LIMIT: pids.max of each task's cgroup (Fargate tasks get Fargate's); undefined for none. */
  taskPidsLimit?: number | undefined;
  /** The boundary Fargate tasks get on this host (detectIsolation()); without one they run as EC2 tasks do. */
  fargateSandbox?: SandboxBackend | undefined;
  /** Delivers `awslogs` containers' output to the control plane (src/agent/awslogs). */
  awslogs?: AwslogsTransport | undefined;
  /** What the agent adds to a container's environment: the task endpoint's URIs (metadata/ids.ts), Berth's AWS endpoint and region (metadata/aws-relay.ts). */
  endpointEnvironment?: ((taskArn: string, container: string) => EnvVar[]) | undefined;
  /** This host as its node shows it: what a pod's placement-only env vars read (core/kube/pod/placed-env.ts), the pod's IP aside. */
  podNode?: (() => Omit<PlacedFacts, 'podIP'>) | undefined;
}

/** What the task metadata endpoint reads of a runner (metadata/runner-facts.ts makes its view of it). */
export interface RunnerFacts {
  readonly assignment: Assignment;
  readonly status: TaskStatus;
  readonly slots: readonly Readonly<Slot>[];
  readonly net: TaskNetwork | undefined;
  readonly pullStartedAt: number | undefined;
  readonly pullStoppedAt: number | undefined;
  readonly taskDir: string;
  /** The boundary its containers got (a gVisor sandbox's share the task's cgroup). */
  readonly isolation: string | undefined;
}


/**
 * One task on this host, from assignment to STOPPED: network, image pulls, containers
 * started in dependsOn order, health checks, exits, and the stop (containers stopped in
 * reverse dependency order, each with its stopTimeout), reporting every step as ECS
 * reports it. A runner can also adopt a task whose containers a previous agent started.
 */
export class TaskRunner {
  readonly taskArn: string;
  readonly taskId: string;
  #assignment: Assignment;
  readonly #deps: RunnerDeps;
  readonly #layout: ReturnType<typeof taskLayout>;
  readonly #slots: Map<string, Slot>;
  #status: TaskStatus = 'PROVISIONING';
  #net: TaskNetwork | undefined;
  /** The task's boundary, once made (after the network: a sandbox takes the task's interfaces over). */
  #sandbox: TaskSandbox | undefined;
  #stopping: Promise<void> | undefined;
  #stopCode: StopCode | undefined;
  #stoppedReason: string | undefined;
  #pullStartedAt: number | undefined;
  #pullStoppedAt: number | undefined;
  #done = false;
  /** Container starts under way: a stop waits for them, so no container starts after it. */
  readonly #starting = new Set<Promise<void>>();
  /** Aborted when the agent shuts down: its containers run on, unwatched, for the next agent. */
  readonly #detached = new AbortController();
  /** The awslogs drivers of the task's containers. */
  readonly #awslogs: TaskAwslogs;

  constructor(assignment: Assignment, deps: RunnerDeps) {
    this.#assignment = assignment;
    this.taskArn = assignment.spec.ecs.taskArn;
    this.taskId = this.taskArn.slice(this.taskArn.lastIndexOf('/') + 1);
    this.#deps = deps;
    this.#layout = taskLayout(deps.tasksDir, this.taskId);
    this.#awslogs = new TaskAwslogs(this.taskArn, assignment.logDriverMode, deps.awslogs, deps.log, deps.now);
    // Restarts an earlier agent made of these containers go on being counted (restart-history.ts).
    const saved = readRestarts(this.#layout.dir);
    this.#slots = new Map(assignment.spec.containers.map((spec) => [spec.name, {
      spec, essential: spec.essential, state: 'waiting', health: 'UNKNOWN', unhealthy: false,
      restarts: saved[spec.name]?.restarts ?? { count: 0 },
      ...(saved[spec.name]?.lastTermination && { lastTermination: saved[spec.name]!.lastTermination }),
    }]));
  }

  get done(): boolean {
    return this.#done;
  }

  /** What the control plane last asked of the task. */
  get spec(): TaskSpec {
    return this.#assignment.spec;
  }

  facts(): RunnerFacts {
    return {
      assignment: this.#assignment, status: this.#status, slots: [...this.#slots.values()], net: this.#net,
      pullStartedAt: this.#pullStartedAt, pullStoppedAt: this.#pullStoppedAt, taskDir: this.#layout.dir,
      isolation: this.#sandbox?.isolation,
    };
  }

  containerOf(name: string | undefined): TaskContainer | undefined {
    const slot = name ? this.#slots.get(name) : [...this.#slots.values()][0];
    return slot?.container;
  }

  /** A container's log (the first container's without a name); `previous`: its run before the last restart in place, a pod's only. */
  logPath(name: string | undefined, previous = false): string | undefined {
    const first = name ?? [...this.#slots.keys()][0];
    if (!first || !this.#slots.has(first)) return undefined;
    return previous ? this.#layout.previousLog(first) : this.#layout.log(first);
  }

  /** How `kubectl port-forward` reaches this task's ports (port-forwards.ts), or why it cannot. */
  portRoute(): PortRoute | string {
    return portRoute(this.#net, this.#sandbox?.isolation === 'gvisor');
  }

  /** A new desired state from the control plane. */
  update(a: Assignment): void {
    this.#assignment = a;
    if (a.spec.desiredStatus === 'STOPPED') void this.stop();
  }

  /** Runs a new task. */
  async launch(): Promise<void> {
    this.#persist();
    if (this.spec.desiredStatus === 'STOPPED') return this.stop();
    try {
      this.#applyTaskCgroup();
      // The network and the containers' files do not depend on each other: set them up
      // side by side (with a cached image, the rootfs mount overlaps the network's ~8 ms).
      const preparing = prepareFiles([...this.#slots.values()], this.#deps, this.taskArn, (name) => this.#layout.rootfs(name), (edge, at) => {
        if (edge === 'started') this.#pullStartedAt = at;
        else this.#pullStoppedAt = at;
      });
      // A stop meanwhile waits for it, as for container starts: it must not unmount first.
      const settled = preparing.then(() => undefined, () => undefined);
      this.#starting.add(settled);
      void settled.then(() => this.#starting.delete(settled));
      // The task's boundary needs its network (a sandbox takes the task's interfaces over),
      // not its files: a sandbox starts (~0.3 s) while the images are pulled and mounted.
      const boundary = this.#deps.network.setupTask({
        taskId: this.taskId,
        mode: this.spec.network.mode,
        containers: this.spec.containers.map((c) => ({ name: c.name, portMappings: c.ports })),
        // Host mode's loopback guard tells the task's sockets by it (made just above).
        cgroup: taskCgroupPath(this.taskId),
      }).then(async (net) => {
        this.#net = net;
        this.#sandbox = await backendFor(this.spec, this.#deps.fargateSandbox).open(sandboxTask(this.spec, this.taskId, this.#layout.dir, net, this.#hostname())).catch((e: Error) => {
          throw new StartFailure(`CannotStartContainerError: the task's ${this.spec.launchType === 'FARGATE' ? 'sandbox' : 'boundary'}: ${e.message}`);
        });
      });
      // A stop meanwhile waits for it too: it must not miss a sandbox still being made.
      const made = boundary.then(() => undefined, () => undefined);
      this.#starting.add(made);
      void made.then(() => this.#starting.delete(made));
      const [net, files] = await Promise.allSettled([boundary, preparing]);
      if (net.status === 'rejected') throw net.reason;
      if (files.status === 'rejected') throw files.reason;
      this.#report('PENDING');
      this.#report('ACTIVATING');
      await this.#startWhatCan();
    } catch (e) {
      await this.#failStart(e);
    }
  }

  /** The task's cgroup and its limits (made at launch, and again before a restart: the last container's delete removes it). */
  #applyTaskCgroup(): void {
    try {
      applyTaskCgroup(taskCgroupPath(this.taskId), { pidsMax: taskPidsLimit(this.spec, this.#deps.taskPidsLimit) });
    } catch (e) {
      throw new StartFailure(`CannotStartContainerError: task cgroup: ${(e as Error).message}`);
    }
  }

  /**
   * Takes over a task whose containers a previous agent process started (after kill -9):
   * those the container module found, or the task's sandbox and the containers in it.
   */
  async adopt(found: ReadonlyMap<string, FoundContainer>): Promise<void> {
    this.#net = this.#deps.network.getTask(this.taskId);
    const backend = backendFor(this.spec, this.#deps.fargateSandbox);
    const inSandbox = await backend.reattach(sandboxTask(this.spec, this.taskId, this.#layout.dir, this.#net, this.#hostname()), [...this.#slots.keys()]);
    if (inSandbox) found = inSandbox.found;
    // No sandbox left (the agent died before it was made): containers not started yet get a new one.
    this.#sandbox = inSandbox?.sandbox ?? await backend.open(sandboxTask(this.spec, this.taskId, this.#layout.dir, this.#net, this.#hostname())).catch(() => undefined);
    const exited: Slot[] = [];
    for (const [name, r] of found) {
      const slot = this.#slots.get(name);
      if (!slot) continue;
      slot.container = r.container;
      this.#awslogs.follow(slot.spec, r.container.id, this.#layout.log(name), this.#logFormat());
      slot.rootfs = await this.#deps.images.mountRootfs(await imageOf(slot, this.#deps, this.taskArn), this.#layout.rootfs(name)).catch(() => undefined);
      if (r.state === 'running') {
        slot.state = 'running';
        this.#watch(slot);
        this.#probe(slot);
      } else if (r.state === 'created') {
        slot.state = 'starting';
        await r.container.start();
        slot.state = 'running';
        this.#watch(slot);
        this.#probe(slot);
      } else {
        slot.state = 'exited';
        slot.exit = r.state === 'exited' ? r.exit : undefined;
        if (r.state === 'lost') slot.reason = `The container ended while its agent was away: ${r.reason}`;
        exited.push(slot);
      }
    }
    this.#status = 'ACTIVATING';
    if (this.spec.desiredStatus === 'STOPPED') return this.stop();
    for (const slot of exited) this.#exited(slot);
    if (!this.#stopping) await this.#startWhatCan().catch((e: unknown) => this.#failStart(e));
    this.#report(this.#status);
  }

  /**
   * Lets go of the task's containers without stopping them (the agent is shutting down;
   * the next one adopts them): no more exit watches or health checks.
   */
  detach(): void {
    this.#detached.abort();
    this.#awslogs.stop();
    for (const slot of this.#slots.values()) this.#unwatch(slot);
  }

  /** Stops the task: dependents first, each container with its stopTimeout; then cleans up. */
  stop(code?: StopCode, reason?: string): Promise<void> {
    if (this.#stopping) return this.#stopping;
    this.#stopCode ??= code;
    this.#stoppedReason ??= reason;
    this.#stopping = this.#stop();
    return this.#stopping;
  }

  async #stop(): Promise<void> {
    for (const s of this.#slots.values()) this.#unwatch(s);
    await Promise.allSettled([...this.#starting]);
    for (const s of this.#slots.values()) this.#unwatch(s);
    this.#report('STOPPING');
    for (const group of stopOrder(this.spec.containers)) {
      await Promise.all(group.map(async (name) => {
        const slot = this.#slots.get(name)!;
        if (!slot.container || slot.state === 'exited') return;
        const exit = await slot.container.stop(stopTimeoutSeconds(slot.spec.stopTimeout)).catch(() => slot.container!.exitStatus());
        if (exit) this.#recordExit(slot, exit);
        slot.state = 'exited';
      }));
    }
    // AWS's executionStoppedAt: when the task's containers had stopped, not when its
    // resources were given back (a sandbox's teardown takes seconds).
    const executionStoppedAt = this.#deps.now() / 1000;
    this.#report('DEPROVISIONING');
    // What the containers wrote last reaches their log groups before the task is STOPPED.
    await this.#awslogs.drain();
    for (const slot of this.#slots.values()) {
      if (slot.state !== 'exited') slot.state = 'exited';
      await slot.container?.delete().catch((e: Error) => this.#deps.log(`${this.taskId}: delete ${slot.spec.name}: ${e.message}`));
      await this.#deps.images.unmountRootfs(this.#layout.rootfs(slot.spec.name)).catch(() => undefined);
    }
    // The sandbox gives the task's interfaces back only as it goes: before the network.
    await this.#sandbox?.destroy().catch((e: Error) => this.#deps.log(`${this.taskId}: sandbox: ${e.message}`));
    await this.#deps.network.teardownTask(this.taskId).catch((e: Error) => this.#deps.log(`${this.taskId}: network teardown: ${e.message}`));
    // The containers' deletes removed it with the last of them; not if none was created.
    removeCgroups(taskCgroupPath(this.taskId), CGROUP_PARENT);
    // Off the event loop: a task's upper layer can be large, and other tasks are starting.
    await Promise.all([rm(`${this.#layout.dir}/containers`, { recursive: true, force: true }), rm(`${this.#layout.dir}/rootfs`, { recursive: true, force: true })]);
    this.#report('STOPPED', { executionStoppedAt });
    this.#done = true;
  }

  async #startWhatCan(): Promise<void> {
    if (this.#stopping) return;
    const facts = new Map<string, ContainerFacts>([...this.#slots].map(([n, s]) => [n, {
      state: s.restartTimer ? 'running' : s.state, ...(s.exit && !s.restartTimer && { exitCode: s.exit.exitCode }), healthy: s.health === 'HEALTHY', unhealthy: s.unhealthy,
    }]));
    const { start, blocked } = decideStarts(this.spec.containers, facts);
    for (const b of blocked) {
      const slot = this.#slots.get(b.name)!;
      slot.state = 'exited';
      slot.reason = `CannotStartContainerError: ${b.reason}`;
      if (slot.essential) throw new StartFailure(`Essential container ${b.name} cannot start: ${b.reason}`, b.name);
    }
    await Promise.all(start.map((name) => {
      const p = this.#start(this.#slots.get(name)!);
      this.#starting.add(p);
      return p.finally(() => this.#starting.delete(p));
    }));
    this.#maybeRunning();
  }

  async #start(slot: Slot): Promise<void> {
    slot.state = 'starting';
    const name = slot.spec.name;
    // Loaded at launch; a task adopted after an agent restart reads them again here.
    await loadEnvironment(slot, this.#deps.envFiles);
    try {
      const image = await imageOf(slot, this.#deps, this.taskArn);
      slot.rootfs ??= await this.#deps.images.mountRootfs(image, this.#layout.rootfs(name));
      mkdirSync(`${this.#layout.dir}/logs`, { recursive: true });
      // A pod's downwardAPI files that read its node are written here, placed, as its env is below.
      const placed = this.spec.kube && this.#deps.podNode ? this.#placedFacts(this.#deps.podNode()) : undefined;
      const mounts = taskMounts(placed ? { ...this.spec, volumes: placedVolumes(this.spec, placed) } : this.spec, name, this.#layout);
      if (!this.#sandbox) throw new Error('the task has no boundary to create containers in');
      await this.#awslogs.prepare(slot.spec, runtimeId(this.taskId, name));
      const injected = this.#deps.endpointEnvironment?.(this.taskArn, name) ?? [];
      const made = slot.environment ?? slot.spec.env;
      // A pod's vars that read its node or addresses are known only here, its network up (as on a kubelet).
      const own = placed ? placedEnv(this.spec, name, made, placed) : made;
      // What the definition (or its files, or the run's overrides) sets wins over what the agent adds.
      const named = new Set(own.map((e) => e.name));
      const environment = [...own, ...injected.filter((e) => !named.has(e.name))];
      slot.createdAt = this.#deps.now();
      slot.container = await this.#sandbox.createContainer({
        // gVisor remembers a member's id inside its sandbox after the member is deleted (a new
        // one of the same id fails to mount its cgroups): a run started again there gets its own.
        id: runtimeId(this.taskId, name) + (this.#sandbox.isolation === 'gvisor' && slot.restarts.count > 0 ? `.r${slot.restarts.count}` : ''),
        rootfsPath: slot.rootfs.rootfs,
        image: image.config as ContainerConfig,
        definition: runtimeFields(slot.spec, environment),
        cgroupsPath: cgroupsPath(this.taskId, name),
        cgroupParent: CGROUP_PARENT,
        network: this.#networkFor(name),
        defaultHostname: this.#hostname(),
        mounts,
        stateDir: this.#layout.containerState(name),
        runtime: this.#deps.runtime,
        logPath: this.#layout.log(name),
        logSizeMax: this.#awslogs.logSizeMax(slot.spec),
      });
      await slot.container.start();
      slot.startedAt = this.#deps.now();
    } catch (e) {
      const message = (e as Error).message;
      throw new StartFailure(message.startsWith('CannotStartContainerError:') ? message : `CannotStartContainerError: ${message}`, name);
    }
    this.#awslogs.follow(slot.spec, slot.container.id, this.#layout.log(name), this.#logFormat());
    slot.state = 'running';
    this.#watch(slot);
    const check = slot.spec.healthCheck;
    if (check && check.command[0] !== 'NONE') {
      const container = slot.container;
      slot.checks = startHealthChecks(healthSpec(check), async (argv, timeoutMs) => (await container.exec(argv, { timeoutMs })).exitCode === 0, (status) => {
        slot.health = status;
        slot.unhealthy = status === 'UNHEALTHY';
        this.#report(this.#status);
        void this.#startWhatCan().catch((e: unknown) => this.#failStart(e));
      });
    }
    this.#probe(slot);
  }

  #probe(slot: Slot): void {
    if (!slot.spec.probes) return;
    probeSlot(slot, probeAddress(this.#net, slot.spec.name), { now: this.#deps.now, log: (l) => this.#deps.log(`${this.taskId}: ${l}`), changed: () => this.#report(this.#status) });
  }

  /** Stops the slot's health checks, probes and any restart it waits for. */
  #unwatch(slot: Slot): void {
    slot.checks?.stop();
    slot.probes?.stop();
    clearTimeout(slot.restartTimer);
    slot.restartTimer = undefined;
  }

  #watch(slot: Slot): void {
    slot.watchedSince = this.#deps.now();
    void slot.container!.wait(Infinity, this.#detached.signal).then((exit) => {
      if (!exit || slot.state === 'exited' || this.#stopping || this.#detached.signal.aborted) return;
      this.#recordExit(slot, exit);
      slot.state = 'exited';
      this.#exited(slot);
    });
  }

  #exited(slot: Slot): void {
    slot.checks?.stop();
    slot.probes?.stop();
    const wait = planRestart(slot, this.#stopping !== undefined || this.spec.desiredStatus === 'STOPPED', this.#deps.now());
    if (wait !== undefined) {
      slot.restartTimer = setTimeout(() => this.#restart(slot), wait);
      this.#report(this.#status);
      return;
    }
    this.#report(this.#status);
    if (slot.essential) void this.stop('EssentialContainerExited', ESSENTIAL_EXIT_REASON);
    else void this.#startWhatCan().then(() => this.#endIfAllExited(), (e: unknown) => this.#failStart(e));
  }

  /** Starts an exited container again in place: same id, root filesystem, network and volumes. */
  #restart(slot: Slot): void {
    if (this.#stopping) return;
    const p = (async () => {
      await slot.container?.delete().catch((e: Error) => this.#deps.log(`${this.taskId}: delete ${slot.spec.name}: ${e.message}`));
      // A pod's container starts a new log, the last run's kept for `kubectl logs --previous`, as the kubelet keeps it.
      if (this.spec.kube) keepPreviousLog(this.#layout.log(slot.spec.name), this.#layout.previousLog(slot.spec.name), (m) => this.#deps.log(`${this.taskId}: ${m}`));
      beginRestart(slot, this.#deps.now());
      writeRestarts(this.#layout.dir, restartsOf(this.#slots.values()));
      this.#applyTaskCgroup();
      await this.#start(slot);
      this.#report(this.#status);
    })();
    this.#starting.add(p);
    void p.finally(() => this.#starting.delete(p)).catch((e: unknown) => {
      // It could not be started again: it has exited for good.
      slot.state = 'exited';
      slot.reason = e instanceof Error ? e.message : String(e);
      this.#deps.log(`${this.taskId}: restart ${slot.spec.name}: ${slot.reason}`);
      this.#report(this.#status);
      if (slot.essential) void this.stop('EssentialContainerExited', ESSENTIAL_EXIT_REASON);
      else this.#endIfAllExited();
    });
  }

  /** A task of non-essential containers only (a pod's) stops once all have exited for good. */
  #endIfAllExited(): void {
    if (!this.#stopping && allExited([...this.#slots.values()], this.#status)) void this.stop('EssentialContainerExited', ALL_EXITED_REASON);
  }

  #recordExit(slot: Slot, exit: ExitStatus): void {
    slot.exit = exit;
    slot.finishedAt ??= this.#deps.now();
    if (exit.oomKilled) slot.reason = OOM_REASON;
  }

  #maybeRunning(): void {
    if (this.#stopping || this.#status === 'RUNNING') return;
    const essentials = [...this.#slots.values()].filter((s) => s.essential);
    if (essentials.every((s) => s.state === 'running')) this.#report('RUNNING');
  }

  async #failStart(e: unknown): Promise<void> {
    const message = e instanceof Error ? e.message : String(e);
    this.#deps.log(`${this.taskId}: failed to start: ${message}`);
    if (e instanceof StartFailure && e.container) {
      const slot = this.#slots.get(e.container);
      if (slot && !slot.reason) slot.reason = message;
    }
    await this.stop('TaskFailedToStart', message);
  }

  /** A gVisor sandbox's containers write raw output to their log; conmon writes k8s-file records. */
  #logFormat(): 'k8s-file' | 'raw' {
    return this.#sandbox?.isolation === 'gvisor' ? 'raw' : 'k8s-file';
  }

  #networkFor(name: string): NetworkSetting {
    return containerNetwork(this.#net, name);
  }

  #hostname(): string {
    return taskHostname(this.spec, this.#net, this.taskId);
  }

  /** Where this pod runs: the node's facts and the pod's address (the host's, on the host network). */
  #placedFacts(node: Omit<PlacedFacts, 'podIP'>): PlacedFacts {
    const podIP = (!this.#net || this.#net.hostNetwork ? undefined : this.#net.ip) ?? node.hostIP;
    // A Fargate pod's node is its own, not the pool host it runs on (core/kube/fargate-node.ts).
    return isFargatePod(this.spec) ? fargatePlacedFacts(this.spec, podIP) : { ...node, podIP };
  }

  #report(status: TaskStatus, extra: Partial<StatusReport> = {}): void {
    this.#status = status;
    const containers = containerReports([...this.#slots.values()], this.#net, status);
    this.#deps.report({
      taskArn: this.taskArn,
      status,
      containers,
      healthStatus: taskHealth([...this.#slots.values()].map((s) => ({ essential: s.essential, checked: s.spec.healthCheck !== undefined, status: s.health }))),
      ...(this.#stopCode && { stopCode: this.#stopCode }),
      ...(this.#stoppedReason && { stoppedReason: this.#stoppedReason }),
      ...(this.#pullStartedAt && { pullStartedAt: this.#pullStartedAt }),
      ...(this.#pullStoppedAt && { pullStoppedAt: this.#pullStoppedAt }),
      ...(this.#sandbox && { isolation: this.#sandbox.isolation }),
      ...(this.#net?.eniAttachment && { attachments: [{ ...this.#net.eniAttachment, details: [...this.#net.eniAttachment.details] }] }),
      ...extra,
    });
  }

  #persist(): void {
    mkdirSync(this.#layout.dir, { recursive: true });
    replaceFileSync(this.#layout.assignment, JSON.stringify(this.#assignment));
  }
}
