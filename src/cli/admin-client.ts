/**
 * Calls to Berth's own JSON endpoints (/_berth/…) as `berth` commands make them: the join
 * token when set ($BERTH_TOKEN), and any refusal as one CliError line (the endpoint's
 * message says what to do).
 */
import { adminHeaders } from './admin-auth.ts';
import { CliError } from './cli-error.ts';

export function region(): string {
  return process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1';
}

export async function adminFetch(endpoint: string, path: string, init: { method?: string; body?: unknown } = {}): Promise<Response> {
  const res = await fetch(new URL(path, endpoint), {
    method: init.method ?? 'GET',
    headers: { ...adminHeaders(), ...(init.body !== undefined && { 'content-type': 'application/json' }) },
    ...(init.body !== undefined && { body: JSON.stringify(init.body) }),
  }).catch(() => { throw new CliError(`cannot reach Berth at ${endpoint}: start it with 'berth up', or pass --endpoint.`); });
  if (!res.ok) {
    const text = await res.text();
    let message = text;
    try {
      message = (JSON.parse(text) as { message?: string }).message ?? text;
    } catch { /* not JSON: the text as it is */ }
    throw new CliError(message.split('\n')[0] || `Berth answered ${res.status} to ${path}.`);
  }
  return res;
}

export async function adminJson<T>(endpoint: string, path: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
  return (await (await adminFetch(endpoint, path, init)).json()) as T;
}
