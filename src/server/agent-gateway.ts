import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { ClusterState } from '../cluster/types.ts';
import { parseArn } from '../core/arn.ts';
import { isInstanceSecret } from '../core/agent-credentials.ts';
import type { ContainerInstanceRecord } from '../core/ecs/container-instance.ts';
import { keys } from '../core/ecs/keys.ts';
import { rootPrincipal, type Scope } from '../core/ecs/scope.ts';
import { settingFor } from '../api/ecs/account-settings.ts';
import { applyReport } from '../core/ecs/task-report.ts';
import { applyStatusReport } from '../core/workload/apply-report.ts';
import type { TaskRecord } from '../core/ecs/task.ts';
import { specOf } from '../core/ecs/task-model.ts';
import { changeTask, isWholeRecord, MAX_TASK_WRITE_ATTEMPTS, readTask, readTaskAt, taskKey, taskRefOfArn } from '../core/workload/task-store.ts';
import type { TaskSpec } from '../core/workload/spec.ts';
import { executionRoleOf, taskRoleOf } from '../core/ecs/task-role.ts';
import { parseTaskDefinitionRef, type TaskDefinitionRecord } from '../core/ecs/task-definition.ts';
import {
  AGENT_PATH, HEARTBEAT_INTERVAL_MS, MAX_FRAME_BYTES, PROTOCOL_VERSION,
  type AgentMessage, type Assignment, type RoleCredentials, type ServerMessage,
} from '../agent/protocol.ts';
import { getTaskProtection, updateTaskProtection } from '../api/ecs/task-protection.ts';
import { checkProtectionRequest, MAX_UPDATE_PROTECTION_TASKS } from '../core/ecs/task-protection.ts';
import { BadFrame, decodeBatchFrame, type EncodedEvents } from '../agent/awslogs/batch-frame.ts';
import { MAX_MESSAGE_BYTES } from '../agent/awslogs/batcher.ts';
import { Lru } from '../lib/lru.ts';
import { getJson, updateJson } from '../store/json.ts';
import type { Store, Watch } from '../store/store.ts';
import { bearerOf, callerOf, recordFailure, type CallerAuth } from './caller-auth.ts';
import { checkSecret, instanceRefOf, revokeSecret, type SecretCheck } from './instance-credentials.ts';
import { tagsForAgent } from './agent-tags.ts';
import { executionPrincipal, type CredentialsOpener } from './execution-principal.ts';

/**
 * Task definitions kept parsed for assignments: the revisions of the tasks being started
 * now (a cluster runs tens to hundreds of distinct ones); any other is one store read.
 */
const DEFINITIONS_CACHED = 1_000;
const TASK_KEY = /^\/ecs\/([^/]+)\/([^/]+)\/tasks\/([^/]+)\/([a-f0-9]{32})$/;

/** The store key of the task an ARN names (its scope and cluster are in the ARN), or undefined for anything else. */
export function taskKeyOf(taskArn: unknown): string | undefined {
  const ref = taskRefOfArn(taskArn);
  return ref && taskKey(ref);
}
/**
 * Tasks a session was found to run, per session, for its awslogs messages (each is checked
 * against the task's record once): the instance's recent tasks.
 */
const AWSLOGS_TASKS_KNOWN = 1_024;
const INSTANCE_KEY = /^\/ecs\/[^/]+\/[^/]+\/instances\/[^/]+\/[a-f0-9]{32}$/;
/** Close code of every refusal: RFC 6455's policy violation, with a reason that says what to do. */
const POLICY_VIOLATION = 1008;
/** Close reasons of refused sessions (a close reason holds at most 123 bytes). */
const REFUSED: Readonly<Record<Exclude<SecretCheck, 'ok'> | 'no-secret-given' | 'blocked' | 'bad-hello' | 'no-hello' | 'busy', string>> = {
  'no-secret-given': 'no instance secret: the agent joins with the join token first (berth agent --token)',
  'no-secret': 'no secret for this instance here: join again with the join token',
  'wrong-secret': "not this instance's secret",
  deregistered: 'instance deregistered, its secret revoked: join again with the join token',
  blocked: 'too many failed attempts from this address: wait a minute',
  'bad-hello': `hello needs protocol version ${PROTOCOL_VERSION} and a container instance ARN`,
  'no-hello': 'no hello in time',
  busy: 'too many sessions waiting to say hello: try again',
};
/** An agent says hello as soon as its socket opens; one that does not in this long is closed. */
const HELLO_TIMEOUT_MS = 10_000;
/**
 * Sockets at most between their upgrade and their hello: each holds a few KiB for up to
 * HELLO_TIMEOUT_MS, and failures are counted only when they end. Agents say hello at once,
 * so even a thousand reconnecting together pass in a moment.
 */
const MAX_AWAITING_HELLO = 256;

