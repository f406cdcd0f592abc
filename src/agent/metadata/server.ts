/**
 * The agent's one endpoint server for what runs inside tasks: task metadata v3/v4, the
 * scale-in protection endpoint, task role credentials and the AWS relay, as routes of one
 * handler. Containers reach it at 169.254.170.2:80, which the network's nft rules DNAT to
 * this server on each bridge's gateway address (src/runtime/network/nft-plan.ts).
 *
 * A request is answered only for the task that owns the endpoint id in its path, and only
 * when the connection comes from that task: its source address is one of the task's (bridge,
 * awsvpc, a gVisor sandbox's awsvpc), or, for a host-mode task, the task's cgroup holds the
 * socket (owner.ts). Anything else gets 404, the same as an id that does not exist, so
 * nothing tells a task whether another task's id is real.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { RoleCredentials, TagsResultMessage } from '../protocol.ts';
import { credentialsAnswer } from '../task-credentials.ts';
import { isAwsRequest, relay } from './aws-relay.ts';
import { route } from './routes.ts';
import { dockerStats, type StatsSample } from './stats.ts';
import { withTags } from './task-tags.ts';
import { containerMetadata, taskMetadata, type MetadataTask } from './view.ts';

/** Previous stats samples kept for precpu_stats and network rates: one per container asked about, at most this many (oldest dropped). */
export const MAX_STATS_PREVIOUS = 4096;
/**
 * Serialized metadata answers kept, one per container and kind (its own, its task's; v3 and
 * v4), with the task version they were made at: a task's facts change a few times in its
 * life, while its containers may ask a thousand times a second. Oldest dropped past this.
 */
export const MAX_ANSWERS_KEPT = 4096;
/** A PUT body larger than this is refused: the protection request is two small fields. */
const MAX_BODY_BYTES = 4096;

export interface StatsSource {
  readonly container: string;
  readonly dockerId: string;
  read(now: number): StatsSample;
}

export interface EndpointTarget {
  readonly taskArn: string;
  readonly container: string;
  /** Whether this connection comes from the task (its address, or its cgroup for host mode). */
  owns(socket: Socket): boolean;
  metadata(): MetadataTask;
  /** Changes whenever metadata() would; undefined when every answer must be made anew (answers are then not kept). */
  version?(): string | undefined;
  stats(): readonly StatsSource[];
}

/** The ECS answer to UpdateTaskProtection / GetTaskProtection for one task. */
export interface ProtectionAnswer {
  protectedTasks?: { taskArn: string; protectionEnabled: boolean; expirationDate?: number }[];
  failures?: { arn?: string; reason?: string; detail?: string }[];
  /** The call itself failed: AWS's error code and message. */
  error?: { code: string; message: string };
}

export interface ProtectionBackend {
  get(taskArn: string): Promise<ProtectionAnswer>;
  update(taskArn: string, enabled: boolean, expiresInMinutes: number | undefined): Promise<ProtectionAnswer>;
}

export interface MetadataBackend {
  resolve(id: string): EndpointTarget | undefined;
  /** The control plane the agent joined: SigV4-signed requests are relayed there (aws-relay.ts), for callers `callerTask` knows. */
  readonly awsEndpoint?: URL;
  /** Which of this agent's tasks a connection comes from (runner-facts.ts callerTaskAmong); the relay serves no one else. */
  callerTask?(socket: Socket): string | undefined;
  /** The task role's credentials of a task, when it has a role (task-credentials.ts). */
  credentials?(taskArn: string): RoleCredentials | undefined;
  readonly protection?: ProtectionBackend;
  /** A task's tags and its container instance's, from the control plane (task-tags.ts keeps them a while). */
  tags?(taskArn: string): Promise<Omit<TagsResultMessage, 'type' | 'id'>>;
  now(): number;
}

