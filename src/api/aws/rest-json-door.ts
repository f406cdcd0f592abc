/**
 * The REST-JSON door: AWS services whose operations are told apart by method and path
 * (EKS: `GET /clusters/{name}` is DescribeCluster). Everything comes from the service's
 * model (models/<service>.json): the routes, where each input member travels (a URI label,
 * a query parameter, a header, else the JSON body), the input's types for validation
 * (validate.ts, shared with the JSON door) and the HTTP status of each error.
 *
 *   request signed for <signing name> ─▶ route (method, requestUri) ─▶ input from labels,
 *     query, headers, body ─▶ validateInput ─▶ handler ─▶ 200 (or the model's responseCode) JSON
 *                                                        └─▶ ApiError ─▶ model status,
 *                                                             X-Amzn-ErrorType, {message, …}
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { ApiError } from '../../core/errors.ts';
import type { HttpBinding, ServiceModel, Shape } from './model.ts';
import { BodyTooLarge, readBody } from './request-body.ts';
import { credentialScope, type CredentialScope } from './sigv4-scope.ts';
import { failureError, VerifyFailure, type RequestVerifier } from './verify-request.ts';
import { describe, validateInput } from './validate.ts';
import { requestContext, type JsonService, type OperationHandler } from './service.ts';

/** REST-JSON requests of the services Berth speaks are small documents; EKS's largest (CreateCluster) is a few KiB. */
const MAX_BODY_BYTES = 1024 * 1024;
/** What AWS's REST front ends answer for a path no operation has (the unsupported door says the same). */
const NO_ROUTE_STATUS = 404;

export interface RestJsonDoorOptions {
  readonly services: readonly JsonService[];
  readonly accountId: string;
  readonly defaultRegion: string;
  readonly verifier: RequestVerifier;
  readonly log?: (line: string) => void;
}

/** One operation's route, compiled: its method, a pattern of its path and the labels it captures. */
interface Route {
  readonly service: JsonService;
  readonly operation: string;
  readonly http: HttpBinding;
  readonly pattern: RegExp;
  readonly labels: readonly string[];
  /** Literal characters of the URI: the more, the more specific (tried first). */
  readonly weight: number;
}

export function compileRoute(requestUri: string): { pattern: RegExp; labels: string[]; weight: number } {
  const path = requestUri.split('?', 1)[0]!;
  const labels: string[] = [];
  let weight = 0;
  const source = path.replace(/\{([^}]+)\}|[^{]+/g, (part, label: string | undefined) => {
    if (label === undefined) {
      weight += part.length;
      return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    }
    const greedy = label.endsWith('+');
    labels.push(greedy ? label.slice(0, -1) : label);
    return greedy ? '(.+)' : '([^/]+)';
  });
  return { pattern: new RegExp(`^${source}/?$`), labels, weight };
}

export function createRestJsonDoor(options: RestJsonDoorOptions) {
  const bySigningName = new Map<string, Route[]>();
  for (const service of options.services) {
    const signing = service.model.metadata.signingName ?? service.model.metadata.endpointPrefix;
    const routes: Route[] = [];
    for (const [operation, op] of Object.entries(service.model.operations)) {
      if (!op.http || !service.operations[operation]) continue;
      routes.push({ service, operation, http: op.http, ...compileRoute(op.http.requestUri) });
    }
    routes.sort((a, b) => b.weight - a.weight);
    bySigningName.set(signing, routes);
  }

  /** The route of a request: signed for one of this door's services, and one of their implemented operations by method and path. */
  function routeOf(req: IncomingMessage, scope: CredentialScope | undefined): { route: Route; match: RegExpExecArray } | undefined {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    for (const route of bySigningName.get(scope?.service ?? '') ?? []) {
      const match = route.http.method === req.method ? route.pattern.exec(path) : null;
      if (match) return { route, match };
    }
    return undefined;
  }

  /**
   * True for a request of an operation this door implements. Any other request signed for
   * its services is the unsupported door's, which names the operation Berth lacks.
   */
  function accepts(req: IncomingMessage): boolean {
    return routeOf(req, credentialScope(req.headers, req.url ?? '/')) !== undefined;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = randomUUID();
    const now = Date.now();
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const query = new URLSearchParams(q < 0 ? '' : url.slice(q + 1));
    const scope = credentialScope(req.headers, url);
    let errors: Readonly<Record<string, number>> | undefined;
    let operation = '-';
    try {
      const found = routeOf(req, scope);
      const raw = await readBody(req, MAX_BODY_BYTES).catch((e: unknown) => {
        throw e instanceof BodyTooLarge ? new ApiError('SerializationException', e.message) : e;
      });
      if (!found) {
        // Only when called without accepts(): the unsupported door answers these in server.ts.
        const message = `${req.method} ${path} is not an operation of ${scope?.service ?? 'this service'} that Berth implements.`;
        res.setHeader('X-Amzn-ErrorType', 'UnknownOperationException');
        send(res, NO_ROUTE_STATUS, requestId, JSON.stringify({ message }));
        return;
      }
      const { route, match } = found;
      const { service } = route;
      operation = route.operation;
      errors = service.model.errors;
      let principal;
      try {
        principal = options.verifier.verify({ method: req.method ?? 'GET', url, headers: req.headers, body: raw }, now);
      } catch (e) {
        throw e instanceof VerifyFailure ? failureError(e, 'json') : e;
      }
      const inputShape = service.model.operations[operation]!.input;
      const input = inputShape
        ? validateInput(service.model, inputShape, restInput(service.model, inputShape, route.labels, match, query, req.headers, raw))
        : {};
      const ctx = requestContext({ scope, defaultRegion: options.defaultRegion, accountId: options.accountId, requestId, now, principal, host: req.headers.host });
      const handler = service.operations[operation] as OperationHandler;
      const output = await handler(input, ctx);
      send(res, route.http.responseCode ?? 200, requestId, JSON.stringify(output));
    } catch (err) {
      const apiError = err instanceof ApiError ? err : internal(err, operation, options.log);
      res.setHeader('X-Amzn-ErrorType', apiError.code);
      send(res, errors?.[apiError.code] ?? apiError.status, requestId, JSON.stringify({ ...apiError.members, message: apiError.message }));
    }
  }

  return { accepts, handle };
}

