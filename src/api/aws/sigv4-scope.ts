import type { IncomingHttpHeaders } from 'node:http';

/** Who signed a SigV4 request, and for which region and service. */
export interface CredentialScope {
  readonly accessKeyId: string;
  /** yyyymmdd */
  readonly date: string;
  readonly region: string;
  /** The signing name of the service: `ecs`, `s3`, `elasticloadbalancing`, … */
  readonly service: string;
}

const HEADER_SCOPE = /^AWS4-HMAC-SHA256 +Credential=([^/,\s]+)\/(\d{8})\/([a-z0-9-]+)\/([a-z0-9.-]+)\/aws4_request[,\s]/;
const QUERY_SCOPE = /^([^/]+)\/(\d{8})\/([a-z0-9-]+)\/([a-z0-9.-]+)\/aws4_request$/;
const PRESIGNED = /[?&]X-Amz-Credential=/i;

/**
 * The credential scope of a request, from its `Authorization` header
 * (`AWS4-HMAC-SHA256 Credential=AK/20261125/us-east-1/ecs/aws4_request, …`) or, for a
 * presigned URL, its `X-Amz-Credential` query parameter; undefined when it has neither in
 * SigV4 form. This routes a request (the service is the scope's) and so is lenient about
 * the rest of the header; verifying a signature parses it strictly (sigv4-header.ts).
 */
export function credentialScope(headers: IncomingHttpHeaders, url: string): CredentialScope | undefined {
  const auth = headers.authorization;
  if (typeof auth === 'string') return scopeOf(HEADER_SCOPE.exec(auth));
  if (!PRESIGNED.test(url)) return undefined;
  const credential = new URLSearchParams(url.slice(url.indexOf('?') + 1)).get('X-Amz-Credential');
  return credential === null ? undefined : scopeOf(QUERY_SCOPE.exec(credential));
}

function scopeOf(m: RegExpExecArray | null): CredentialScope | undefined {
  return m ? { accessKeyId: m[1]!, date: m[2]!, region: m[3]!, service: m[4]! } : undefined;
}
