import { httpRequest, isOk, readBody, type HttpResponse } from '../../lib/http-request.ts';
import { signRequest, type Credentials } from './sigv4.ts';

/**
 * A minimal AWS JSON 1.1 client: what Berth's own command and agent use to call a Berth
 * endpoint, SigV4-signed like any AWS SDK does. Over node:http, not fetch, for the
 * agent's memory (src/lib/http-request.ts).
 */
export interface JsonClient {
  call<T = Record<string, unknown>>(target: string, input: unknown): Promise<T>;
}

/** An AWS error answer (`code` is its `__type`), or `Unreachable` when nothing answered. */
export class AwsCallError extends Error {
  readonly code: string;
  readonly status: number;
  constructor(code: string, status: number, message: string) {
    super(message);
    this.name = 'AwsCallError';
    this.code = code;
    this.status = status;
  }
}

/** Largest answer read: ECS answers are pages of at most 100 items, well under this. */
const MAX_ANSWER_BYTES = 64 << 20;

const SIGNING_NAMES: Readonly<Record<string, string>> = {
  AmazonEC2ContainerServiceV20141113: 'ecs',
  AmazonEC2ContainerRegistry_V20150921: 'ecr',
};

export function jsonClient(endpoint: string, region: string, creds: Credentials): JsonClient {
  const url = new URL(endpoint);
  return {
    async call<T>(target: string, input: unknown): Promise<T> {
      const body = JSON.stringify(input);
      const service = SIGNING_NAMES[target.slice(0, target.indexOf('.'))] ?? 'ecs';
      const headers = { host: url.host, 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': target };
      const signed = signRequest({ method: 'POST', path: '/', headers, body }, creds, region, service, new Date());
      let res: HttpResponse;
      let text: string | undefined;
      try {
        res = await httpRequest(new URL('/', url), { method: 'POST', headers: { ...headers, ...signed }, body });
        text = (await readBody(res, MAX_ANSWER_BYTES))?.toString('utf8');
      } catch (err) {
        throw new AwsCallError('Unreachable', 0, `cannot reach ${endpoint} (${(err as { code?: string }).code ?? (err as Error).message})`);
      }
      if (text === undefined) throw new AwsCallError('Unreadable', res.statusCode, `${endpoint} answered HTTP ${res.statusCode} with more than ${MAX_ANSWER_BYTES} bytes`);
      let out: Record<string, unknown> = {};
      try {
        out = text ? JSON.parse(text) as Record<string, unknown> : {};
      } catch {
        throw new AwsCallError('Unreadable', res.statusCode, `${endpoint} answered HTTP ${res.statusCode} with a body that is not JSON`);
      }
      if (!isOk(res)) throw new AwsCallError(String(out.__type ?? res.statusCode), res.statusCode, String(out.message ?? text));
      return out as T;
    },
  };
}

/** Credentials from the standard AWS variables, else Berth's local placeholders. */
export function envCredentials(): Credentials {
  return { accessKeyId: process.env.AWS_ACCESS_KEY_ID ?? 'berth', secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY ?? 'berth' };
}

export function envRegion(): string {
  return process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1';
}
