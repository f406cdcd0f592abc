/**
 * The request side of an AWS service's API model (operations and input shapes), as
 * extracted from the AWS API reference by scripts/gen-aws-models.py. Validation walks it.
 * REST services (rest-json) also carry each operation's route, where each input member
 * travels, and each error's HTTP status (rest-json-door.ts reads them).
 */
export interface ServiceModel {
  readonly metadata: { readonly apiVersion: string; readonly targetPrefix?: string; readonly signingName?: string; readonly endpointPrefix: string; readonly protocol: string };
  readonly operations: Readonly<Record<string, { readonly input?: string; readonly http?: HttpBinding }>>;
  readonly shapes: Readonly<Record<string, Shape>>;
  /** REST services: the HTTP status of each modeled exception. */
  readonly errors?: Readonly<Record<string, number>>;
}

/** A REST operation's route: `GET /clusters/{name}`; `responseCode` when success is not 200. */
export interface HttpBinding {
  readonly method: string;
  readonly requestUri: string;
  readonly responseCode?: number;
}

/** Where a REST input member travels: a label of the URI, a query parameter or a header, by its wire name. */
export type MemberLocation = readonly ['uri' | 'querystring' | 'header' | 'headers' | 'statusCode', string];

export type Shape =
  | { readonly type: 'structure'; readonly members: Readonly<Record<string, string>>; readonly required?: readonly string[]; readonly locations?: Readonly<Record<string, MemberLocation>> }
  | { readonly type: 'list'; readonly member: string; readonly min?: number; readonly max?: number }
  | { readonly type: 'map'; readonly key: string; readonly value: string; readonly min?: number; readonly max?: number }
  | { readonly type: 'string'; readonly enum?: readonly string[]; readonly min?: number; readonly max?: number }
  | { readonly type: 'integer' | 'long' | 'double' | 'float'; readonly min?: number; readonly max?: number }
  | { readonly type: 'boolean' | 'timestamp' | 'blob' };
