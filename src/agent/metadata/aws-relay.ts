/**
 * Berth's AWS APIs, reached from inside a task at 169.254.170.2 with no configuration: the
 * agent puts AWS_ENDPOINT_URL=http://169.254.170.2 in each container's environment (the aws
 * CLI v2, boto3 and the SDKs read it), and its endpoint server relays every request signed
 * with SigV4 to the control plane it joined, byte for byte: the same method, path, headers
 * (Host included, which the signature covers) and body, and the answer back the same way.
 * The control plane checks the signature (a task role's session credentials) as for any
 * client; the relay only decides who may use it: a task of this agent (server.ts asks the
 * caller check once per connection), so the agent's address lends nothing to anyone else.
 *
 * Only SigV4-signed requests are relayed, and never Berth's own paths (/_berth/…: the
 * agent's registration, admin and agent sessions), which trust callers on the control
 * plane's host: a task must not borrow the agent's address to reach them.
 */
import { request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';

const SIGV4_HEADER = /^AWS4-HMAC-SHA256 /;
const PRESIGNED = /[?&]X-Amz-Credential=/i;
/** Hop-by-hop headers (RFC 9110 §7.6.1) are the relay's own, not passed on. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer']);

/** Whether a request to the endpoint server is an AWS API call to relay. */
export function isAwsRequest(method: string | undefined, url: string | undefined, authorization: string | undefined): boolean {
  const path = url ?? '/';
  if (path.startsWith('/_berth')) return false;
  if (method === 'CONNECT') return false;
  return (authorization !== undefined && SIGV4_HEADER.test(authorization)) || PRESIGNED.test(path);
}

/** Relays `req` to the control plane at `endpoint` (http://host:port) and its answer back. */
export function relay(endpoint: URL, req: IncomingMessage, res: ServerResponse): void {
  const headers: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) headers[k] = v;
  const upstream = httpRequest({ host: endpoint.hostname, port: endpoint.port || 80, method: req.method, path: req.url, headers }, (answer) => {
    const back: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(answer.headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) back[k] = v;
    res.writeHead(answer.statusCode ?? 502, back);
    answer.pipe(res);
  });
  upstream.on('error', (e) => {
    if (res.headersSent) { res.destroy(); return; }
    const body = JSON.stringify({ __type: 'ServiceUnavailableException', message: `The agent could not reach Berth's control plane at ${endpoint.origin}: ${e.message}. Try again shortly.` });
    res.writeHead(503, { 'Content-Type': 'application/x-amz-json-1.1', 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
  });
  req.pipe(upstream);
}

/** The environment that makes the AWS SDKs and CLIs in a task call Berth in the task's region. */
export function awsEnvironment(region: string): { name: string; value: string }[] {
  return [
    { name: 'AWS_ENDPOINT_URL', value: 'http://169.254.170.2' },
    { name: 'AWS_REGION', value: region },
    { name: 'AWS_DEFAULT_REGION', value: region },
  ];
}