/**
 * The operation's input as one object: URI labels, query parameters and headers read into
 * their members' types (a query parameter is text on the wire: "5" for an integer, repeated
 * for a list), the rest from the JSON body. Validation then checks it all at once.
 */
function restInput(model: ServiceModel, shapeName: string, labels: readonly string[], match: RegExpExecArray, query: URLSearchParams, headers: IncomingMessage['headers'], raw: string): Record<string, unknown> {
  const shape = model.shapes[shapeName];
  if (shape?.type !== 'structure') throw new Error(`input ${shapeName} is not a structure`);
  let body: Record<string, unknown> = {};
  if (raw.trim().length > 0) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      throw new ApiError('SerializationException', 'The request body is not valid JSON.');
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new ApiError('SerializationException', `the request body must be an object, not ${describe(parsed)}.`);
    body = parsed as Record<string, unknown>;
  }
  const out: Record<string, unknown> = {};
  for (const [member, memberShape] of Object.entries(shape.members)) {
    const where = shape.locations?.[member];
    if (!where) {
      if (body[member] !== undefined) out[member] = body[member];
      continue;
    }
    const [location, name] = where;
    const target = model.shapes[memberShape]!;
    if (location === 'uri') {
      const i = labels.indexOf(name);
      if (i >= 0) out[member] = fromText(target, decodeURIComponent(match[i + 1]!), member);
    } else if (location === 'querystring') {
      const values = query.getAll(name);
      if (values.length === 0) continue;
      out[member] = target.type === 'list' ? values.map((v) => fromText(model.shapes[target.member]!, v, member)) : fromText(target, values[0]!, member);
    } else if (location === 'header') {
      const v = headers[name.toLowerCase()];
      if (typeof v === 'string') out[member] = fromText(target, v, member);
    }
  }
  return out;
}

/** A value that travels as text (label, query, header) read as its shape's type; what does not read is left for validation to refuse. */
function fromText(shape: Shape, text: string, member: string): unknown {
  switch (shape.type) {
    case 'integer':
    case 'long':
      if (!/^-?\d+$/.test(text)) throw new ApiError('InvalidParameterException', `${member} must be an integer, not '${text}'.`);
      return Number(text);
    case 'double':
    case 'float':
      if (!Number.isFinite(Number(text))) throw new ApiError('InvalidParameterException', `${member} must be a number, not '${text}'.`);
      return Number(text);
    case 'boolean':
      if (text !== 'true' && text !== 'false') throw new ApiError('InvalidParameterException', `${member} must be true or false, not '${text}'.`);
      return text === 'true';
    default:
      return text;
  }
}

function send(res: ServerResponse, status: number, requestId: string, body: string): void {
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), 'x-amzn-RequestId': requestId });
  res.end(body);
}

function internal(err: unknown, operation: string, log?: (line: string) => void): ApiError {
  log?.(`internal error in ${operation}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  return new ApiError('ServerException', `Berth failed to process ${operation}; the server log has the details.`);
}
