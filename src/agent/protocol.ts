/**
 * The agent session protocol: one WebSocket per agent, dialled out from the host to the
 * control plane at {@link AGENT_PATH}, JSON text frames.
 *
 * Joining comes first, over plain HTTP at {@link REGISTER_PATH}: the join token registers
 * a new container instance and gets its secret back, once; the secret re-registers it
 * after a restart (src/server/agent-registration.ts). Every session's upgrade request
 * carries that secret (`Authorization: Bearer berth_inst_…`), and the hello must name the
 * instance it belongs to; otherwise the control plane closes the socket with 1008 and a
 * one-line reason before sending anything.
 *
 *   agent                                   control plane
 *     │── upgrade, Bearer <instance secret> ▶│  checked at the hello
 *     │── hello {instance, running tasks} ───▶│  marks the instance connected
 *     │◀── tasks {every task's spec} ─────────│  (desired state, full snapshot)
 *     │◀── task {one task's spec changed} ────│  (RunTask, StopTask, …)
 *     │── state {seq, status report} ────────▶│  applied to the task's status, then
 *     │◀── ack {seq} ─────────────────────────│  acknowledged once durable
 *     │── heartbeat ─────────────────────────▶│
 *     │◀── logs / exec {id, task, container} ─│  (berth logs / berth exec, proxied
 *     │── logData / execResult {id} ─────────▶│   by the control plane)
 *     │◀── credentials {task, role creds} ────│  a task role's, rotated (also in `task`)
 *     │◀── execOpen / execInput / execResize ─│  ECS Exec: an interactive command on a
 *     │── execOutput … execExit {id} ────────▶│   terminal, relayed to the client (src/exec/)
 *     │── awslogs {id, setup} / batch frame ─▶│  the awslogs driver (src/agent/awslogs):
 *     │◀── awslogsResult {id, error?} ────────│   answered once stored (or refused)
 *     │── tags {id, task} ───────────────────▶│  a task's and its instance's tags, for
 *     │◀── tagsResult {id, tags…} ────────────│   the metadata endpoint's /taskWithTags
 *     │◀── portOpen / portData / cancel ──────│  `kubectl port-forward`: one TCP connection
 *     │── portData … portClosed {id} ────────▶│   to a port inside a task's network
 *     │◀── serviceTable {full | delta} ───────│  an EKS node's cluster services (src/svcnet):
 *     │── serviceTableResync ────────────────▶│   whole at hello, then deltas; a gap asks again
 *
 * Reports carry a sequence number; the agent keeps each until it is acknowledged and
 * sends them again after a reconnect. Reports are idempotent (statuses only move
 * forward), so a report applied twice changes nothing.
 */
import type { StatusReport } from '../core/workload/report.ts';
import type { TaskSpec } from '../core/workload/spec.ts';
import type { Lifecycle } from '../core/workload/status.ts';
import type { TableUpdate } from '../svcnet/table.ts';

export const AGENT_PATH = '/_berth/agent/v1';
export const REGISTER_PATH = '/_berth/agents/register';
export const PROTOCOL_VERSION = 1;
/** The agent sends a heartbeat this often; the control plane drops a session silent for 3 intervals. */
export const HEARTBEAT_INTERVAL_MS = 10_000;
/** The control plane refuses (closes the session on) frames larger than this. */
export const MAX_FRAME_BYTES = 4 * 1024 * 1024;

/** An agent away longer than this is shown `agentConnected: false`. */
export const DISCONNECT_GRACE_MS = 15_000;

/**
 * What the control plane hands an agent for one task: its spec (src/core/workload/spec.ts),
 * whichever front door made it, and what is resolved for it at send time.
 */
export interface Assignment {
  spec: TaskSpec;
  /** The task's status as the control plane last recorded it: an agent without containers (bench/sim) tells a task already RUNNING by it. */
  lastStatus: Lifecycle;
  /** The task's account's `defaultLogDriverMode` setting, when a container logs with awslogs without a `mode` of its own. */
  logDriverMode?: 'blocking' | 'non-blocking';
  /** The task role's credentials, when the task has a role (served inside the task at 169.254.170.2). */
  roleCredentials?: RoleCredentials;
  /**
   * The execution role's credentials, when the task has one: the agent acts as it for the
   * task (registry pulls signed with them, awslogs batches sent with them), never the task.
   */
  executionRoleCredentials?: RoleCredentials;
}

/** Who an agent acts as for a task: its execution role's session (the access key and token, never the secret). */
export interface SessionProof {
  accessKeyId: string;
  sessionToken: string;
}

/** A task role's temporary credentials as the agent receives them (src/identity/session-credentials.ts makes them). */
export interface RoleCredentials {
  roleArn: string;
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  /** Epoch milliseconds. */
  expiration: number;
}

