/**
 * A simulated agent, for benchmarks only: one process holding many container instances,
 * each joined through the real join path and holding a real WebSocket session with the
 * control plane's agent gateway, answering every assignment by reporting the task RUNNING
 * (and STOPPED when it is asked to stop) without running anything: Nomad's mock driver,
 * Kubernetes' kwok. Nothing here is used by Berth itself.
 *
 *   bench ──▶ SimulatedAgent ──POST /_berth/agents/register (join token)──▶ control plane
 *                 │  one AgentSession per instance (src/agent/session.ts, the agent's own)
 *                 │◀── tasks / task {assignment} ───────────────────────────┤
 *                 └── state {RUNNING | STOPPED} after `reportLatencyMs` ───▶│
 *
 * What is real: the registration endpoint and RegisterContainerInstance behind it, the
 * instance secret, the session (upgrade with the secret, hello, snapshot, reports, acks,
 * heartbeats, reconnects), and every store write the gateway makes for a report. What is
 * simulated: the host. An instance registers the CPU and memory it is given (not this
 * machine's), carries the custom attribute `berth.simulated` and agentHash `simulated`
 * (so no one mistakes it for a real host), and starts no container: a RUNNING report names
 * a runtime id `simulated-…` and, for a host port of 0, a port from its own counter.
 */
import { VERSION } from '../../src/version.ts';
import type { Assignment } from '../../src/agent/protocol.ts';
import { AGENT_CAPABILITIES } from '../../src/agent/agent.ts';
import { joinEndpoint } from '../../src/agent/registration.ts';
import { AgentSession } from '../../src/agent/session.ts';
import type { ContainerReport, TaskReport } from '../../src/core/ecs/task-report.ts';
import type { NetworkBinding } from '../../src/core/ecs/task.ts';

/** The attribute every simulated instance carries, so that a listing shows it for what it is. */
export const SIMULATED_ATTRIBUTE = 'berth.simulated';
/** ECS's availability zones for us-east-1 in turn: instance i is in zone i mod 3. */
export const DEFAULT_ZONES: readonly string[] = ['us-east-1a', 'us-east-1b', 'us-east-1c'];
/** Joins in flight at once: enough to keep the control plane's group commit busy, few enough to leave it room. */
const DEFAULT_JOIN_CONCURRENCY = 32;
/**
 * Sessions dialled at once and not yet answered: the gateway closes sockets past 256
 * waiting for their hello (MAX_AWAITING_HELLO in src/server/agent-gateway.ts).
 */
const DEFAULT_DIAL_CONCURRENCY = 128;
/** First host port a dynamic (hostPort 0) mapping gets on a simulated instance (Linux's ephemeral range starts here for ECS). */
const FIRST_DYNAMIC_PORT = 49_153;
/** How long one session may take from dial to its first snapshot before start() gives up. */
const SESSION_TIMEOUT_MS = 120_000;

export interface SimulatedAgentOptions {
  /** The control plane, e.g. http://127.0.0.1:8080. */
  readonly endpoint: string;
  /** Its join token (`berth token`, or the data dir's join-token file). */
  readonly joinToken: string;
  readonly cluster: string;
  readonly region?: string;
  readonly instances: number;
  /** CPU units and MiB each simulated instance registers. */
  readonly cpu: number;
  readonly memory: number;
  readonly zones?: readonly string[];
  readonly instanceType?: string;
  /** Delay between an assignment and its report (0: on the next turn of the event loop). */
  readonly reportLatencyMs?: number;
  /** First instance number (for several processes sharing one cluster: zones keep turning). */
  readonly firstIndex?: number;
  readonly joinConcurrency?: number;
  readonly dialConcurrency?: number;
  readonly log?: (line: string) => void;
}

/** What SimulatedAgent.adopt needs: the control plane and the instance's own registration. */
export interface AdoptOptions {
  readonly endpoint: string;
  readonly joinToken: string;
  readonly region?: string;
  readonly reportLatencyMs?: number;
  /** The body of RegisterContainerInstance the instance was registered with, and its ARN. */
  readonly registration: { readonly cluster: string; readonly containerInstanceArn: string } & Record<string, unknown>;
  readonly log?: (line: string) => void;
}

