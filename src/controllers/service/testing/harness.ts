/**
 * A simulated cluster for the service reconciler, pure and in memory (as Nomad's scheduler
 * Harness is for its scheduler): it holds instances, task summaries and service records,
 * applies the reconciler's actions the way the runner and the placer would (compare-and-set
 * txns, read-modify-write updates, a simple spread-then-first-fit placer), and moves tasks
 * through PENDING → RUNNING → HEALTHY (or failing, as each task definition's Behaviour says)
 * on a fake clock.
 *
 *   harness.pass() ─▶ reconcile(snapshot, now) ─▶ actions ─▶ apply (txn / update / launch → then)
 *   harness.advance(ms) ─▶ tasks progress; stops complete
 *   harness.run({ until }) = pass, advance, pass, ...  with `observe` called after every step
 *
 * Each pass also checks the promise of the rolling update, per service: what the pass did
 * never took the healthy count under the floor nor the tasks holding a place over the
 * ceiling (from wherever the cluster's own events had put them; for a DAEMON, never two
 * tasks on one instance); violations are collected in `violations`.
 */
import type { ClusterSnapshot, Held, InstanceState, TaskSummary } from '../../../cluster/types.ts';
import { listSnapshot } from '../../../cluster/snapshot.ts';
import type { ServiceRecord } from '../../../core/ecs/service.ts';
import type { TaskRecord } from '../../../core/ecs/task.ts';
import type { Launch, LaunchResult } from '../../../scheduler/launch.ts';
import type { Failure } from '../../../scheduler/types.ts';
import type { Action, Reconciler, ReconcileResult } from '../../types.ts';
import { NO_HEALTH_CHECK_SETTLE_SECONDS } from '../counts.ts';
import { createServiceReconciler } from '../reconciler.ts';
import { bounds } from '../rolling.ts';
import { ACCOUNT, CLUSTER, clusterArn, REGION, type Behaviour } from './builders.ts';

interface SimTask {
  summary: TaskSummary;
  behaviour: Behaviour;
  outcome: 'run' | 'failToStart' | 'unhealthy';
  runAt: number;
  healthAt?: number;
  stopAt?: number;
}

export interface Measure {
  healthy: number;
  total: number;
  floor: number;
  ceiling: number;
}

export class Harness {
  now: number;
  revision = 1;
  readonly instances: InstanceState[] = [];
  #instancesView: InstanceState[] | undefined;
  readonly tasks = new Map<string, SimTask>();
  readonly services = new Map<string, Held<ServiceRecord>>();
  readonly behaviours = new Map<string, Behaviour>();
  readonly violations: string[] = [];
  readonly reconciler: Reconciler;
  /** Every action applied, for tests that look at what was decided. */
  readonly applied: Action[] = [];
  lastResult: ReconcileResult = { actions: [] };
  private seq = 0;
  private eventSeq = 0;
  private deploymentSeq = 100;

  readonly rng: () => number;

  constructor(rng: () => number = Math.random, startMs = 1_000_000_000) {
    this.rng = rng;
    this.now = startMs;
    this.reconciler = createServiceReconciler({
      newId: () => `event-${++this.eventSeq}`,
      newDeploymentId: () => `ecs-svc/${String(++this.deploymentSeq).padStart(19, '0')}`,
    });
  }

  addInstance(i: InstanceState): void {
    this.instances.push({ ...i, modRevision: ++this.revision });
    this.#instancesView = undefined;
  }

  setInstance(id: string, change: Partial<InstanceState['record']>): void {
    const idx = this.instances.findIndex((i) => i.record.containerInstanceArn.endsWith(`/${id}`));
    const cur = this.instances[idx]!;
    this.instances[idx] = { ...cur, modRevision: ++this.revision, record: { ...cur.record, ...change } };
    this.#instancesView = undefined;
  }

  /** What the instance-health reconciler does to a lost instance's tasks: they arrive STOPPED. */
  loseInstance(id: string): void {
    this.setInstance(id, { agentConnected: false });
    for (const t of this.tasks.values()) {
      if (t.summary.containerInstanceArn?.endsWith(`/${id}`) && t.summary.lastStatus !== 'STOPPED') {
        this.setTask(t, { lastStatus: 'STOPPED', desiredStatus: 'STOPPED', stoppedAt: this.now / 1000, stoppedReason: 'Container instance lost', ...(t.summary.startedAt === undefined && { stopCode: 'TaskFailedToStart' as const }) });
      }
    }
  }

