/**
 * AWS STS over its Query protocol:
 * - GetCallerIdentity tells a caller who Berth took it for (the account's root, or a role
 *   session: `aws sts get-caller-identity` inside a task);
 * - AssumeRole gives the account's root temporary credentials of a role of its account
 *   (there is no IAM yet, so no trust policy to consult: any role ARN of the account).
 * Every request signed for `sts` is this door's; an Action it lacks gets the Query
 * protocol's InvalidAction, as the unsupported door words it.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { ApiError } from '../../core/errors.ts';
import { parseRoleArn, type Principal } from '../../identity/principal.ts';
import type { IssueOptions, SessionCredentials, SessionFacts } from '../../identity/session-credentials.ts';
import { BodyTooLarge, readBody } from '../aws/request-body.ts';
import { credentialScope } from '../aws/sigv4-scope.ts';
import { unsupportedAnswer } from '../aws/unsupported.ts';
import { failureError, VerifyFailure, type RequestVerifier } from '../aws/verify-request.ts';
import { el, xmlDocument } from '../aws/xml.ts';

const NAMESPACE = 'https://sts.amazonaws.com/doc/2011-06-15/';
/** STS requests are a few hundred bytes of form; AssumeRole's largest (a session policy) is 2,048 characters. */
const MAX_BODY_BYTES = 64 * 1024;

/** Makes a role's credentials (identity service's issue). */
export type IssueCredentials = (facts: SessionFacts, now: number, options: IssueOptions) => SessionCredentials;

export function createStsDoor(options: { readonly verifier: RequestVerifier; readonly issue: IssueCredentials; readonly now?: () => number; readonly newRequestId?: () => string }) {
  const now = options.now ?? Date.now;
  const newRequestId = options.newRequestId ?? randomUUID;

  function accepts(req: IncomingMessage): boolean {
    return credentialScope(req.headers, req.url ?? '/')?.service === 'sts';
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = newRequestId();
    const answer = (status: number, body: string) => {
      res.writeHead(status, { 'Content-Type': 'text/xml', 'x-amzn-RequestId': requestId, 'Content-Length': Buffer.byteLength(body) });
      res.end(body);
    };
    try {
      const body = await readBody(req, MAX_BODY_BYTES).catch((e: unknown) => {
        throw e instanceof BodyTooLarge ? new ApiError('ValidationError', e.message) : e;
      });
      const q = (req.url ?? '/').indexOf('?');
      const form = new URLSearchParams(body || (q < 0 ? '' : (req.url ?? '').slice(q + 1)));
      let principal: Principal;
      try {
        principal = options.verifier.verify({ method: req.method ?? 'POST', url: req.url ?? '/', headers: req.headers, body }, now());
      } catch (e) {
        throw e instanceof VerifyFailure ? failureError(e, 'query') : e;
      }
      const action = form.get('Action') ?? '';
      if (action === 'AssumeRole') {
        answer(200, assumeRole(options.issue, principal, form, now(), requestId));
        return;
      }
      if (action !== 'GetCallerIdentity') {
        const un = unsupportedAnswer({ protocol: 'query', service: undefined, serviceName: 'sts', operation: action || '(no Action)', jsonVersion: '1.1' }, requestId);
        answer(un.status, xmlWithNamespace(String(un.body)));
        return;
      }
      answer(200, xmlDocument('GetCallerIdentityResponse', [
        el('GetCallerIdentityResult', [el('Arn', principal.arn), el('UserId', principal.userId), el('Account', principal.account)]),
        el('ResponseMetadata', el('RequestId', requestId)),
      ], NAMESPACE));
    } catch (e) {
      const err = e instanceof ApiError ? e : new ApiError('InternalFailure', 'STS failed to answer: see the server log.');
      answer(err.status, xmlDocument('ErrorResponse', [
        el('Error', [el('Type', err.status >= 500 ? 'Receiver' : 'Sender'), el('Code', err.code), el('Message', err.message)]),
        el('RequestId', requestId),
      ], NAMESPACE));
    }
  }

  return { accepts, handle };
}

/** AssumeRole's limits (STS API reference): session names, and DurationSeconds 900 s to 12 h, one hour when not given. */
const SESSION_NAME = /^[\w+=,.@-]*$/;
const MIN_DURATION_S = 900;
const MAX_DURATION_S = 43_200;
const DEFAULT_DURATION_S = 3600;

function assumeRole(issue: IssueCredentials, caller: Principal, form: URLSearchParams, now: number, requestId: string): string {
  const roleArn = form.get('RoleArn');
  const sessionName = form.get('RoleSessionName');
  const errors: string[] = [];
  const bad = (value: string | null, member: string, constraint: string) => errors.push(`Value ${value === null ? 'null' : `'${value}'`} at '${member}' failed to satisfy constraint: ${constraint}`);
  if (roleArn === null) bad(null, 'roleArn', 'Member must not be null');
  else if (roleArn.length < 20 || roleArn.length > 2048) bad(roleArn, 'roleArn', 'Member must have length between 20 and 2048');
  if (sessionName === null) bad(null, 'roleSessionName', 'Member must not be null');
  else if (sessionName.length < 2 || sessionName.length > 64) bad(sessionName, 'roleSessionName', 'Member must have length between 2 and 64');
  else if (!SESSION_NAME.test(sessionName)) bad(sessionName, 'roleSessionName', 'Member must satisfy regular expression pattern: [\\w+=,.@-]*');
  const durationText = form.get('DurationSeconds');
  const duration = durationText === null ? DEFAULT_DURATION_S : Number(durationText);
  if (!Number.isInteger(duration) || duration < MIN_DURATION_S || duration > MAX_DURATION_S) {
    bad(durationText, 'durationSeconds', `Member must have value between ${MIN_DURATION_S} and ${MAX_DURATION_S}`);
  }
  if (errors.length > 0) throw new ApiError('ValidationError', `${errors.length} validation error${errors.length > 1 ? 's' : ''} detected: ${errors.join('; ')}`);
  const role = parseRoleArn(roleArn!);
  if (!role || role.account !== caller.account || caller.kind !== 'root') {
    throw new ApiError('AccessDenied', `User: ${caller.arn} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}. (Berth lets an account's root assume the roles of its own account.)`);
  }
  const c = issue({ roleArn: roleArn!, sessionName: sessionName! }, now, { lifetimeMs: duration * 1000 });
  const opened = `arn:aws:sts::${role.account}:assumed-role/${role.name}/${sessionName!}`;
  return xmlDocument('AssumeRoleResponse', [
    el('AssumeRoleResult', [
      el('AssumedRoleUser', [el('AssumedRoleId', c.assumedRoleId), el('Arn', opened)]),
      el('Credentials', [
        el('AccessKeyId', c.accessKeyId), el('SecretAccessKey', c.secretAccessKey), el('SessionToken', c.sessionToken),
        el('Expiration', new Date(c.expiration).toISOString().replace(/\.\d{3}Z$/, 'Z')),
      ]),
    ]),
    el('ResponseMetadata', el('RequestId', requestId)),
  ], NAMESPACE);
}

/** The unsupported door's Query error, in STS's namespace (it has no catalog entry to give it one). */
function xmlWithNamespace(body: string): string {
  return body.replace('<ErrorResponse>', `<ErrorResponse xmlns="${NAMESPACE}">`);
}