/** One simulated container instance: its identity and what it reported. */
export interface SimulatedInstance {
  readonly index: number;
  readonly containerInstanceArn: string;
  readonly zone: string;
  readonly instanceSecret: string;
}

export interface SimulatedStats {
  readonly instances: number;
  /** Sessions open right now. */
  readonly connected: number;
  /** RUNNING and STOPPED reports sent (each task reports each once). */
  readonly runningReports: number;
  readonly stoppedReports: number;
  /** Reports not yet acknowledged by the control plane. */
  readonly unacknowledged: number;
  /** Tasks currently reported RUNNING and not asked to stop. */
  readonly running: number;
  /** Snapshots received: one per accepted session, so each reconnect of every instance adds `instances`. */
  readonly snapshots: number;
}

/** Timings of start(): joins and sessions, in ms. */
export interface StartTimings {
  readonly joinMs: number;
  readonly sessionsMs: number;
}

interface Slot {
  readonly instance: SimulatedInstance;
  readonly session: AgentSession;
  /** What this instance last reported per task: bounded by the tasks placed on it (a task leaves at STOPPED). */
  readonly reported: Map<string, 'RUNNING' | 'STOPPED'>;
  nextPort: number;
}

export class SimulatedAgent {
  readonly #o: Required<Omit<SimulatedAgentOptions, 'log'>> & { log: (line: string) => void };
  readonly #slots: Slot[] = [];
  #runningReports = 0;
  #stoppedReports = 0;
  #snapshots = 0;
  #closed = false;
  readonly #timers = new Set<NodeJS.Timeout>();

