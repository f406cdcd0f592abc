import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { ServiceCatalog } from './catalog.ts';
import { identify } from './identify.ts';
import { credentialScope } from './sigv4-scope.ts';
import { unsupportedAnswer } from './unsupported.ts';

/**
 * A Query request's form body is read up to this to find its Action and Version (botocore
 * and the SDKs write them first); Query bodies stay far below it (CloudFormation's largest
 * inline template is 51,200 bytes).
 */
const FORM_KEEP_BYTES = 1024 * 1024;
/**
 * The rest of a body is read and dropped up to this, so that a client still sending gets
 * the answer rather than a broken pipe; beyond it, or past the time below, the connection
 * closes after the answer.
 */
const DISCARD_MAX_BYTES = 16 * 1024 * 1024;
const DISCARD_MAX_MS = 5_000;

const NOT_FOUND = 'Not found. Berth serves the AWS APIs on this endpoint for requests signed with SigV4 (as the aws CLI and the SDKs sign them): '
  + 'ECS and ECR (POST / with X-Amz-Target), S3 (any path, signed for s3); the registry at /v2/ and Berth\'s own endpoints at /_berth/.\n';

export interface UnsupportedDoorOptions {
  readonly catalog?: ServiceCatalog;
  readonly newRequestId?: () => string;
}

/**
 * The answerer of last resort: a request no other part of Berth accepted. One that is
 * recognizably AWS's (signed, targeted, or a Query Action) gets the error its protocol
 * has for an operation the service lacks, naming what Berth does not implement yet;
 * anything else a plain 404 saying what is served where. `accepts` claims every request
 * signed with SigV4, ahead of the registry: a REST API's path may start with /v2/
 * (SES v2, AppSync, DataZone, …), and no registry client signs with SigV4.
 */
export function createUnsupportedDoor(options: UnsupportedDoorOptions = {}) {
  // The catalog of every AWS service is loaded at the first request that needs it, not at
  // start-up: importing and indexing it costs berth up 8-16 ms, for a path most runs never take.
  let catalog: Promise<ServiceCatalog> | undefined = options.catalog && Promise.resolve(options.catalog);
  const loadCatalog = () => (catalog ??= import('./catalog.ts').then((m) => m.awsServices));
  const newRequestId = options.newRequestId ?? randomUUID;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const isForm = /^application\/x-www-form-urlencoded\b/i.test(String(req.headers['content-type'] ?? ''));
    const { head, ended } = await readHead(req, isForm ? FORM_KEEP_BYTES : 0);
    const form = isForm ? new URLSearchParams(head.toString('utf8')) : undefined;
    const id = identify({ method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, form }, await loadCatalog());
    const close = ended ? {} : { Connection: 'close' };
    if (!id) {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(NOT_FOUND), ...close });
      res.end(NOT_FOUND);
      return;
    }
    const answer = unsupportedAnswer(id, newRequestId());
    res.writeHead(answer.status, { ...answer.headers, ...close });
    res.end(answer.body); // node sends none for a HEAD
  }

  return { accepts: (req: IncomingMessage) => credentialScope(req.headers, req.url ?? '/') !== undefined, handle };
}

/**
 * Reads a request body, keeping its first `keep` bytes and dropping the rest, within the
 * limits above; `ended` tells whether all of it arrived.
 */
function readHead(req: IncomingMessage, keep: number): Promise<{ head: Buffer; ended: boolean }> {
  // All of it read, or all of it arrived and none is wanted (a GET's empty body): node drops the unread rest.
  if (req.readableEnded || (keep === 0 && req.complete)) return Promise.resolve({ head: Buffer.alloc(0), ended: true });
  return new Promise((resolve) => {
    const kept: Buffer[] = [];
    let keptBytes = 0;
    let seen = 0;
    const done = (ended: boolean) => {
      clearTimeout(timer);
      req.off('data', onData).off('end', onEnd).off('close', onClose).off('error', onClose);
      if (!ended) req.pause();
      resolve({ head: Buffer.concat(kept), ended });
    };
    const onData = (chunk: Buffer) => {
      seen += chunk.length;
      if (keptBytes < keep) {
        const part = chunk.subarray(0, keep - keptBytes);
        kept.push(part);
        keptBytes += part.length;
      }
      if (seen > DISCARD_MAX_BYTES) done(false);
    };
    const onEnd = () => done(true);
    const onClose = () => done(req.readableEnded);
    const timer = setTimeout(() => done(false), DISCARD_MAX_MS);
    req.on('data', onData).once('end', onEnd).once('close', onClose).once('error', onClose);
    req.resume();
  });
}
