import { signRequest } from '../api/aws/sigv4.ts';
import { CliError } from './cli-error.ts';

/**
 * How `berth` commands call Berth's AWS endpoint: AWS JSON 1.1, SigV4-signed with the
 * standard AWS credential variables (or Berth's local defaults), like any AWS SDK.
 */
export interface ApiClient {
  call<T = Record<string, unknown>>(target: string, input: unknown): Promise<T>;
}

export function apiClient(endpoint: string, region = process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1'): ApiClient {
  const url = new URL(endpoint);
  const creds = {
    accessKeyId: process.env.AWS_ACCESS_KEY_ID ?? 'berth',
    secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY ?? 'berth',
  };
  return {
    async call<T>(target: string, input: unknown): Promise<T> {
      const body = JSON.stringify(input);
      const service = target.startsWith('AmazonEC2ContainerRegistry') ? 'ecr' : 'ecs';
      const headers = { host: url.host, 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': target };
      const signed = signRequest({ method: 'POST', path: '/', headers, body }, creds, region, service, new Date());
      let res: Response;
      try {
        res = await fetch(new URL('/', url), { method: 'POST', headers: { ...headers, ...signed }, body });
      } catch (err) {
        throw new CliError(`cannot reach Berth at ${endpoint} (${(err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message}): start it with 'berth up', or pass --endpoint.`);
      }
      const text = await res.text();
      const out = text ? JSON.parse(text) : {};
      if (!res.ok) throw new CliError(`${out.__type ?? res.status}: ${out.message ?? text}`);
      return out as T;
    },
  };
}