export type AgentMessage =
  /** `hostAddress`: the host's own address (agent/host-address.ts), its node's InternalIP and its pods' hostIP. */
  | { type: 'hello'; version: number; cluster: string; containerInstanceArn: string; agentVersion: string; hostAddress?: string }
  | { type: 'heartbeat' }
  | { type: 'state'; seq: number; report: StatusReport }
  /**
   * A piece of a container's log (lines in the k8s-file format), or the end of it;
   * `caughtUp`: what the log held when asked is all sent, what follows is new (a followed tail starts here).
   */
  | { type: 'logData'; id: string; data?: string; end?: boolean; error?: string; caughtUp?: true }
  | { type: 'execResult'; id: string; exitCode?: number; stdout?: string; stderr?: string; error?: string }
  /**
   * A task's scale-in protection, asked for by one of its containers (the task protection
   * endpoint): `enabled` absent reads it. Only for tasks placed on the session's instance.
   */
  | { type: 'protection'; id: string; taskArn: string; enabled?: boolean; expiresInMinutes?: number }
  /** Bytes an interactive exec (`execOpen`) wrote to its terminal (or, without one, to stdout or `stream`), base64. */
  | { type: 'execOutput'; id: string; data: string; stream?: 'stderr' }
  /** An interactive exec ended: its exit code, or why it could not run. */
  | { type: 'execExit'; id: string; exitCode?: number; error?: string }
  /** Bytes the forwarded port sent (`portOpen`), base64. */
  | { type: 'portData'; id: string; data: string }
  /** A forwarded connection ended: the port closed it (no error), or it could not be made or broke (`error`, the dialler's words). */
  | { type: 'portClosed'; id: string; error?: string }
  /**
   * The awslogs driver: `setup` makes sure the group (with createGroup) and the stream exist,
   * `put` stores a batch. Events are [timestamp, message, producer offset where it ends]
   * (src/logs/agent-put.ts keeps them exactly once). In the task's account, in `region`.
   * The driver sends its batches as binary frames instead (awslogs/batch-frame.ts: the same
   * fields, the events as bytes); a JSON `put` is still taken from agents before them.
   */
  | { type: 'awslogs'; id: number; op: 'setup' | 'put'; taskArn: string; region: string; group: string; stream: string; createGroup: boolean; events?: [number, string, number][]; as?: SessionProof }
  /** The tags of a task placed on the session's instance and of that instance (the metadata endpoint's taskWithTags). */
  | { type: 'tags'; id: string; taskArn: string }
  /** The agent missed a service table version (a delta not from its own): send the whole table again. */
  | { type: 'serviceTableResync' };

/** The control plane's answer to `tags`: ListTagsForResource's tags of the task and of its container instance (none for a Fargate task), or why not. */
export interface TagsResultMessage {
  type: 'tagsResult';
  id: string;
  taskTags?: { key: string; value?: string }[];
  containerInstanceTags?: { key: string; value?: string }[];
  /**
   * The resource whose tags could not be read, and AWS's error; `requestId` names the
   * control plane's read that failed (the ECS agent reports ListTagsForResource's), absent
   * when the agent never got an answer.
   */
  errors?: { resourceArn: string; field: 'TaskTags' | 'ContainerInstanceTags'; code: string; message: string; requestId?: string }[];
}

/** The control plane's answer to a `protection` call: UpdateTaskProtection's or GetTaskProtection's, or an error. */
export interface ProtectionResultMessage {
  type: 'protectionResult';
  id: string;
  protectedTasks?: { taskArn: string; protectionEnabled: boolean; expirationDate?: number }[];
  failures?: { arn: string; reason: string; detail?: string }[];
  error?: { code: string; message: string };
}

export type ServerMessage =
  | { type: 'tasks'; assignments: Assignment[] }
  | { type: 'task'; assignment: Assignment }
  | { type: 'ack'; seq: number }
  | { type: 'error'; message: string }
  /** `previous`: the container's run before its last restart in place (a pod's: `kubectl logs --previous`). */
  | { type: 'logs'; id: string; taskArn: string; container?: string; follow: boolean; previous?: boolean }
  | { type: 'exec'; id: string; taskArn: string; container?: string; command: string[]; timeoutMs: number }
  /** ECS Exec (src/exec/): run `command` in the container on a terminal; bytes flow as execInput / execOutput until execExit. */
  | { type: 'execOpen'; id: string; taskArn: string; container: string; command: string[]; /** false: plain pipes, stdout and stderr apart (`kubectl exec` without -t). */ tty?: boolean;
    /** `kubectl attach -i`: no command; the container's own process, its stdin and output, through conmon's attach socket. `cancel` detaches. */ attach?: true }
  /** Keystrokes (or stdin bytes) for an interactive exec, base64; `eof`: its stdin ends after them. */
  | { type: 'execInput'; id: string; data: string; eof?: boolean }
  /** The client's terminal changed size. */
  | { type: 'execResize'; id: string; cols: number; rows: number }
  /**
   * `kubectl port-forward`: open a TCP connection to `port` inside the task's network (its
   * loopback where the task has a namespace of its own), bytes then flow as portData both
   * ways until either side closes (`cancel` from here, `portClosed` from the agent).
   */
  | { type: 'portOpen'; id: string; taskArn: string; port: number }
  /** Bytes for a forwarded connection, base64; `eof`: the client will send nothing more. */
  | { type: 'portData'; id: string; data: string; eof?: boolean }
  /** The requester went away: stop streaming `id` (an interactive exec is killed, a forwarded connection closed). */
  | { type: 'cancel'; id: string }
  /** A task role's fresh credentials (the execution role's with `execution`), sent before the ones the agent holds expire. */
  | { type: 'credentials'; taskArn: string; credentials: RoleCredentials; execution?: true }
  | ProtectionResultMessage
  | TagsResultMessage
  /** The answer to an `awslogs` message: nothing on success, else AWS's error. */
  | { type: 'awslogsResult'; id: number; error?: { code: string; message: string } }
  /** The service table of the EKS cluster this instance is a node of (src/svcnet): whole (null: none), or a delta from `from`. */
  | { type: 'serviceTable'; update: TableUpdate };

/** The control plane's requests an agent answers (logs, execs, forwarded ports), as opposed to its own calls' answers. */
export type AgentRequest = 'logs' | 'exec' | 'cancel' | 'execOpen' | 'execInput' | 'execResize' | 'portOpen' | 'portData';