function sendBytes(res: ServerResponse, body: Buffer): void {
  res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': body.length });
  res.end(body);
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

/** The request handler (tests call it without sockets through a plain http server). */
export function metadataHandler(backend: MetadataBackend): (req: IncomingMessage, res: ServerResponse) => void {
  const previous = new Map<string, StatsSample>();
  const remember = (id: string, s: StatsSample) => {
    previous.delete(id);
    previous.set(id, s);
    if (previous.size > MAX_STATS_PREVIOUS) previous.delete(previous.keys().next().value!);
  };
  const statsOf = (src: StatsSource, v4: boolean) => {
    const now = src.read(backend.now());
    const body = dockerStats(src.dockerId, src.dockerId, now, previous.get(src.dockerId), v4);
    remember(src.dockerId, now);
    return body;
  };

  // A connection's caller is checked once, at its first request: its source address (or, in
  // host mode, the process holding its client socket, a walk of /proc) does not change while
  // it is open. Entries go with their sockets (weak keys): bounded by the open connections.
  const owners = new WeakMap<Socket, string>();
  const owns = (target: EndpointTarget, socket: Socket): boolean => {
    if (owners.get(socket) === target.taskArn) return true;
    if (!target.owns(socket)) return false;
    owners.set(socket, target.taskArn);
    return true;
  };
  const callerOf = (socket: Socket): string | undefined => {
    const known = owners.get(socket);
    if (known !== undefined) return known;
    const found = backend.callerTask?.(socket);
    if (found !== undefined) owners.set(socket, found);
    return found;
  };

  const answers = new Map<string, { version: string; body: Buffer }>();
  /** `make()`'s JSON, made again only when the target's version moved (or it has none); undefined when `make` has no answer. */
  const answer = (target: EndpointTarget, kind: string, make: () => unknown): Buffer | undefined => {
    const version = target.version?.();
    const key = `${target.taskArn}\n${target.container}\n${kind}`;
    const kept = version === undefined ? undefined : answers.get(key);
    if (kept && kept.version === version) return kept.body;
    const made = make();
    if (made === undefined) return undefined;
    const body = Buffer.from(JSON.stringify(made));
    if (version === undefined) return body;
    answers.delete(key);
    answers.set(key, { version, body });
    if (answers.size > MAX_ANSWERS_KEPT) answers.delete(answers.keys().next().value!);
    return body;
  };

  return (req, res) => {
    if (backend.awsEndpoint && isAwsRequest(req.method, req.url, req.headers.authorization)) {
      // Only a task of this agent may borrow its way to the control plane.
      if (callerOf(req.socket) === undefined) return refuseRelay(res);
      return relay(backend.awsEndpoint, req, res);
    }
    const r = route(req.method, req.url);
    const target = r && backend.resolve(r.id);
    if (!r || !target || !owns(target, req.socket)) {
      // The ECS agent's words for an id it cannot place; the same for a task asking for another's.
      return send(res, 404, 'Unable to get task arn from request: the endpoint id is not one of this task\'s containers');
    }
    try {
      switch (r.kind) {
        case 'container': {
          const body = answer(target, r.version, () => {
            const m = target.metadata();
            const c = m.containers.find((x) => x.spec.name === target.container);
            return c && containerMetadata(m, c, r.version);
          });
          return body ? sendBytes(res, body) : send(res, 404, 'Unable to find the container');
        }
        case 'task':
          return sendBytes(res, answer(target, `${r.version}/task`, () => taskMetadata(target.metadata(), r.version))!);
        case 'stats': {
          const src = target.stats().find((s) => s.container === target.container);
          return src ? send(res, 200, statsOf(src, r.version === 'v4')) : send(res, 404, 'No stats for the container yet: it has not started');
        }
        case 'taskWithTags':
          return void taskWithTags(res, target, backend).catch((e: Error) => send(res, 500, `Internal error: ${e.message}`));
        case 'taskStats':
          return send(res, 200, Object.fromEntries(target.stats().map((s) => [s.dockerId, statsOf(s, r.version === 'v4')])));
        case 'protection':
          return void protection(req, res, backend.protection, target.taskArn, r.method);
        case 'credentials': {
          const c = backend.credentials?.(target.taskArn);
          // The ECS agent's answer for a task without a role's credentials.
          return c ? send(res, 200, credentialsAnswer(c)) : send(res, 400, { code: 'InvalidIdInRequest', message: 'CredentialsV2Request: Credentials not found', HTTPErrorCode: 400 });
        }
      }
    } catch (e) {
      send(res, 500, `Internal error: ${(e as Error).message}`);
    }
  };
}

/** The task's v4 answer and its tags; a tag the control plane could not give is in `Errors`, the rest is answered all the same. */
async function taskWithTags(res: ServerResponse, target: EndpointTarget, backend: MetadataBackend): Promise<void> {
  const task = taskMetadata(target.metadata(), 'v4');
  const tags = backend.tags
    ? await backend.tags(target.taskArn).catch((e: Error) => ({ errors: [{ resourceArn: target.taskArn, field: 'TaskTags' as const, code: 'ServerException', message: e.message }] }))
    : { errors: [{ resourceArn: target.taskArn, field: 'TaskTags' as const, code: 'ServerException', message: 'This agent has no connection to read tags through.' }] };
  send(res, 200, withTags(task, tags));
}

/** A signed request from a connection no task of this agent holds: AWS's JSON error shape, which every SDK reads. */
function refuseRelay(res: ServerResponse): void {
  const body = JSON.stringify({ __type: 'AccessDeniedException', message: 'Only the tasks this agent runs may call Berth through 169.254.170.2: call the control plane\'s own endpoint instead.' });
  res.writeHead(403, { 'Content-Type': 'application/x-amz-json-1.1', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

/** The scale-in protection endpoint: the request's fields checked, then the ECS call, answered as the ECS agent answers it. */
async function protection(req: IncomingMessage, res: ServerResponse, backend: ProtectionBackend | undefined, taskArn: string, method: 'GET' | 'PUT'): Promise<void> {
  if (!backend) return send(res, 404, 'The task protection endpoint is not available on this agent');
  const fail = (status: number, code: string, message: string) => send(res, status, { error: { Arn: taskArn, Code: code, Message: message } });
  let answer: ProtectionAnswer;
  if (method === 'GET') {
    answer = await backend.get(taskArn);
  } else {
    const body = await readBody(req);
    if (body === undefined) return fail(400, 'InvalidParameterException', `The request body must be JSON of at most ${MAX_BODY_BYTES} bytes.`);
    let parsed: { ProtectionEnabled?: unknown; ExpiresInMinutes?: unknown };
    try {
      parsed = JSON.parse(body) as typeof parsed;
    } catch {
      return fail(400, 'InvalidParameterException', 'The request body is not JSON: send {"ProtectionEnabled": true|false, "ExpiresInMinutes": n}.');
    }
    if (typeof parsed !== 'object' || parsed === null || typeof parsed.ProtectionEnabled !== 'boolean') {
      return fail(400, 'InvalidParameterException', 'Invalid request: the body must contain the boolean field ProtectionEnabled.');
    }
    if (parsed.ExpiresInMinutes !== undefined && !Number.isInteger(parsed.ExpiresInMinutes)) {
      return fail(400, 'InvalidParameterException', 'Invalid request: ExpiresInMinutes must be a whole number of minutes.');
    }
    answer = await backend.update(taskArn, parsed.ProtectionEnabled, parsed.ExpiresInMinutes as number | undefined);
  }
  if (answer.error) return fail(answer.error.code === 'ServerException' ? 500 : 400, answer.error.code, answer.error.message);
  const f = answer.failures?.[0];
  if (f) return send(res, 200, { failure: { Arn: f.arn ?? taskArn, Reason: f.reason, ...(f.detail !== undefined && { Detail: f.detail }) } });
  const p = answer.protectedTasks?.[0];
  if (!p) return fail(500, 'ServerException', 'ECS answered with no task');
  send(res, 200, {
    protection: {
      ...(p.expirationDate !== undefined && { ExpirationDate: new Date(p.expirationDate * 1000).toISOString() }),
      ProtectionEnabled: p.protectionEnabled,
      TaskArn: p.taskArn,
    },
  });
}

function readBody(req: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) { resolve(undefined); req.destroy(); return; }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', () => resolve(undefined));
  });
}

/** Listens on each address at `port` (the bridges' gateways); closes them all on close. */
export async function startMetadataServer(addresses: readonly string[], port: number, handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ readonly addresses: readonly (AddressInfo | string | null)[]; close(): Promise<void> }> {
  const servers: Server[] = [];
  try {
    for (const address of addresses) {
      const s = createServer({ keepAliveTimeout: 5000 }, handler);
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.listen(port, address, () => { s.off('error', reject); resolve(); });
      });
      servers.push(s);
    }
  } catch (e) {
    for (const s of servers) s.close();
    throw e;
  }
  return {
    addresses: servers.map((s) => s.address()),
    close: () => Promise.all(servers.map((s) => new Promise<void>((resolve) => { s.close(() => resolve()); s.closeAllConnections(); }))).then(() => undefined),
  };
}