  putService(record: ServiceRecord): void {
    const key = `/services/${record.serviceName}`;
    this.services.set(key, { key, modRevision: ++this.revision, value: record });
  }

  service(name = 'web'): ServiceRecord {
    return this.services.get(`/services/${name}`)!.value;
  }

  /** Tasks as summaries (STOPPED ones included). */
  taskList(): TaskSummary[] {
    return [...this.tasks.values()].map((t) => t.summary);
  }

  snapshot(): ClusterSnapshot {
    return listSnapshot({
      scope: { account: ACCOUNT, region: REGION },
      cluster: CLUSTER,
      revision: this.revision,
      clusterRecord: { key: '/clusters/default', modRevision: 1, value: { clusterArn, clusterName: CLUSTER, status: 'ACTIVE', tags: [], settings: [], capacityProviders: [], defaultCapacityProviderStrategy: [], createdAt: 0 } },
      // The same list while no instance changed, as the cluster state's view: the
      // reconciler's quiet passes are remembered, and so exercised by every harness test.
      instances: (this.#instancesView ??= [...this.instances]),
      tasks: this.taskList(),
      services: [...this.services.values()],
    });
  }

  /** Healthy and place-holding tasks of a service, and its limits, as the promise states them. */
  measure(name = 'web'): Measure {
    const s = this.service(name);
    const group = `service:${name}`;
    const mine = this.taskList().filter((t) => t.group === group && t.startedBy?.startsWith('ecs-svc/'));
    const healthy = mine.filter((t) => this.isHealthy(t)).length;
    const total = mine.filter((t) => t.lastStatus !== 'STOPPED').length;
    // The user's intent (UpdateService's desiredCount); a DAEMON's is one per ACTIVE instance.
    const active = this.instances.filter((i) => i.record.status === 'ACTIVE').length;
    const desired = s.status === 'DRAINING' ? 0 : s.schedulingStrategy === 'DAEMON' ? active : s.desiredCount;
    return { healthy, total, ...bounds(desired, s.deploymentConfiguration.minimumHealthyPercent, s.deploymentConfiguration.maximumPercent) };
  }

  /** Healthy, independently of the reconciler's own code: RUNNING, desired RUNNING, and HEALTHY or 40 s up without a health check. */
  isHealthy(t: TaskSummary): boolean {
    if (t.desiredStatus !== 'RUNNING' || t.lastStatus !== 'RUNNING' || t.startedAt === undefined) return false;
    return t.healthChecked ? t.healthStatus === 'HEALTHY' : this.now - t.startedAt * 1000 >= NO_HEALTH_CHECK_SETTLE_SECONDS * 1000;
  }

  /** One reconcile pass, its actions applied. */
  pass(): ReconcileResult {
    const before = new Map([...this.services.values()].map((h) => [h.value.serviceName, this.measure(h.value.serviceName)]));
    const result = this.reconciler.reconcile(this.snapshot(), this.now);
    this.lastResult = result;
    for (const a of result.actions) this.apply(a);
    for (const [name, b] of before) {
      // The rolling promise is the ECS controller's; an EXTERNAL controller moves its task sets as it likes.
      if (!this.services.has(`/services/${name}`) || this.service(name).deploymentController.type === 'EXTERNAL') continue;
      const a = this.measure(name);
      if (a.healthy < Math.min(b.floor, b.healthy)) this.violations.push(`t=${this.now} ${name}: healthy ${b.healthy} → ${a.healthy} under floor ${b.floor}`);
      // A DAEMON's ceiling is per instance (one task each), not a total: a task still
      // stopping on a drained instance may overlap its replacement elsewhere.
      if (this.service(name).schedulingStrategy === 'DAEMON') {
        const crowded = this.crowdedInstance(name);
        if (crowded) this.violations.push(`t=${this.now} ${name}: two tasks on ${crowded}`);
      } else if (a.total > Math.max(b.ceiling, b.total)) this.violations.push(`t=${this.now} ${name}: total ${b.total} → ${a.total} over ceiling ${b.ceiling}`);
    }
    return result;
  }

  /** An instance holding two of the service's tasks not yet STOPPED, if any. */
  crowdedInstance(name: string): string | undefined {
    const seen = new Set<string>();
    for (const t of this.taskList()) {
      if (t.group !== `service:${name}` || t.lastStatus === 'STOPPED' || !t.containerInstanceArn) continue;
      if (seen.has(t.containerInstanceArn)) return t.containerInstanceArn;
      seen.add(t.containerInstanceArn);
    }
    return undefined;
  }

  /** Moves the clock by `ms`, progressing every task whose next change falls due. */
  advance(ms: number): void {
    this.now += ms;
    for (const t of this.tasks.values()) this.progress(t);
  }

  /**
   * pass / advance(stepMs) until `until()` holds after a pass, or `maxMs` passes (then
   * returns false). `observe` runs after every pass.
   */
  run(opts: { until: () => boolean; stepMs?: number | (() => number); maxMs?: number; observe?: () => void }): boolean {
    const end = this.now + (opts.maxMs ?? 3_600_000);
    for (;;) {
      this.pass();
      opts.observe?.();
      if (opts.until()) return true;
      if (this.now >= end) return false;
      const step = typeof opts.stepMs === 'function' ? opts.stepMs() : opts.stepMs ?? 1000;
      this.advance(step);
    }
  }

  apply(a: Action): void {
    this.applied.push(a);
    if (a.type === 'txn') {
      for (const c of a.txn.if ?? []) {
        const held = this.services.get(c.key);
        if ((held?.modRevision ?? 0) !== c.modRevision) return;
      }
      for (const op of a.txn.ops) {
        if (op.type !== 'put') throw new Error(`harness: unexpected op ${op.type}`);
        this.services.set(op.key, { key: op.key, modRevision: ++this.revision, value: JSON.parse(op.value) as ServiceRecord });
      }
      return;
    }
    if (a.type === 'update') {
      const held = this.services.get(a.key);
      if (held) {
        const next = a.change(structuredClone(held.value), this.now);
        if (next !== undefined) this.services.set(a.key, { key: a.key, modRevision: ++this.revision, value: next as ServiceRecord });
        return;
      }
      const task = [...this.tasks.values()].find((t) => t.summary.key === a.key);
      if (!task) return;
      const next = a.change({ ...task.summary }, this.now) as Partial<TaskSummary> | undefined;
      if (next === undefined) return;
      this.setTask(task, { desiredStatus: next.desiredStatus ?? task.summary.desiredStatus, ...(next.stoppedReason && { stoppedReason: next.stoppedReason }), ...(next.stopCode && { stopCode: next.stopCode }) });
      // The agent stops it within a second or two.
      if (task.summary.desiredStatus === 'STOPPED' && task.summary.lastStatus !== 'STOPPED') task.stopAt = this.now + 500 + Math.floor(this.rng() * 1500);
      return;
    }
    const result = this.launch(a.launch);
    for (const b of a.then?.(result, this.now) ?? []) this.apply(b);
  }

  private launch(l: Launch): LaunchResult {
    const behaviour = this.behaviours.get(l.taskDefinitionArn);
    if (!behaviour) throw new Error(`harness: no behaviour for ${l.taskDefinitionArn}`);
    const tasks: TaskRecord[] = [];
    let failures: Failure[] = [];
    const wanted = l.targets ?? Array.from({ length: l.count }, () => undefined);
    for (const target of wanted) {
      const candidates = this.instances.filter((i) => target === undefined || i.record.containerInstanceArn === target);
      const refused: Failure[] = [];
      const fits = candidates.filter((i) => {
        const why = this.refuse(i, behaviour);
        if (why) refused.push({ arn: i.record.containerInstanceArn, reason: why });
        return !why;
      });
      if (!fits.length) {
        failures = refused;
        continue;
      }
      // ECS's default for services: spread over zones, then instances.
      const count = (pred: (t: TaskSummary) => boolean) => this.taskList().filter((t) => t.group === l.group && t.lastStatus !== 'STOPPED' && pred(t)).length;
      const zone = (i: InstanceState) => i.record.attributes.find((a) => a.name === 'ecs.availability-zone')?.value;
      const score = (i: InstanceState) => [count((t) => zone(this.instanceOf(t)!) === zone(i)), count((t) => t.containerInstanceArn === i.record.containerInstanceArn)] as const;
      const pick = fits.reduce((best, i) => {
        const [a, b] = score(i);
        const [c, d] = score(best);
        return a < c || (a === c && b < d) ? i : best;
      });
      tasks.push(this.createTask(l, pick, behaviour));
    }
    return { tasks, failures: tasks.length < wanted.length ? failures : [] };
  }

  private instanceOf(t: TaskSummary): InstanceState | undefined {
    return this.instances.find((i) => i.record.containerInstanceArn === t.containerInstanceArn);
  }

  private refuse(i: InstanceState, b: Behaviour): Failure['reason'] | undefined {
    if (i.record.status !== 'ACTIVE') return 'INACTIVE';
    if (!i.record.agentConnected) return 'AGENT';
    const used = this.taskList().filter((t) => t.containerInstanceArn === i.record.containerInstanceArn && t.lastStatus !== 'STOPPED');
    const cpu = i.record.registeredResources.find((r) => r.name === 'CPU')?.integerValue ?? 0;
    const mem = i.record.registeredResources.find((r) => r.name === 'MEMORY')?.integerValue ?? 0;
    if (used.reduce((s, t) => s + t.cpu, 0) + b.cpu > cpu) return 'RESOURCE:CPU';
    if (used.reduce((s, t) => s + t.memory, 0) + b.memory > mem) return 'RESOURCE:MEMORY';
    return undefined;
  }

  private createTask(l: Launch, on: InstanceState, b: Behaviour): TaskRecord {
    const id = `t${String(++this.seq).padStart(5, '0')}`;
    const taskArn = `arn:aws:ecs:${REGION}:${ACCOUNT}:task/${CLUSTER}/${id}`;
    const summary: TaskSummary = {
      key: `/tasks/${id}`, modRevision: ++this.revision, id, taskArn, taskDefinitionArn: l.taskDefinitionArn, family: 'web',
      containerInstanceArn: on.record.containerInstanceArn, lastStatus: 'PENDING', desiredStatus: 'RUNNING',
      group: l.group ?? 'family:web', ...(l.startedBy && { startedBy: l.startedBy }), launchType: 'EC2',
      cpu: b.cpu, memory: b.memory, ports: [], eni: false, healthStatus: 'UNKNOWN', healthChecked: b.healthChecked,
      createdAt: this.now / 1000,
    };
    const runAt = this.now + b.startDelayMs(this.rng);
    const outcome = b.outcome(this.rng);
    this.tasks.set(id, { summary, behaviour: b, outcome, runAt, ...(b.healthChecked && { healthAt: runAt + (b.healthDelayMs?.(this.rng) ?? 5000) }) });
    // What the reconciler's `then` reads of a started task; the rest of TaskRecord is the placer's business.
    return { taskArn, taskDefinitionArn: l.taskDefinitionArn, lastStatus: 'PENDING', desiredStatus: 'RUNNING' } as TaskRecord;
  }

  /** What UpdateTaskProtection does to a task: protected until `untilSeconds` (epoch seconds). */
  protect(taskId: string, untilSeconds: number): void {
    this.setTask(this.tasks.get(taskId)!, { protectedUntil: untilSeconds });
  }

  private setTask(t: SimTask, change: Partial<TaskSummary>): void {
    t.summary = { ...t.summary, ...change, modRevision: ++this.revision };
  }

  private progress(t: SimTask): void {
    const s = t.summary;
    if (s.lastStatus === 'STOPPED') return;
    if (s.desiredStatus === 'STOPPED' && t.stopAt !== undefined && t.stopAt <= this.now) {
      this.setTask(t, { lastStatus: 'STOPPED', stoppedAt: t.stopAt / 1000 });
      return;
    }
    if (s.lastStatus === 'PENDING' && t.runAt <= this.now && s.desiredStatus === 'RUNNING') {
      if (t.outcome === 'failToStart') {
        this.setTask(t, { lastStatus: 'STOPPED', desiredStatus: 'STOPPED', stoppedAt: t.runAt / 1000, stopCode: 'TaskFailedToStart', stoppedReason: 'CannotPullContainerError: pull image manifest has been retried 5 time(s)' });
        return;
      }
      this.setTask(t, { lastStatus: 'RUNNING', startedAt: t.runAt / 1000 });
    }
    if (t.summary.lastStatus === 'RUNNING' && t.healthAt !== undefined && t.healthAt <= this.now && t.summary.healthStatus === 'UNKNOWN') {
      this.setTask(t, { healthStatus: t.outcome === 'unhealthy' ? 'UNHEALTHY' : 'HEALTHY' });
    }
  }
}
