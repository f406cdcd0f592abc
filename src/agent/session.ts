import { networkInterfaces } from 'node:os';
import { WebSocket } from 'ws';
import type { StatusReport } from '../core/workload/report.ts';
import { encodeBatchFrame, type BatchFrameHeader } from './awslogs/batch-frame.ts';
import type { EventBatch } from './awslogs/event-batch.ts';
import { hostAddress } from './host-address.ts';
import type { TableUpdate } from '../svcnet/table.ts';
import { AGENT_PATH, HEARTBEAT_INTERVAL_MS, MAX_FRAME_BYTES, PROTOCOL_VERSION, type AgentMessage, type AgentRequest, type Assignment, type ProtectionResultMessage, type RoleCredentials, type ServerMessage, type TagsResultMessage } from './protocol.ts';

/** Reconnect backoff: from half a second up to ten, so a restarted control plane is found quickly. */
const BACKOFF_MIN_MS = 500;
const BACKOFF_MAX_MS = 10_000;
/** The close code of a refused session (RFC 6455 policy violation). */
const POLICY_VIOLATION = 1008;
/** Protection calls in flight at once: each is one container's request, answered in milliseconds. */
const MAX_CALLS = 256;
/** A call the control plane has not answered by then is answered with an error (the container may retry). */
const CALL_TIMEOUT_MS = 10_000;


export interface SessionHandlers {
  /** The full desired state, after every (re)connect. */
  onSnapshot(assignments: Assignment[]): void;
  /** One task changed. */
  onAssignment(assignment: Assignment): void;
  /** A task role's rotated credentials; `execution` for its execution role's. */
  onCredentials?(taskArn: string, credentials: RoleCredentials, execution: boolean): void;
  /** A logs, exec or cancel request from `berth logs` / `berth exec`. */
  onRequest?(request: Extract<ServerMessage, { type: AgentRequest }>): void;
  /** The service table of the EKS cluster this instance is a node of (src/svcnet): whole, or a delta. */
  onServiceTable?(update: TableUpdate): void;
  /** The connection ended (a reconnect follows): what lived only for it (interactive execs) ends too. */
  onDisconnect?(): void;
  log(line: string): void;
}

/**
 * The agent's end of its session with the control plane: dials out, says hello, keeps
 * the connection (heartbeats, reconnect with backoff), and delivers task reports
 * at-least-once — each is kept until the control plane acknowledges it, and resent
 * after a reconnect.
 *
 * The client is the `ws` package's, as the gateway's server is: Node's global WebSocket
 * is undici's, whose fetch machinery (http2, web streams, a WebAssembly HTTP parser)
 * the agent would keep in memory for its one connection.
 */
export class AgentSession {
  readonly #url: string;
  readonly #hello: AgentMessage;
  readonly #headers: Readonly<Record<string, string>>;
  readonly #h: SessionHandlers;
  #ws: WebSocket | undefined;
  #seq = 0;
  #outbox = new Map<number, StatusReport>();
  #backoff = BACKOFF_MIN_MS;
  #heartbeat: NodeJS.Timeout | undefined;
  #reconnect: NodeJS.Timeout | undefined;
  #closed = false;
  #connected = false;
  /**
   * awslogs requests waiting for their answer: each driver has at most one batch (or its
   * setup) out, so this is bounded by the host's containers that use awslogs. Rejected
   * when the session ends; the driver sends again.
   */
  readonly #awslogs = new Map<number, { resolve(): void; reject(e: Error): void }>();
  #awslogsId = 0;
  /** The last refusal's reason: a refusal repeated at every retry is logged once. */
  #refused: string | undefined;
  #hostAddress: string | undefined;
  /** Calls awaiting the control plane's answer (at most MAX_CALLS; each ends by its answer or CALL_TIMEOUT_MS). */
  readonly #calls = new Map<string, (r: ProtectionResultMessage | TagsResultMessage) => void>();
  #callSeq = 0;

  /** `instanceSecret` is the one the control plane issued to `hello.containerInstanceArn` when it joined. */
  constructor(endpoint: string, hello: { cluster: string; containerInstanceArn: string; agentVersion: string }, instanceSecret: string, handlers: SessionHandlers) {
    const url = new URL(AGENT_PATH, endpoint);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    this.#url = url.toString();
    this.#hello = { type: 'hello', version: PROTOCOL_VERSION, ...hello };
    this.#headers = { authorization: `Bearer ${instanceSecret}` };
    this.#h = handlers;
  }

  /** The host's address as last said at hello (host-address.ts); undefined before the first. */
  get hostAddress(): string | undefined {
    return this.#hostAddress;
  }