/** Agent messages that answer one of the control plane's requests (logs, execs, forwarded ports), by its id. */
type AgentAnswer = 'logData' | 'execResult' | 'execOutput' | 'execExit' | 'portData' | 'portClosed';
/** What a forwarded port's reader may fall behind the agent's portData before the connection is ended (memory bound). */
export const MAX_PORT_BUFFERED_BYTES = 16 * 1024 * 1024;
const ANSWERS: ReadonlySet<string> = new Set<AgentAnswer>(['logData', 'execResult', 'execOutput', 'execExit', 'portData', 'portClosed']);
/**
 * How often a task role's credentials are replaced: well inside their six-hour life, so an
 * agent that missed a rotation or two (a reconnect) still holds valid ones; AWS's agent
 * refreshes them about as often.
 */
const CREDENTIALS_ROTATE_MS = 60 * 60 * 1000;

/**
 * Something that follows agent sessions beside tasks (src/server/service-table-sessions.ts: an EKS node's
 * service table): attached at each hello with the instance as recorded and a way to send to
 * the agent, told when the instance's record changes and of the agent's messages the gateway
 * does not handle itself, detached when the session ends.
 */
export interface SessionExtension {
  attach(instance: ContainerInstanceRecord, send: (msg: ServerMessage) => void): {
    instanceChanged(instance: ContainerInstanceRecord): void;
    message(msg: AgentMessage): void;
    detach(): void;
  };
}

interface Session {
  ws: WebSocket;
  instanceArn: string;
  scope: Scope;
  cluster: string;
  lastSeen: number;
  /** The desired status last sent per task: puts that leave it unchanged (the agent's own reports) are not echoed back. A task leaves it when STOPPED: bounded by the instance's tasks. */
  sent: Map<string, string>;
  /** The role of each task sent that has one, for the credentials' rotation; a task leaves it with `sent`. */
  roles: Map<string, { roleArn: string; sessionName: string }>;
  /** The execution role of each task sent that has one, likewise. */
  executionRoles: Map<string, { roleArn: string; sessionName: string }>;
  /** Tasks placed on this session's instance, as checked for awslogs messages, with the execution role each ships as (bounded: AWSLOGS_TASKS_KNOWN). */
  awslogsTasks: Lru<string, { executionRole?: string; principal?: string }>;
  /** What the session extensions attached at its hello (one per extension). */
  attached: ReturnType<SessionExtension['attach']>[];
  /** The instance's record as the watch last delivered it since the session began: extensions attach with it (a claim written during the hello is not missed). */
  latest?: ContainerInstanceRecord;
}

/** What the agent gateway calls for the awslogs driver: the Logs service's receiver (src/logs/agent-put.ts). */
export interface AwslogsReceiver {
  setup(scope: Scope, now: number, group: string, stream: string, createGroup: boolean): Promise<void>;
  put(scope: Scope, now: number, batch: { group: string; stream: string; createGroup: boolean; events: { timestamp: number; message: string; end: number }[] | EncodedEvents }): Promise<unknown>;
}

/**
 * The control plane's end of agent sessions: accepts agents' WebSockets, sends each the
 * tasks placed on its instance (a snapshot at hello, then every change, from one store
 * watch), and applies their task reports. It keeps no timers for sessions that end: it
 * records when one ended (`agentDisconnectedAt` on the instance) and clears it at the next
 * hello; the instance-health reconciler (src/controllers/instance-health.ts) decides what
 * an absence past the grace period means.
 *
 * Every session is authenticated before anything is sent: the upgrade request carries
 * the instance's secret (`Authorization: Bearer berth_inst_…`), and the hello's container
 * instance must be the one that secret was issued to. Anything else is closed with 1008
 * and a one-line reason, and counted against the caller's address.
 */
