import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { ApiError } from '../../core/errors.ts';
import { BodyTooLarge, readBody } from './request-body.ts';
import { parseSigV4Header } from './sigv4-header.ts';
import { failureError, VerifyFailure, type RequestVerifier } from './verify-request.ts';
import { validateInput } from './validate.ts';
import { exceptionEvent, jsonEvent } from './eventstream.ts';
import { EventStreamAnswer, RawJson, requestContext, type EventSink, type JsonService } from './service.ts';

/** AWS JSON APIs refuse bodies over this; ECS's largest request (a task definition) is 64 KiB. */
const MAX_BODY_BYTES = 8 * 1024 * 1024;

export interface FrontDoorOptions {
  readonly services: readonly JsonService[];
  readonly accountId: string;
  /** Region for requests that carry no SigV4 credential scope. */
  readonly defaultRegion: string;
  /** Who signed each request (src/api/aws/verify-request.ts). */
  readonly verifier: RequestVerifier;
  readonly log?: (line: string) => void;
}

/**
 * The single AWS endpoint: one handler for every JSON 1.1 service Berth speaks. The
 * operation comes from `X-Amz-Target` (`<targetPrefix>.<Operation>`), the region from the
 * SigV4 credential scope. Protocol errors are answered exactly as AWS shapes them.
 */
export function createAwsFrontDoor(options: FrontDoorOptions) {
  const byPrefix = new Map<string, JsonService>();
  for (const service of options.services) {
    const prefix = service.model.metadata.targetPrefix;
    if (!prefix) throw new Error(`service ${service.model.metadata.endpointPrefix} has no JSON target prefix`);
    byPrefix.set(prefix, service);
  }

  /** True when the request is an AWS JSON request for a service of this door (others go to unsupported-door.ts). */
  function accepts(req: IncomingMessage): boolean {
    const target = req.headers['x-amz-target'];
    if (req.method !== 'POST' || typeof target !== 'string') return false;
    const dot = target.lastIndexOf('.');
    return dot > 0 && byPrefix.has(target.slice(0, dot));
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = randomUUID();
    const now = Date.now();
    let operation = '-';
    try {
      const target = req.headers['x-amz-target'] as string;
      const dot = target.lastIndexOf('.');
      const service = dot > 0 ? byPrefix.get(target.slice(0, dot)) : undefined;
      operation = dot > 0 ? target.slice(dot + 1) : target;
      const auth = req.headers.authorization;
      const scope = auth === undefined ? undefined : parseSigV4Header(auth);
      const handler = service?.operations[operation];
      const opModel = service?.model.operations[operation];
      if (!service || !handler || !opModel) {
        await drain(req);
        throw new ApiError('UnknownOperationException', `Operation ${target} is not supported by this endpoint.`);
      }
      const raw = await readBody(req, MAX_BODY_BYTES).catch((e: unknown) => {
        throw e instanceof BodyTooLarge ? new ApiError('SerializationException', e.message) : e;
      });
      let principal;
      try {
        principal = options.verifier.verify({ method: req.method ?? 'POST', url: req.url ?? '/', headers: req.headers, body: raw }, now);
      } catch (e) {
        throw e instanceof VerifyFailure ? failureError(e, 'json') : e;
      }
      let parsed: unknown;
      try {
        parsed = raw.length === 0 ? {} : JSON.parse(raw);
      } catch {
        throw new ApiError('SerializationException', 'The request body is not valid JSON.');
      }
      const input = opModel.input ? validateInput(service.model, opModel.input, parsed) : {};
      const ctx = requestContext({ scope, defaultRegion: options.defaultRegion, accountId: options.accountId, requestId, now, principal, host: req.headers.host });
      const output = await handler(input, ctx);
      if (output instanceof EventStreamAnswer) {
        stream(res, requestId, output);
        return;
      }
      send(res, 200, requestId, output instanceof RawJson ? output.json : JSON.stringify(output));
    } catch (err) {
      const apiError = err instanceof ApiError ? err : internal(err, operation, options.log);
      res.setHeader('X-Amzn-ErrorType', apiError.code);
      send(res, apiError.status, requestId, JSON.stringify({ ...apiError.members, __type: apiError.code, message: apiError.message }));
    }
  }

  return { accepts, handle };
}

function send(res: ServerResponse, status: number, requestId: string, body: string): void {
  res.writeHead(status, {
    'Content-Type': 'application/x-amz-json-1.1',
    'Content-Length': Buffer.byteLength(body),
    'x-amzn-RequestId': requestId,
  });
  res.end(body);
}

/** Sends an event stream answer: headers, `initial-response`, then whatever the answer writes. */
function stream(res: ServerResponse, requestId: string, answer: EventStreamAnswer): void {
  res.writeHead(200, { 'Content-Type': 'application/vnd.amazon.eventstream', 'x-amzn-RequestId': requestId });
  res.write(jsonEvent('initial-response', {}));
  const listeners: (() => void)[] = [];
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    for (const l of listeners) l();
  };
  res.on('close', close);
  const sink: EventSink = {
    event: (type, payload) => void (closed || res.write(jsonEvent(type, payload))),
    exception: (type, message) => {
      if (closed) return;
      res.end(exceptionEvent(type, message));
      close();
    },
    end: () => {
      if (closed) return;
      res.end();
      close();
    },
    onClose: (l) => void listeners.push(l),
  };
  answer.start(sink);
}

function internal(err: unknown, operation: string, log?: (line: string) => void): ApiError {
  log?.(`internal error in ${operation}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  return new ApiError('ServerException', `Berth failed to process ${operation}; the server log has the details.`);
}

/** The request body as text. Events, not `for await`: the async iterator costs a few µs a request. */
async function drain(req: IncomingMessage): Promise<void> {
  for await (const _ of req as AsyncIterable<Buffer>) { /* discard */ }
}
