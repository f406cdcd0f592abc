import type { Principal } from '../../identity/principal.ts';
import type { ServiceModel } from './model.ts';

/** What every AWS operation handler knows about the request it serves. */
export interface RequestContext {
  /** The region of the request: from the SigV4 credential scope, else the server default. */
  readonly region: string;
  readonly accountId: string;
  readonly requestId: string;
  /** Epoch milliseconds at which the request arrived. */
  readonly now: number;
  readonly accessKeyId: string | undefined;
  /** Who signed the request (verify-request.ts): the account's root, or a task role's session. */
  readonly principal: Principal;
  /** The Host header the client used (e.g. `localhost:4566`): Berth's own address as the client sees it. */
  readonly host: string;
}

/** A request's context from what the door verified: the scope's region (else the server's) and the principal. */
export function requestContext(o: {
  scope: { region?: string; accessKeyId?: string } | undefined; defaultRegion: string; accountId: string; requestId: string; now: number; principal: Principal; host: string | undefined;
}): RequestContext {
  return {
    region: o.scope?.region ?? o.defaultRegion,
    accountId: o.accountId,
    requestId: o.requestId,
    now: o.now,
    accessKeyId: o.scope?.accessKeyId,
    principal: o.principal,
    host: o.host ?? 'localhost',
  };
}

// Handlers take the validated input of their operation; its precise type is the handler's own.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type OperationHandler = (input: any, ctx: RequestContext) => Promise<object> | object;

/** An AWS service spoken over the JSON 1.1 protocol. */
export interface JsonService {
  readonly model: ServiceModel;
  readonly operations: Readonly<Record<string, OperationHandler>>;
}

/**
 * An answer already serialized as JSON: the front door sends it as is. For hot read paths
 * that keep their answers serialized (a parse and a stringify per request saved).
 */
export class RawJson {
  readonly json: string;
  constructor(json: string) {
    this.json = json;
  }
}

/** Where a streaming answer writes its events (front-door.ts frames them). */
export interface EventSink {
  /** One event of the answer's stream union, by member name. */
  event(eventType: string, payload: object): void;
  /** A modeled exception of the stream; the stream ends after it. */
  exception(exceptionType: string, message: string): void;
  end(): void;
  /** Called once when the client goes away or the stream ends. */
  onClose(listener: () => void): void;
}

/**
 * An answer that is an event stream (application/vnd.amazon.eventstream), as StartLiveTail's:
 * the front door sends the 200, the `initial-response` event that JSON protocols begin with,
 * then hands the sink to `start`.
 */
export class EventStreamAnswer {
  readonly start: (sink: EventSink) => void;
  constructor(start: (sink: EventSink) => void) {
    this.start = start;
  }
}
