/**
 * The endpoint's paths (developer guide: task metadata v3 and v4 paths, the scale-in
 * protection endpoint, the task IAM role's credentials at /v2/credentials/<id>). Pure: a method and a path in, a route or undefined out.
 */
import type { MetadataVersion } from './view.ts';

export type Route =
  | { kind: 'container' | 'task' | 'stats' | 'taskStats'; version: MetadataVersion; id: string }
  /** v4 only: the task's answer with its and its instance's tags. */
  | { kind: 'taskWithTags'; version: 'v4'; id: string }
  | { kind: 'protection'; method: 'GET' | 'PUT'; id: string }
  | { kind: 'credentials'; id: string };

/** Endpoint ids are UUID-shaped (ids.ts); anything else is no route at all. */
const ID = '([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})';
const METADATA = new RegExp(`^/(v3|v4)/${ID}(/task)?(/stats)?/?$`);
const PROTECTION = new RegExp(`^/api/${ID}/task-protection/v1/state/?$`);
const CREDENTIALS = new RegExp(`^/v2/credentials/${ID}/?$`);
const WITH_TAGS = new RegExp(`^/v4/${ID}/taskWithTags/?$`);

export function route(method: string | undefined, url: string | undefined): Route | undefined {
  const path = (url ?? '').split('?')[0]!;
  const p = PROTECTION.exec(path);
  if (p) return method === 'GET' || method === 'PUT' ? { kind: 'protection', method, id: p[1]! } : undefined;
  if (method !== 'GET') return undefined;
  const c = CREDENTIALS.exec(path);
  if (c) return { kind: 'credentials', id: c[1]! };
  const t = WITH_TAGS.exec(path);
  if (t) return { kind: 'taskWithTags', version: 'v4', id: t[1]! };
  const m = METADATA.exec(path);
  if (!m) return undefined;
  const kind = m[3] ? (m[4] ? 'taskStats' : 'task') : (m[4] ? 'stats' : 'container');
  return { kind, version: m[1] as MetadataVersion, id: m[2]! };
}
