/** What a resource handler (rest.ts, and its subresources' handlers such as scale.ts) takes and answers. */
import type { KubeSchemas, KubeUser } from './contract.ts';
import type { Obj } from './object.ts';
import type { ResourceRoute } from './route.ts';
import type { StorageBackend } from './storage-backend.ts';

export interface RestRequest {
  readonly method: string;
  readonly route: ResourceRoute;
  readonly query: URLSearchParams;
  readonly contentType: string | undefined;
  readonly body: string;
  readonly userAgent: string | undefined;
  readonly user?: KubeUser;
  /** The answer will be the plain object (no Table, no metadata-only): raw stored JSON may be answered. */
  readonly plain?: boolean;
}

export interface RestResponse {
  readonly status: number;
  readonly body: object;
  readonly warnings?: readonly string[];
  /** For get and list: the objects, so the server can answer a Table or metadata instead. */
  readonly items?: readonly Obj[];
  readonly listMeta?: Record<string, unknown>;
  /** The answer's JSON (text or UTF-8 bytes), when the backend gave it without parsing (body is then empty). */
  readonly raw?: string | Buffer;
}

export interface RestDeps {
  readonly storage: StorageBackend;
  readonly schemas: KubeSchemas;
  readonly now: () => number;
}