  private constructor(options: SimulatedAgentOptions) {
    this.#o = {
      region: 'us-east-1', zones: DEFAULT_ZONES, instanceType: 'simulated.large', reportLatencyMs: 0, firstIndex: 0,
      joinConcurrency: DEFAULT_JOIN_CONCURRENCY, dialConcurrency: DEFAULT_DIAL_CONCURRENCY, log: () => {},
      ...options,
    };
  }

  /** Joins every instance, opens every session, and resolves once each has had its snapshot. */
  static async start(options: SimulatedAgentOptions): Promise<{ agent: SimulatedAgent; timings: StartTimings }> {
    const agent = new SimulatedAgent(options);
    try {
      const t0 = performance.now();
      const joined = await agent.#joinAll();
      const t1 = performance.now();
      await agent.#connectAll(joined);
      return { agent, timings: { joinMs: t1 - t0, sessionsMs: performance.now() - t1 } };
    } catch (err) {
      agent.close();
      throw err;
    }
  }

  /**
   * Plays the agent of one instance already registered through the ECS API (as moto's
   * tests and agents from before join tokens register them): joins with the join token
   * naming its ARN and with what it registered, so it gets its secret and keeps its
   * resources, attributes and version info, plus the capability attributes Berth's agent
   * registers (AGENT_CAPABILITIES: a task definition that needs the json-file log driver
   * is placed on it, as on a real agent's). No `berth.simulated` attribute is added: the
   * instance is the caller's, only its agent is simulated. Then holds its session.
   * Resolves once the session has had its snapshot, so the instance is connected.
   */
  static async adopt(options: AdoptOptions): Promise<SimulatedAgent> {
    const { registration } = options;
    const agent = new SimulatedAgent({ ...options, cluster: registration.cluster, instances: 1, cpu: 0, memory: 0 });
    try {
      const own = Array.isArray(registration.attributes) ? registration.attributes as { name: string }[] : [];
      const attributes = [...own, ...AGENT_CAPABILITIES.filter((name) => !own.some((a) => a.name === name)).map((name) => ({ name }))];
      const answer = await joinEndpoint(options.endpoint, agent.#o.region)(options.joinToken, { ...registration, attributes });
      if (!answer.instanceSecret) throw new Error(`joining gave ${registration.containerInstanceArn} no instance secret`);
      await agent.#connect({ index: 0, containerInstanceArn: answer.containerInstance.containerInstanceArn, zone: '', instanceSecret: answer.instanceSecret });
      return agent;
    } catch (err) {
      agent.close();
      throw err;
    }
  }

  get instances(): readonly SimulatedInstance[] {
    return this.#slots.map((s) => s.instance);
  }

  stats(): SimulatedStats {
    let connected = 0;
    let unacknowledged = 0;
    let running = 0;
    for (const s of this.#slots) {
      if (s.session.connected) connected++;
      unacknowledged += s.session.pending;
      for (const v of s.reported.values()) if (v === 'RUNNING') running++;
    }
    return { instances: this.#slots.length, connected, runningReports: this.#runningReports, stoppedReports: this.#stoppedReports, unacknowledged, running, snapshots: this.#snapshots };
  }

  close(): void {
    this.#closed = true;
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    for (const s of this.#slots) s.session.close();
  }

  async #joinAll(): Promise<SimulatedInstance[]> {
    const o = this.#o;
    const join = joinEndpoint(o.endpoint, o.region);
    const out: SimulatedInstance[] = new Array<SimulatedInstance>(o.instances);
    let next = 0;
    await Promise.all(Array.from({ length: Math.min(o.joinConcurrency, o.instances) }, async () => {
      while (next < o.instances && !this.#closed) {
        const n = next++;
        const index = o.firstIndex + n;
        const zone = o.zones[index % o.zones.length]!;
        const answer = await join(o.joinToken, registration(o, zone));
        if (!answer.instanceSecret) throw new Error(`joining gave ${answer.containerInstance.containerInstanceArn} no instance secret`);
        out[n] = { index, containerInstanceArn: answer.containerInstance.containerInstanceArn, zone, instanceSecret: answer.instanceSecret };
      }
    }));
    return out;
  }

  async #connectAll(joined: readonly SimulatedInstance[]): Promise<void> {
    let next = 0;
    await Promise.all(Array.from({ length: Math.min(this.#o.dialConcurrency, joined.length) }, async () => {
      while (next < joined.length && !this.#closed) await this.#connect(joined[next++]!);
    }));
  }

  /** Opens one instance's session; resolves at its first snapshot (the session was accepted). */
  #connect(instance: SimulatedInstance): Promise<void> {
    return new Promise((resolve, reject) => {
      let accepted = false;
      const timer = setTimeout(() => reject(new Error(`the session of ${instance.containerInstanceArn} had no snapshot within ${SESSION_TIMEOUT_MS / 1000} s`)), SESSION_TIMEOUT_MS);
      const slot: Slot = {
        instance, reported: new Map(), nextPort: FIRST_DYNAMIC_PORT,
        session: new AgentSession(this.#o.endpoint, { cluster: this.#o.cluster, containerInstanceArn: instance.containerInstanceArn, agentVersion: `${VERSION}-simulated` }, instance.instanceSecret, {
          onSnapshot: (assignments) => {
            this.#snapshots++;
            for (const a of assignments) this.#assigned(slot, a);
            if (!accepted) {
              accepted = true;
              clearTimeout(timer);
              resolve();
            }
          },
          onAssignment: (a) => this.#assigned(slot, a),
          onRequest: (r) => {
            // No container to read or exec into: say so, as a real agent says a container is gone.
            if (r.type === 'logs') slot.session.answer({ type: 'logData', id: r.id, error: 'a simulated instance runs no container: it has no logs' });
            else if (r.type === 'exec') slot.session.answer({ type: 'execResult', id: r.id, error: 'a simulated instance runs no container: nothing to exec into' });
          },
          log: (line) => { if (!line.startsWith('connected to ')) this.#o.log(`${instance.containerInstanceArn}: ${line}`); },
        }),
      };
      this.#slots.push(slot);
      slot.session.start();
    });
  }

  /** An assignment: RUNNING reported once for a task desired RUNNING, STOPPED once for one desired STOPPED. */
  #assigned(slot: Slot, a: Assignment): void {
    const { spec } = a;
    const taskArn = spec.ecs.taskArn;
    if (a.lastStatus === 'STOPPED') {
      slot.reported.delete(taskArn);
      return;
    }
    const want = spec.desiredStatus === 'STOPPED' ? 'STOPPED' : 'RUNNING';
    // Already there (a snapshot after a reconnect, or a task seeded RUNNING): nothing to report.
    if (want === 'RUNNING' && a.lastStatus === 'RUNNING') {
      slot.reported.set(taskArn, 'RUNNING');
      return;
    }
    if (slot.reported.get(taskArn) === want) return;
    slot.reported.set(taskArn, want);
    const report = want === 'RUNNING' ? runningReport(slot, a) : stoppedReport(a);
    const send = () => {
      if (this.#closed) return;
      slot.session.report(report);
      if (want === 'RUNNING') this.#runningReports++;
      else {
        this.#stoppedReports++;
        slot.reported.delete(taskArn);
      }
    };
    if (this.#o.reportLatencyMs <= 0) {
      setImmediate(send);
      return;
    }
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      send();
    }, this.#o.reportLatencyMs);
    this.#timers.add(timer);
  }
}

