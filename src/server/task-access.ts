import type { IncomingMessage, ServerResponse } from 'node:http';
import { clusterNameOf } from '../core/ecs/cluster.ts';
import type { TaskRecord } from '../core/ecs/task.ts';
import { readTask } from '../core/workload/task-store.ts';
import type { Store } from '../store/store.ts';
import type { createAgentGateway } from './agent-gateway.ts';
import { awslogsTarget, writeAwslogs, type StreamReader } from './awslogs-reader.ts';

/** `berth exec` commands end after this unless the caller says otherwise. */
const DEFAULT_EXEC_TIMEOUT_SECONDS = 60;
const MAX_EXEC_BODY_BYTES = 64 * 1024;

/**
 * Reaching into a running task from Berth's own CLI, off the AWS surface:
 * - GET  /_berth/tasks/logs?task=ID&cluster=C&container=N&follow=1&region=R → text/plain stream
 * - POST /_berth/tasks/exec {task, cluster, container, command: [...], timeoutSeconds, region}
 *   → {exitCode, stdout, stderr}
 * Both are proxied to the agent that runs the task, over its session (logs of an awslogs
 * container are read from its log group instead: awslogs-reader.ts). They reach into
 * running containers: other hosts need the join token (admin-guard.ts wraps this).
 */
export function taskAccessRoutes({ store, agents, accountId, region, awslogs }: { store: Store; agents: ReturnType<typeof createAgentGateway>; accountId: string; region: string; awslogs?: StreamReader }) {
  const findTask = async (params: { task?: string; cluster?: string; region?: string }): Promise<TaskRecord> => {
    const id = /([a-f0-9]{32})$/.exec(params.task ?? '')?.[1];
    if (!id) throw new HttpError(400, `'${params.task ?? ''}' is not a task id or ARN.`);
    const cluster = clusterNameOf(params.cluster);
    const t = await readTask(store, { scope: { account: accountId, region: params.region ?? region }, cluster, id });
    if (!t) throw new HttpError(404, `Task ${params.task} was not found in cluster ${cluster} (pass --cluster if it is in another one).`);
    return t.record;
  };

  return {
    accepts: (req: IncomingMessage) => req.url?.startsWith('/_berth/tasks/') ?? false,
    async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
      const url = new URL(req.url!, 'http://berth');
      try {
        if (req.method === 'GET' && url.pathname === '/_berth/tasks/logs') {
          const q = Object.fromEntries(url.searchParams);
          const task = await findTask(q);
          const target = awslogs && await awslogsTarget(store, task, q.container);
          if (awslogs && target) {
            res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
            let closed = false;
            res.on('close', () => (closed = true));
            const stopped = async () => (await findTask(q)).lastStatus === 'STOPPED';
            await writeAwslogs(awslogs, target, q.follow === '1', stopped, () => closed, (text) => res.write(text)).catch((err: Error) => res.write(`\nberth: ${err.message}\n`));
            res.end();
            return;
          }
          res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
          const stream = agents.logs(task, q.container, q.follow === '1', (text) => res.write(text));
          res.on('close', () => stream.cancel());
          await stream.done.catch((err: Error) => res.write(`\nberth: ${err.message}\n`));
          res.end();
          return;
        }
        if (req.method === 'POST' && url.pathname === '/_berth/tasks/exec') {
          const body = await readJson(req);
          const command = body.command;
          if (!Array.isArray(command) || command.length === 0 || !command.every((c) => typeof c === 'string')) throw new HttpError(400, 'command must be a non-empty list of strings.');
          const task = await findTask(body as { task?: string; cluster?: string; region?: string });
          const timeout = typeof body.timeoutSeconds === 'number' ? body.timeoutSeconds : DEFAULT_EXEC_TIMEOUT_SECONDS;
          const result = await agents.exec(task, body.container as string | undefined, command as string[], timeout * 1000);
          return json(res, 200, result);
        }
        throw new HttpError(404, `No endpoint ${req.method} ${url.pathname}.`);
      } catch (err) {
        if (res.headersSent) { res.end(); return; }
        json(res, err instanceof HttpError ? err.status : 502, { message: (err as Error).message });
      }
    },
  };
}

class HttpError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  let text = '';
  for await (const chunk of req as AsyncIterable<Buffer>) {
    text += chunk.toString('utf8');
    if (text.length > MAX_EXEC_BODY_BYTES) throw new HttpError(413, 'The request body is too large.');
  }
  try {
    const v = JSON.parse(text) as unknown;
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch { /* below */ }
  throw new HttpError(400, 'The request body must be a JSON object.');
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}
