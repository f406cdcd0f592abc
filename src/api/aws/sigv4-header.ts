import { ApiError } from '../../core/errors.ts';

/** What the SigV4 `Authorization` header says about a request. */
export interface SigV4Header {
  readonly accessKeyId: string;
  /** yyyymmdd of the credential scope. */
  readonly date: string;
  readonly region: string;
  /** The signing name of the service the request is for: `ecs`, `ecr`, `logs`, … */
  readonly service: string;
  readonly signedHeaders: readonly string[];
  readonly signature: string;
}

const ALGORITHM = 'AWS4-HMAC-SHA256';

/**
 * Parses `AWS4-HMAC-SHA256 Credential=AK/20261125/us-east-1/ecs/aws4_request,
 * SignedHeaders=host;x-amz-date, Signature=<64 hex>` strictly: every part present once,
 * well-formed, or an `IncompleteSignatureException` naming what is wrong (AWS's answer to
 * a malformed header).
 */
export function parseSigV4Header(header: string): SigV4Header {
  const bad = (what: string): never => {
    throw new ApiError('IncompleteSignatureException', `Authorization header is not a valid SigV4 header: ${what}. Expected '${ALGORITHM} Credential=<key>/<yyyymmdd>/<region>/<service>/aws4_request, SignedHeaders=<h1;h2>, Signature=<hex>'.`);
  };
  const space = header.indexOf(' ');
  if (space < 0 || header.slice(0, space) !== ALGORITHM) bad(`the algorithm must be ${ALGORITHM}`);
  const parts = new Map<string, string>();
  for (const raw of header.slice(space + 1).split(',')) {
    const part = raw.trim();
    const eq = part.indexOf('=');
    if (eq <= 0) bad(`'${part}' is not name=value`);
    const name = part.slice(0, eq);
    if (parts.has(name)) bad(`${name} appears twice`);
    parts.set(name, part.slice(eq + 1));
  }
  const credential = parts.get('Credential') ?? bad('Credential is missing');
  const signedHeaders = parts.get('SignedHeaders') ?? bad('SignedHeaders is missing');
  const signature = parts.get('Signature') ?? bad('Signature is missing');
  for (const name of parts.keys()) {
    if (name !== 'Credential' && name !== 'SignedHeaders' && name !== 'Signature') bad(`unknown part ${name}`);
  }
  const scope = credential.split('/');
  if (scope.length !== 5) bad('Credential must have five parts separated by /');
  const [accessKeyId, date, region, service, terminator] = scope as [string, string, string, string, string];
  if (!accessKeyId) bad('the access key id is empty');
  if (!/^\d{8}$/.test(date)) bad(`the credential date '${date}' is not yyyymmdd`);
  if (!/^[a-z0-9-]{1,64}$/.test(region)) bad(`the region '${region}' is not valid`);
  if (!/^[a-z0-9.-]{1,64}$/.test(service)) bad(`the service '${service}' is not valid`);
  if (terminator !== 'aws4_request') bad(`the credential scope must end in aws4_request, not '${terminator}'`);
  const headers = signedHeaders.split(';');
  if (headers.some((h) => !/^[a-z0-9-]+$/.test(h))) bad('SignedHeaders must be lower-case header names separated by ;');
  if (!/^[0-9a-f]{64}$/.test(signature)) bad('Signature must be 64 lower-case hex digits');
  return { accessKeyId, date, region, service, signedHeaders: headers, signature };
}