/** The body of RegisterContainerInstance a simulated instance joins with (the agent's own shape, src/agent/registration.ts). */
function registration(o: { cluster: string; cpu: number; memory: number; instanceType: string }, zone: string): Record<string, unknown> {
  return {
    cluster: o.cluster,
    instanceIdentityDocument: JSON.stringify({ availabilityZone: zone, instanceType: o.instanceType, architecture: 'x86_64' }),
    totalResources: [
      { name: 'CPU', type: 'INTEGER', integerValue: o.cpu },
      { name: 'MEMORY', type: 'INTEGER', integerValue: o.memory },
      { name: 'PORTS', type: 'STRINGSET', stringSetValue: [] },
      { name: 'PORTS_UDP', type: 'STRINGSET', stringSetValue: [] },
    ],
    versionInfo: { agentVersion: `${VERSION}-simulated`, agentHash: 'simulated', dockerVersion: 'none (simulated)' },
    // It answers container health checks (HEALTHY at RUNNING), so it says it can, as the agent does.
    attributes: [{ name: 'ecs.cpu-architecture', value: 'x86_64' }, { name: 'ecs.capability.container-health-check' }, { name: SIMULATED_ATTRIBUTE, value: 'true' }],
  };
}

function runningReport(slot: Slot, a: Assignment): TaskReport {
  const now = Date.now() / 1000;
  const bridge = a.spec.network.mode === 'bridge';
  const taskArn = a.spec.ecs.taskArn;
  const containers: ContainerReport[] = a.spec.containers.map((c) => {
    const networkBindings: NetworkBinding[] = c.ports.map((p) => ({
      bindIP: '0.0.0.0',
      containerPort: p.containerPort ?? 0,
      // host and awsvpc modes bind the container port itself; bridge a static host port or the next dynamic one.
      hostPort: bridge ? (p.hostPort || slot.nextPort++) : (p.containerPort ?? 0),
      protocol: p.protocol === 'udp' ? 'udp' : 'tcp',
    }));
    return { name: c.name, status: 'RUNNING', runtimeId: `simulated-${taskArn.slice(-32)}-${c.name}`, networkBindings, healthStatus: c.healthCheck ? 'HEALTHY' : 'UNKNOWN' };
  });
  const checked = a.spec.containers.some((c) => c.healthCheck);
  return { taskArn, status: 'RUNNING', containers, pullStartedAt: now, pullStoppedAt: now, ...(checked && { healthStatus: 'HEALTHY' as const }) };
}

function stoppedReport(a: Assignment): TaskReport {
  const now = Date.now() / 1000;
  return {
    taskArn: a.spec.ecs.taskArn, status: 'STOPPED', executionStoppedAt: now,
    containers: a.spec.containers.map((c) => ({ name: c.name, status: 'STOPPED', exitCode: 0 })),
  };
}