  get connected(): boolean {
    return this.#connected;
  }

  start(): void {
    this.#dial();
  }

  /** Queues a report; it goes out now if connected, else after the next hello. */
  report(report: StatusReport): void {
    const seq = ++this.#seq;
    this.#outbox.set(seq, report);
    if (this.#connected) this.#send({ type: 'state', seq, report });
  }

  /** Reports not yet acknowledged (for tests and `berth` diagnostics). */
  get pending(): number {
    return this.#outbox.size;
  }

  close(): void {
    this.#closed = true;
    clearInterval(this.#heartbeat);
    clearTimeout(this.#reconnect);
    this.#ws?.close();
  }

  #dial(): void {
    if (this.#closed) return;
    // No permessage-deflate: the gateway does not offer it, and each zlib context holds memory.
    const ws = new WebSocket(this.#url, { perMessageDeflate: false, headers: this.#headers });
    this.#ws = ws;
    let local: string | undefined;
    // The address this host dials from: how the control plane (and every other host) reaches it.
    ws.on('upgrade', (res) => { local = res.socket.localAddress; });
    ws.on('open', () => {
      const address = hostAddress(local, networkInterfaces());
      this.#hostAddress = address;
      this.#send({ ...this.#hello, ...(address !== undefined && { hostAddress: address }) });
      this.#connected = true;
      for (const [seq, report] of this.#outbox) this.#send({ type: 'state', seq, report });
      this.#heartbeat = setInterval(() => this.#send({ type: 'heartbeat' }), HEARTBEAT_INTERVAL_MS);
    });
    // A text frame arrives as one Buffer (binaryType 'nodebuffer', ws's default).
    ws.on('message', (data) => {
      let msg: ServerMessage;
      try {
        msg = JSON.parse(data.toString()) as ServerMessage;
      } catch {
        return;
      }
      if (msg.type === 'tasks') this.#accepted(msg.assignments);
      else if (msg.type === 'task') this.#h.onAssignment(msg.assignment);
      else if (msg.type === 'ack') this.#outbox.delete(msg.seq);
      else if (msg.type === 'error') this.#h.log(`control plane: ${msg.message}`);
      else if (msg.type === 'credentials') this.#h.onCredentials?.(msg.taskArn, msg.credentials, msg.execution === true);
      else if (msg.type === 'protectionResult' || msg.type === 'tagsResult') this.#calls.get(msg.id)?.(msg);
      else if (msg.type === 'awslogsResult') this.#awslogsAnswer(msg);
      else if (msg.type === 'serviceTable') this.#h.onServiceTable?.(msg.update);
      else this.#h.onRequest?.(msg);
    });
    ws.on('close', (code, reason) => {
      clearInterval(this.#heartbeat);
      for (const r of this.#awslogs.values()) r.reject(new Error('the session with the control plane ended'));
      this.#awslogs.clear();
      // A refusal says why and what to do; the agent keeps trying (a restored control plane may take it back).
      if (code === POLICY_VIOLATION && !this.#closed) {
        const why = reason.toString() || 'no reason given';
        if (why !== this.#refused) this.#h.log(`the control plane refused this session: ${why} (retrying every ${BACKOFF_MAX_MS / 1000} s at most)`);
        this.#refused = why;
      } else if (this.#connected && !this.#closed) this.#h.log('disconnected from the control plane; reconnecting');
      this.#connected = false;
      this.#h.onDisconnect?.();
      if (this.#closed) return;
      this.#reconnect = setTimeout(() => this.#dial(), this.#backoff);
      this.#backoff = Math.min(this.#backoff * 2, BACKOFF_MAX_MS);
    });
    ws.on('error', () => { /* 'close' follows and schedules the retry */ });
  }

  /** The snapshot that answers each hello: the session is accepted (a refused socket opens too, so not before). */
  #accepted(assignments: Assignment[]): void {
    this.#h.log(`connected to ${this.#url}`);
    this.#backoff = BACKOFF_MIN_MS;
    this.#refused = undefined;
    this.#h.onSnapshot(assignments);
  }

  /**
   * Asks the control plane for a task's scale-in protection (read, or set with `enabled`).
   * Answers an error, never throws: not connected, too many calls, no answer in time.
   */
  protection(taskArn: string, enabled?: boolean, expiresInMinutes?: number): Promise<ProtectionResultMessage> {
    const id = `p${++this.#callSeq}`;
    const failed = (message: string): ProtectionResultMessage => ({ type: 'protectionResult', id, error: { code: 'ServerException', message } });
    if (!this.#connected) return Promise.resolve(failed('The agent is not connected to the control plane; try again shortly.'));
    if (this.#calls.size >= MAX_CALLS) return Promise.resolve(failed('Too many task protection requests in flight on this host; try again shortly.'));
    return new Promise((resolve) => {
      const timer = setTimeout(() => { this.#calls.delete(id); resolve(failed('The control plane did not answer in time; try again.')); }, CALL_TIMEOUT_MS);
      this.#calls.set(id, (r) => { clearTimeout(timer); this.#calls.delete(id); resolve(r as ProtectionResultMessage); });
      this.#send({ type: 'protection', id, taskArn, ...(enabled !== undefined && { enabled }), ...(expiresInMinutes !== undefined && { expiresInMinutes }) });
    });
  }

  /**
   * Asks the control plane for a task's tags and its container instance's (taskWithTags).
   * Answers errors in the answer, never throws.
   */
  tags(taskArn: string): Promise<TagsResultMessage> {
    const id = `t${++this.#callSeq}`;
    const failed = (message: string): TagsResultMessage => ({ type: 'tagsResult', id, errors: [{ resourceArn: taskArn, field: 'TaskTags', code: 'ServerException', message }] });
    if (!this.#connected) return Promise.resolve(failed('The agent is not connected to the control plane; try again shortly.'));
    if (this.#calls.size >= MAX_CALLS) return Promise.resolve(failed('Too many requests to the control plane in flight on this host; try again shortly.'));
    return new Promise((resolve) => {
      const timer = setTimeout(() => { this.#calls.delete(id); resolve(failed('The control plane did not answer in time; try again.')); }, CALL_TIMEOUT_MS);
      this.#calls.set(id, (r) => { clearTimeout(timer); this.#calls.delete(id); resolve(r as TagsResultMessage); });
      this.#send({ type: 'tags', id, taskArn });
    });
  }

  /**
   * Sends an awslogs driver request and resolves when the control plane answers it; rejects
   * with AWS's error (`code: message`), or at once when not connected.
   */
  awslogs(req: Omit<Extract<AgentMessage, { type: 'awslogs' }>, 'type' | 'id'>): Promise<void> {
    return this.#awslogsCall((id) => JSON.stringify({ type: 'awslogs', id, ...req }));
  }

  /** Sends an awslogs driver's batch as a binary frame (awslogs/batch-frame.ts); answered as `awslogs` is. */
  awslogsBatch(target: Omit<BatchFrameHeader, 'id'>, batch: EventBatch): Promise<void> {
    return this.#awslogsCall((id) => encodeBatchFrame({ id, ...target }, batch));
  }

  #awslogsCall(frameOf: (id: number) => string | Buffer): Promise<void> {
    if (!this.#connected || this.#ws?.readyState !== WebSocket.OPEN) return Promise.reject(new Error('not connected to the control plane'));
    const id = ++this.#awslogsId;
    const frame = frameOf(id);
    // The driver's batches are bounded to fit (AGENT_BATCH_LIMITS): this is a bug's guard, not a path.
    if (frame.length > MAX_FRAME_BYTES / 4 && (typeof frame === 'string' ? Buffer.byteLength(frame) : frame.length) > MAX_FRAME_BYTES) {
      return Promise.reject(new Error(`an awslogs frame of ${frame.length} bytes is past the session's ${MAX_FRAME_BYTES}`));
    }
    return new Promise((resolve, reject) => {
      this.#awslogs.set(id, { resolve, reject });
      this.#ws!.send(frame);
    });
  }

  #awslogsAnswer(msg: Extract<ServerMessage, { type: 'awslogsResult' }>): void {
    const r = this.#awslogs.get(msg.id);
    if (!r) return;
    this.#awslogs.delete(msg.id);
    if (msg.error) r.reject(Object.assign(new Error(`${msg.error.code}: ${msg.error.message}`), { code: msg.error.code }));
    else r.resolve();
  }

  /** Asks for the whole service table again (a delta did not follow the version held). */
  resyncServiceTable(): void {
    this.#send({ type: 'serviceTableResync' });
  }

  /** Answers a request (log data, exec results, forwarded ports' data); dropped when not connected. */
  answer(msg: Extract<AgentMessage, { type: 'logData' | 'execResult' | 'execOutput' | 'execExit' | 'portData' | 'portClosed' }>): void {
    this.#send(msg);
  }

  #send(msg: AgentMessage): void {
    if (this.#ws?.readyState === WebSocket.OPEN) this.#ws.send(JSON.stringify(msg));
  }
}