export function createAgentGateway({ store, state, log, auth, now = Date.now, parsedValues, issueCredentials, credentialsRotateMs = CREDENTIALS_ROTATE_MS, awslogs, openCredentials, sessionExtensions = [] }: {
  store: Store;
  /** The instances a previous process left marked connected (at start), and each instance's tasks (at hello). */
  state: ClusterState;
  log: (line: string) => void;
  auth: CallerAuth;
  now?: () => number;
  /**
   * Records this process wrote, with their objects (store/parsed-values.ts): a task the
   * placer just placed, or a report just applied, is not parsed again by the watch nor by
   * the next report (a 1-3 KB parse per task, twice).
   */
  parsedValues?: { get(key: string, value: string): unknown; remember(key: string, value: string, parsed: unknown): void };
  /** A task role's credentials (src/identity): sent with each assignment of a task that has a role, and again before they expire. */
  issueCredentials?: (role: { roleArn: string; sessionName: string; taskArn: string }, now: number) => RoleCredentials;
  /** How often every held task role's credentials are replaced (CREDENTIALS_ROTATE_MS; tests shorten it). */
  credentialsRotateMs?: number;
  /** The awslogs driver's receiver; without it, agents' awslogs messages are refused. */
  awslogs?: AwslogsReceiver;
  /** Opens the session credentials an agent presents for a task's execution role (src/identity). */
  openCredentials?: CredentialsOpener;
  /** What else follows each session (SessionExtension). */
  sessionExtensions?: readonly SessionExtension[];
}) {
  const parseTask = (key: string, value: string) => (parsedValues?.get(key, value) ?? JSON.parse(value)) as TaskRecord;
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES });
  // One session per container instance: bounded by the instances.
  const sessions = new Map<string, Session>();
  const definitions = new Lru<string, TaskDefinitionRecord>(DEFINITIONS_CACHED);
  /** Open logs/exec requests, by id: the session asked, and where its answers go. Each leaves at its end, error, timeout or cancel. */
  const requests = new Map<string, { session: Session; answer: (msg: Extract<AgentMessage, { type: AgentAnswer }>) => void }>();
  let watch: Watch | undefined;
  /** Sockets upgraded and not yet past their hello (bounded by MAX_AWAITING_HELLO). */
  let awaitingHello = 0;
  let closing = false;

  const sweeper = setInterval(() => {
    for (const s of sessions.values()) {
      if (now() - s.lastSeen > 3 * HEARTBEAT_INTERVAL_MS) s.ws.terminate();
    }
  }, HEARTBEAT_INTERVAL_MS);
  sweeper.unref();
  // Credentials last SESSION_LIFETIME_MS (6 h); each task's are replaced every CREDENTIALS_ROTATE_MS.
  const rotator = setInterval(() => {
    for (const s of sessions.values()) {
      for (const [taskArn, role] of s.roles) sendCredentials(s, taskArn, role);
      for (const [taskArn, role] of s.executionRoles) sendCredentials(s, taskArn, role, true);
    }
  }, credentialsRotateMs);
  rotator.unref();

  async function start(): Promise<void> {
    const from = await store.revision();
    await markOrphans();
    watch = store.watch('/ecs/', from, (e) => {
      if (e.type !== 'put') return;
      if (INSTANCE_KEY.test(e.kv.key)) return instanceChanged(JSON.parse(e.kv.value) as ContainerInstanceRecord);
      const m = TASK_KEY.exec(e.kv.key);
      if (!m) return;
      const task = parseTask(e.kv.key, e.kv.value);
      // A task stored as a spec and a status (a pod's): the spec names its host.
      if (!isWholeRecord(task)) return splitTaskChanged(e.kv.key, task as unknown as TaskSpec);
      const session = task.containerInstanceArn && sessions.get(task.containerInstanceArn);
      if (!session) return;
      if (task.lastStatus === 'STOPPED') { session.sent.delete(task.taskArn); session.roles.delete(task.taskArn); session.executionRoles.delete(task.taskArn); return; }
      if (session.sent.get(task.taskArn) === task.desiredStatus) return;
      session.sent.set(task.taskArn, task.desiredStatus);
      void assignment(task, session).then((a) => send(session, { type: 'task', assignment: a }), (err) => log(`agent gateway: ${String(err)}`));
    });
  }

  /**
   * A split task's spec written (a pod's: placed after it was made, or told to stop): its
   * host's session gets the spec as it is, with the status read beside it.
   */
  function splitTaskChanged(key: string, spec: TaskSpec): void {
    const session = spec.placement.instanceArn === undefined ? undefined : sessions.get(spec.placement.instanceArn);
    if (!session || session.sent.get(spec.ecs.taskArn) === spec.desiredStatus) return;
    session.sent.set(spec.ecs.taskArn, spec.desiredStatus);
    void readTaskAt(store, key, parseTask).then(async (held) => {
      if (!held || held.record.lastStatus === 'STOPPED') return;
      send(session, { type: 'task', assignment: await assignment(held.record, session, held.spec) });
    }).catch((err: unknown) => log(`agent gateway: ${String(err)}`));
  }

  /** Deregistration revokes the instance's secret and ends its session; any change is told to the session's extensions. */
  function instanceChanged(instance: ContainerInstanceRecord): void {
    const s = sessions.get(instance.containerInstanceArn);
    if (s) {
      s.latest = instance;
      for (const a of s.attached) a.instanceChanged(instance);
    }
    if (instance.status !== 'INACTIVE') return;
    const ref = instanceRefOf(instance.containerInstanceArn);
    if (ref) void revokeSecret(store, ref).catch((err: unknown) => log(`agent gateway: revoking ${instance.containerInstanceArn}: ${String(err)}`));
    sessions.get(instance.containerInstanceArn)?.ws.close(POLICY_VIOLATION, REFUSED.deregistered);
  }

  async function definitionOf(task: TaskRecord): Promise<TaskDefinitionRecord> {
    const cached = definitions.get(task.taskDefinitionArn);
    if (cached) return cached;
    const arn = parseArn(task.taskDefinitionArn)!;
    const ref = parseTaskDefinitionRef(task.taskDefinitionArn);
    const td = await getJson<TaskDefinitionRecord>(store, keys.taskDefinition({ account: arn.account, region: arn.region }, ref.family, ref.revision!));
    if (!td) throw new Error(`task ${task.taskArn} names a task definition that is gone: ${task.taskDefinitionArn}`);
    // A revision's containers never change (only its status does): safe to keep.
    definitions.set(task.taskDefinitionArn, td.value);
    return td.value;
  }

  async function assignment(task: TaskRecord, session: Session, stored?: TaskSpec): Promise<Assignment> {
    // A task stored as a spec and a status (a pod's) has its spec and no task definition.
    const td = stored ? undefined : await definitionOf(task);
    // The agent runs the task's spec, whichever front door made it (src/core/workload).
    const spec = stored ?? specOf(task, td!);
    // ECS's default awslogs mode is the account's defaultLogDriverMode setting (non-blocking unless set).
    const modeless = spec.containers.some((c) => c.log?.driver === 'awslogs' && c.log.options?.mode === undefined);
    const a = parseArn(task.taskArn);
    const logDriverMode = modeless && a ? await settingFor(store, { account: a.account, region: a.region }, rootPrincipal({ account: a.account, region: a.region }), 'defaultLogDriverMode') as 'blocking' | 'non-blocking' : undefined;
    const role = issueCredentials && td && task.desiredStatus !== 'STOPPED' ? taskRoleOf(task, td) : undefined;
    if (role) session.roles.set(task.taskArn, role);
    const execution = issueCredentials && td && task.desiredStatus !== 'STOPPED' ? executionRoleOf(task, td) : undefined;
    if (execution) session.executionRoles.set(task.taskArn, execution);
    return {
      ...(role && { roleCredentials: issueCredentials!({ ...role, taskArn: task.taskArn }, now()) }),
      ...(execution && { executionRoleCredentials: issueCredentials!({ ...execution, taskArn: task.taskArn }, now()) }),
      spec,
      lastStatus: task.lastStatus,
      ...(logDriverMode && { logDriverMode }),
    };
  }

  function sendCredentials(s: Session, taskArn: string, role: { roleArn: string; sessionName: string }, execution = false): void {
    try {
      send(s, { type: 'credentials', taskArn, credentials: issueCredentials!({ ...role, taskArn }, now()), ...(execution && { execution: true as const }) });
    } catch (err) {
      log(`agent gateway: credentials for ${taskArn}: ${String(err)}`);
    }
  }

  function send(s: Session, msg: ServerMessage): void {
    if (s.ws.readyState === s.ws.OPEN) s.ws.send(JSON.stringify(msg));
  }

  /** Hello: connected, and no longer counting an absence; the host's address as it says it now (an IP literal, else none). */
  async function setConnected(scope: Scope, cluster: string, instanceArn: string, address: unknown): Promise<ContainerInstanceRecord | undefined> {
    const id = instanceArn.slice(instanceArn.lastIndexOf('/') + 1);
    const agentAddress = typeof address === 'string' && isIP(address) !== 0 ? address : undefined;
    return updateJson<ContainerInstanceRecord>(store, keys.containerInstance(scope, cluster, id), (c) => {
      const { agentDisconnectedAt: _ended, agentAddress: _was, ...rest } = c;
      return { ...rest, agentConnected: true, ...(agentAddress !== undefined && { agentAddress }) };
    });
  }

  /** A session ended: the instance-health reconciler starts counting the grace period from now. */
  async function setDisconnected(scope: Scope, cluster: string, instanceArn: string): Promise<void> {
    const id = instanceArn.slice(instanceArn.lastIndexOf('/') + 1);
    const at = now();
    const key = keys.containerInstance(scope, cluster, id);
    for (;;) {
      const cur = await getJson<ContainerInstanceRecord>(store, key);
      // Checked at each attempt, just before its write: a newer session registered meanwhile wins.
      if (!cur || sessions.has(instanceArn) || cur.value.agentDisconnectedAt !== undefined) return;
      const next = { ...cur.value, agentDisconnectedAt: at };
      if ((await store.txn({ if: [{ key, modRevision: cur.modRevision }], ops: [{ type: 'put', key, value: JSON.stringify(next) }] })).ok) return;
    }
  }

  /**
   * At start no agent has a session here: an instance still shown connected lost its session
   * with the previous control plane process (killed, so no end was recorded). Its absence
   * counts from now; an agent that reconnects clears it. Read from the cluster state's
   * instances, not the store (no task is read).
   */
  async function markOrphans(): Promise<void> {
    await state.ready();
    const at = now();
    for (const ref of state.clusters()) {
      for (const inst of state.snapshot(ref)?.instances ?? []) {
        const c = inst.record;
        if (!c.agentConnected || c.agentDisconnectedAt !== undefined || c.status === 'INACTIVE') continue;
        // Compare-and-set: an agent saying hello meanwhile wins.
        await store.txn({ if: [{ key: inst.key, modRevision: inst.modRevision }], ops: [{ type: 'put', key: inst.key, value: JSON.stringify({ ...c, agentDisconnectedAt: at }) }] });
      }
    }
  }

  /** Closes a session that failed to authenticate, before anything was sent on it. */
  function refuse(ws: WebSocket, caller: string, why: keyof typeof REFUSED, claimed?: string): undefined {
    if (why !== 'blocked') recordFailure(auth, caller, `agent session${claimed ? ` claiming ${claimed}` : ''} (${why})`);
    ws.close(POLICY_VIOLATION, REFUSED[why]);
    return undefined;
  }

  async function hello(ws: WebSocket, caller: string, secret: string, msg: Extract<AgentMessage, { type: 'hello' }>): Promise<Session | undefined> {
    const ref = typeof msg.containerInstanceArn === 'string' ? instanceRefOf(msg.containerInstanceArn) : undefined;
    if (!ref || msg.version !== PROTOCOL_VERSION) return refuse(ws, caller, 'bad-hello');
    const check = await checkSecret(store, ref, secret);
    if (check !== 'ok') return refuse(ws, caller, check, msg.containerInstanceArn);
    const { scope, cluster } = ref;
    // The session is known before the instance is marked connected: an older session's end,
    // recorded concurrently, sees it and leaves no absence behind (setDisconnected).
    sessions.get(msg.containerInstanceArn)?.ws.close(4409, 'replaced by a newer session');
    const session: Session = { ws, instanceArn: msg.containerInstanceArn, scope, cluster, lastSeen: now(), sent: new Map(), roles: new Map(), executionRoles: new Map(), awslogsTasks: new Lru(AWSLOGS_TASKS_KNOWN), attached: [] };
    sessions.set(msg.containerInstanceArn, session);
    const instance = await setConnected(scope, cluster, msg.containerInstanceArn, msg.hostAddress);
    if (!instance || instance.status === 'INACTIVE') {
      if (sessions.get(msg.containerInstanceArn) === session) sessions.delete(msg.containerInstanceArn);
      return refuse(ws, caller, 'deregistered', msg.containerInstanceArn);
    }
    // The instance's own tasks from the cluster state's index (never a scan of the cluster),
    // once it holds every write made before the session was registered: a task placed later
    // reaches the session through the watch.
    await state.caughtUp(await store.revision());
    // A Fargate pool host's tasks belong to clusters of any account: the state answers every
    // task placed on the instance from the instance's own cluster's index.
    const tasks: { record: TaskRecord; spec?: TaskSpec }[] = [];
    for (const t of state.tasksOnInstance(msg.containerInstanceArn)) {
      const held = await readTaskAt(store, t.key, parseTask);
      if (held && held.record.lastStatus !== 'STOPPED') tasks.push({ record: held.record, ...(held.spec && { spec: held.spec }) });
    }
    for (const t of tasks) session.sent.set(t.record.taskArn, t.record.desiredStatus);
    send(session, { type: 'tasks', assignments: await Promise.all(tasks.map((t) => assignment(t.record, session, t.spec))) });
    if (sessions.get(msg.containerInstanceArn) === session) session.attached = sessionExtensions.map((x) => x.attach(session.latest ?? instance, (m) => send(session, m)));
    log(`agent connected: ${msg.containerInstanceArn} (${tasks.length} tasks)`);
    return session;
  }

  /**
   * A container's scale-in protection request (its task protection endpoint), through the
   * same calls as UpdateTaskProtection / GetTaskProtection, in the task's own scope: only
   * for a task placed on this session's instance (a pool host serves many accounts).
   */
  async function protection(s: Session, msg: Extract<AgentMessage, { type: 'protection' }>): Promise<ServerMessage> {
    const ref = taskRefOfArn(msg.taskArn);
    const found = ref === undefined ? undefined : await readTask(store, ref, parseTask);
    if (!ref || !found || found.record.containerInstanceArn !== s.instanceArn) {
      return { type: 'protectionResult', id: msg.id, error: { code: 'ResourceNotFoundException', message: `The task ${msg.taskArn} does not run on this container instance.` } };
    }
    const { scope, cluster } = ref;
    const nowSeconds = now() / 1000;
    try {
      checkProtectionRequest(1, MAX_UPDATE_PROTECTION_TASKS, msg.expiresInMinutes);
      const r = msg.enabled === undefined
        ? await getTaskProtection(store, scope, cluster, [msg.taskArn], nowSeconds)
        : await updateTaskProtection(store, scope, cluster, [msg.taskArn], msg.enabled, msg.expiresInMinutes, nowSeconds);
      return { type: 'protectionResult', id: msg.id, ...r };
    } catch (e) {
      const code = (e as { code?: string }).code ?? 'ServerException';
      return { type: 'protectionResult', id: msg.id, error: { code, message: (e as Error).message } };
    }
  }

  async function report(s: Session, msg: Extract<AgentMessage, { type: 'state' }>): Promise<void> {
    // The task's own key, from its ARN: a pool host runs tasks of other clusters and accounts.
    // Applied only to a task placed on this session's instance.
    const ref = taskRefOfArn(msg.report.taskArn);
    // The report is the status's (what runs): a StopTask meanwhile does not refuse it.
    // applyReport answers a new record and leaves the (possibly shared) one read as it is;
    // a task placed elsewhere is not this agent's: nothing to apply.
    // Acknowledged only once applied (or found to change nothing): an acknowledged report is
    // never sent again, so a storm of writes to the task is outlasted, not given up on.
    while (ref) {
      const w = await changeTask(store, ref, 'status', (cur) => cur.containerInstanceArn === s.instanceArn ? applyReport(cur, msg.report, now() / 1000) : undefined, {
        parse: parseTask, ...(parsedValues && { remember: (key, value, parsed) => parsedValues.remember(key, value, parsed) }),
        // A pod's status (spec and status stored apart) takes the report's probe and restart facts too.
        status: (spec, status, cur) => (cur.containerInstanceArn === s.instanceArn ? applyStatusReport(spec, status, msg.report, now() / 1000) : undefined),
      });
      if (w.outcome !== 'conflict') break;
      log(`agent gateway: the report of ${msg.report.taskArn} lost ${MAX_TASK_WRITE_ATTEMPTS} writes in a row to the task; trying again`);
    }
    send(s, { type: 'ack', seq: msg.seq });
  }

  /**
   * An awslogs driver's request: for a task placed on the session's instance, in the task's
   * account and the region its options name. Answered when done, out of the session's
   * message order (a batch waits for its fdatasync; reports need not wait behind it).
   */
  async function awslogsRequest(s: Session, msg: Extract<AgentMessage, { type: 'awslogs' }> | (Omit<Extract<AgentMessage, { type: 'awslogs' }>, 'events'> & { events: EncodedEvents })): Promise<void> {
    const answer = (error?: { code: string; message: string }) => send(s, { type: 'awslogsResult', id: msg.id, ...(error && { error }) });
    try {
      const key = taskKeyOf(msg.taskArn);
      if (!awslogs) return answer({ code: 'ServiceUnavailableException', message: 'this control plane has no CloudWatch Logs receiver' });
      if (key === undefined || typeof msg.group !== 'string' || typeof msg.stream !== 'string' || typeof msg.region !== 'string') {
        return answer({ code: 'InvalidParameterException', message: 'an awslogs message names a task ARN, a region, a group and a stream' });
      }
      let known = s.awslogsTasks.get(msg.taskArn);
      if (!known) {
        const task = (await readTaskAt(store, key, parseTask))?.record;
        if (task?.containerInstanceArn !== s.instanceArn) return answer({ code: 'AccessDeniedException', message: `task ${msg.taskArn} does not run on ${s.instanceArn}` });
        // Checked only where this control plane hands execution role sessions out (issueCredentials).
        const executionRole = issueCredentials ? executionRoleOf(task, await definitionOf(task))?.roleArn : undefined;
        known = executionRole ? { executionRole } : {};
        s.awslogsTasks.set(msg.taskArn, known);
      }
      // A task with an execution role ships its logs as that role's session, as on ECS (execution-principal.ts).
      if (known.executionRole !== undefined) {
        const who = executionPrincipal(openCredentials, msg.as, msg.taskArn, known.executionRole, now());
        if (!who.ok) return answer({ code: 'AccessDeniedException', message: who.message });
        if (known.principal !== who.principal) {
          known.principal = who.principal;
          log(`awslogs: ${msg.taskArn} ships to ${msg.group} as ${who.principal}`);
        }
      }
      const scope = { account: parseArn(msg.taskArn)!.account, region: msg.region };
      if (msg.op === 'setup') await awslogs.setup(scope, now(), msg.group, msg.stream, msg.createGroup === true);
      else {
        const events = Array.isArray(msg.events) ? msg.events.map(([timestamp, message, end]) => ({ timestamp, message, end })) : msg.events ?? [];
        await awslogs.put(scope, now(), { group: msg.group, stream: msg.stream, createGroup: msg.createGroup === true, events });
      }
      answer();
    } catch (e) {
      const code = e instanceof Error && 'code' in e && typeof e.code === 'string' ? e.code : 'ServiceUnavailableException';
      if (code === 'ServiceUnavailableException') log(`awslogs from ${s.instanceArn}: ${e instanceof Error ? e.stack : String(e)}`);
      answer({ code, message: e instanceof Error ? e.message : String(e) });
    }
  }

  function attach(ws: WebSocket, req: IncomingMessage): void {
    const caller = callerOf(req);
    const secret = bearerOf(req.headers.authorization);
    if (auth.limiter.blocked(caller, now())) return void refuse(ws, caller, 'blocked');
    if (secret === undefined || !isInstanceSecret(secret)) return void refuse(ws, caller, 'no-secret-given');
    if (awaitingHello >= MAX_AWAITING_HELLO) return void ws.close(POLICY_VIOLATION, REFUSED.busy);
    awaitingHello++;
    let session: Session | undefined;
    let helloSeen = false;
    const helloDone = () => { if (!helloSeen) { helloSeen = true; awaitingHello--; } };
    // A socket that never says hello holds memory and a file descriptor: it gets this long.
    const helloTimer = setTimeout(() => { if (!helloSeen) { helloDone(); refuse(ws, caller, 'no-hello'); } }, HELLO_TIMEOUT_MS);
    helloTimer.unref();
    // Messages are handled one at a time, in order: a report must not overtake the hello.
    let queue = Promise.resolve();
    ws.on('message', (data, isBinary) => {
      queue = queue.then(async () => {
        if (ws.readyState !== ws.OPEN) return;
        // Binary frames are awslogs batches (src/agent/awslogs/batch-frame.ts), checked whole before anything is stored.
        if (isBinary) {
          if (!session) return void ws.close(POLICY_VIOLATION, 'say hello first');
          session.lastSeen = now();
          try {
            const { header, events } = decodeBatchFrame(data as Buffer, MAX_MESSAGE_BYTES);
            void awslogsRequest(session, { ...header, type: 'awslogs', op: 'put', events });
          } catch (e) {
            if (!(e instanceof BadFrame)) throw e;
            if (e.id === undefined) return void ws.close(1007, e.message);
            send(session, { type: 'awslogsResult', id: e.id, error: { code: e.code, message: e.message } });
          }
          return;
        }
        let msg: AgentMessage;
        try {
          msg = JSON.parse(String(data)) as AgentMessage;
        } catch {
          ws.close(1007, 'frames are JSON');
          return;
        }
        if (session) session.lastSeen = now();
        if (msg.type === 'hello') {
          if (helloSeen) return void ws.close(POLICY_VIOLATION, 'one hello per session');
          helloDone();
          clearTimeout(helloTimer);
          session = await hello(ws, caller, secret, msg);
        } else if (!session) ws.close(POLICY_VIOLATION, 'say hello first');
        else if (msg.type === 'state') await report(session, msg);
        else if (msg.type === 'protection') send(session, await protection(session, msg));
        else if (msg.type === 'tags') send(session, await tagsForAgent(store, session.instanceArn, msg.id, msg.taskArn, taskKeyOf(msg.taskArn), randomUUID()));
        else if (msg.type === 'awslogs') void awslogsRequest(session, msg);
        else if (ANSWERS.has(msg.type)) {
          // Only the session a request went to may answer it.
          const answer = msg as Extract<AgentMessage, { type: AgentAnswer }>;
          const r = requests.get(answer.id);
          if (r?.session === session) r.answer(answer);
        } else for (const a of session.attached) a.message(msg);
      }).catch((err: unknown) => log(`agent session error: ${err instanceof Error ? err.stack : String(err)}`));
    });
    ws.on('close', () => {
      clearTimeout(helloTimer);
      helloDone();
      for (const a of session?.attached ?? []) a.detach();
      if (!session || sessions.get(session.instanceArn) !== session) return;
      sessions.delete(session.instanceArn);
      const s = session;
      // Interactive execs on this agent end with it (their clients are told).
      for (const [id, r] of requests) if (r.session === s) r.answer({ type: 'execExit', id, error: 'the agent disconnected' });
      log(`agent disconnected: ${s.instanceArn}`);
      // A stopping control plane ends every session itself: nothing to record (the next
      // start counts every instance still shown connected as absent from then on).
      if (closing) return;
      // Queued behind the session's messages, so a report in flight lands first.
      queue = queue.then(() => setDisconnected(s.scope, s.cluster, s.instanceArn)).catch((err: unknown) => log(`agent gateway: recording the end of ${s.instanceArn}'s session: ${String(err)}`));
    });
  }

  return {
    start,
    /** For the http server's 'upgrade' event. */
    handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
      if (req.url?.split('?')[0] !== AGENT_PATH) {
        socket.destroy();
        return;
      }
      wss.handleUpgrade(req, socket, head, (ws) => attach(ws, req));
    },
    connected: (instanceArn: string) => sessions.has(instanceArn),

    /**
     * Streams a task container's log from the agent that runs it. `onData` gets text;
     * the promise settles at the end (or at once with an error). `cancel` stops a follow.
     */
    logs(task: Pick<TaskRecord, 'taskArn' | 'containerInstanceArn'>, container: string | undefined, follow: boolean, onData: (text: string) => void, options: { previous?: boolean; caughtUp?: () => void } = {}): { done: Promise<void>; cancel(): void } {
      const session = task.containerInstanceArn ? sessions.get(task.containerInstanceArn) : undefined;
      if (!session) return { done: Promise.reject(new Error(`the agent of ${task.containerInstanceArn ?? 'this task'} is not connected`)), cancel: () => {} };
      const id = randomUUID();
      const done = new Promise<void>((resolve, reject) => {
        requests.set(id, { session, answer: (m) => {
          if (m.type !== 'logData') return;
          if (m.data) onData(m.data);
          if (m.caughtUp) options.caughtUp?.();
          if (m.error) { requests.delete(id); reject(new Error(m.error)); }
          else if (m.end) { requests.delete(id); resolve(); }
        } });
      });
      send(session, { type: 'logs', id, taskArn: task.taskArn, ...(container && { container }), follow, ...(options.previous && { previous: true }) });
      return { done, cancel: () => { requests.delete(id); send(session, { type: 'cancel', id }); } };
    },

    /**
     * ECS Exec: opens `command` on a terminal in a task's container on its agent. Output and
     * the end come to `io`; the answer sends keystrokes and sizes, and `close` kills it. With
     * `attach` (`kubectl attach -i`) there is no command: the container's own process, and
     * `close` detaches.
     */
    interactiveExec(task: Pick<TaskRecord, 'taskArn' | 'containerInstanceArn'>, container: string, command: string[],
      io: { output(data: Buffer, stream: 'stdout' | 'stderr'): void; exit(exitCode: number | undefined, error?: string): void },
      options: { tty?: boolean; attach?: boolean } = {}): { input(data: Buffer): void; endInput(): void; resize(cols: number, rows: number): void; close(): void } {
      const session = task.containerInstanceArn ? sessions.get(task.containerInstanceArn) : undefined;
      const id = randomUUID();
      if (!session) {
        queueMicrotask(() => io.exit(undefined, `the agent of ${task.containerInstanceArn ?? 'this task'} is not connected`));
        return { input: () => {}, endInput: () => {}, resize: () => {}, close: () => {} };
      }
      requests.set(id, { session, answer: (m) => {
        if (m.type === 'execOutput') io.output(Buffer.from(m.data, 'base64'), m.stream ?? 'stdout');
        else if (m.type === 'execExit') { requests.delete(id); io.exit(m.exitCode, m.error); }
      } });
      send(session, { type: 'execOpen', id, taskArn: task.taskArn, container, command, ...(options.tty === false && { tty: false }), ...(options.attach && { attach: true }) });
      return {
        input: (data) => send(session, { type: 'execInput', id, data: data.toString('base64') }),
        endInput: () => send(session, { type: 'execInput', id, data: '', eof: true }),
        resize: (cols, rows) => send(session, { type: 'execResize', id, cols, rows }),
        close: () => { if (requests.delete(id)) send(session, { type: 'cancel', id }); },
      };
    },

    /**
     * `kubectl port-forward`: a connection to `port` inside a task's network, made by its
     * agent (src/agent/port-forwards.ts). Writes go to the port; a failure to connect, or the
     * agent going away, destroys the stream with the reason.
     */
    portForward(task: Pick<TaskRecord, 'taskArn' | 'containerInstanceArn'>, port: number): Duplex {
      const session = task.containerInstanceArn ? sessions.get(task.containerInstanceArn) : undefined;
      const id = randomUUID();
      const stream = new Duplex({
        read() {},
        write(chunk: Buffer, _enc, done) { if (session) send(session, { type: 'portData', id, data: chunk.toString('base64') }); done(); },
        final(done) { if (session) send(session, { type: 'portData', id, data: '', eof: true }); done(); },
        destroy(err, done) { if (session && requests.delete(id)) send(session, { type: 'cancel', id }); done(err); },
      });
      if (!session) {
        queueMicrotask(() => stream.destroy(new Error(`the agent of ${task.containerInstanceArn ?? 'this task'} is not connected`)));
        return stream;
      }
      requests.set(id, { session, answer: (m) => {
        if (m.type === 'portData') {
          stream.push(Buffer.from(m.data, 'base64'));
          // The agent cannot be paused: a reader this far behind ends the connection instead of growing memory.
          if (stream.readableLength > MAX_PORT_BUFFERED_BYTES) stream.destroy(new Error(`the client fell ${MAX_PORT_BUFFERED_BYTES} bytes behind the port's data`));
        }
        else if (m.type === 'portClosed' || m.type === 'execExit') {
          requests.delete(id);
          if (m.error !== undefined) stream.destroy(new Error(m.error));
          else stream.push(null);
        }
      } });
      send(session, { type: 'portOpen', id, taskArn: task.taskArn, port });
      return stream;
    },

    /** Runs a command in a task's container on its agent and answers with its result. */
    exec(task: TaskRecord, container: string | undefined, command: string[], timeoutMs: number): Promise<{ exitCode: number; stdout: string; stderr: string }> {
      const session = task.containerInstanceArn ? sessions.get(task.containerInstanceArn) : undefined;
      if (!session) return Promise.reject(new Error(`the agent of ${task.containerInstanceArn ?? 'this task'} is not connected`));
      const id = randomUUID();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => { requests.delete(id); reject(new Error('the agent did not answer in time')); }, timeoutMs + 5_000);
        requests.set(id, { session, answer: (m) => {
          if (m.type !== 'execResult') return;
          requests.delete(id);
          clearTimeout(timer);
          if (m.error !== undefined) reject(new Error(m.error));
          else resolve({ exitCode: m.exitCode ?? -1, stdout: m.stdout ?? '', stderr: m.stderr ?? '' });
        } });
        send(session, { type: 'exec', id, taskArn: task.taskArn, ...(container && { container }), command, timeoutMs });
      });
    },
    async close(): Promise<void> {
      closing = true;
      clearInterval(sweeper);
      clearInterval(rotator);
      watch?.close();
      for (const s of sessions.values()) s.ws.terminate();
      wss.close();
    },
  };
}
