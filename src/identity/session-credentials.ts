/**
 * Temporary credentials of a role, as STS hands them out (access key `ASIA…`, secret,
 * session token, expiration), made so that Berth need not remember them: the session
 * token carries who they are for and until when, sealed with the control plane's identity
 * key, and the secret is derived from the token with the same key. Verifying a request
 * signed with them is then pure: open the token, derive the secret, check the signature.
 * Nothing is stored per credential, so issuing them (every task with a role, rotated
 * before they expire) costs no write, and a control plane restart keeps them valid.
 *
 * Why not a JWT library: the token is an internal, opaque string with one fixed MAC; the
 * whole format is the six lines of `seal`/`unseal` below.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { parseRoleArn, type Principal } from './principal.ts';

export interface SessionCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
  /** Epoch milliseconds. */
  readonly expiration: number;
  /** `<role id>:<session name>`: the session's aws:userid. */
  readonly assumedRoleId: string;
}

export interface SessionFacts {
  readonly roleArn: string;
  /** The session name (ECS uses the task id). */
  readonly sessionName: string;
  /** The task the credentials were issued to, when a task's. */
  readonly taskArn?: string;
}

export interface IssueOptions {
  /** How long they last; {@link SESSION_LIFETIME_MS} when not said. */
  readonly lifetimeMs?: number;
}

/** How long issued credentials last: ECS's task role credentials last six hours. */
export const SESSION_LIFETIME_MS = 6 * 60 * 60 * 1000;
/** Session names as STS allows them (RoleSessionName): 2–64 of these characters. */
const SESSION_NAME = /^[\w+=,.@-]{2,64}$/;
const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

export type Opened =
  | { readonly ok: true; readonly facts: SessionFacts; readonly secretAccessKey: string; readonly principal: Principal; readonly expiration: number }
  | { readonly ok: false; readonly reason: 'invalid' | 'expired' };

/**
 * Credentials for `facts`, valid from `now` for {@link SESSION_LIFETIME_MS} (or as long as
 * `options` says). `random` gives the 10 bytes of the access key id (an input, so tests are exact).
 */
export function issueSessionCredentials(key: Buffer, facts: SessionFacts, now: number, random: Buffer, options: IssueOptions = {}): SessionCredentials {
  if (!parseRoleArn(facts.roleArn)) throw new Error(`not a role ARN: ${facts.roleArn}`);
  if (!SESSION_NAME.test(facts.sessionName)) throw new Error(`not a session name: ${facts.sessionName}`);
  const accessKeyId = `ASIA${base32(random).slice(0, 16)}`;
  const expiration = now + (options.lifetimeMs ?? SESSION_LIFETIME_MS);
  const payload = { v: 1, a: accessKeyId, r: facts.roleArn, s: facts.sessionName, x: expiration, ...(facts.taskArn && { t: facts.taskArn }) };
  const sessionToken = seal(key, Buffer.from(JSON.stringify(payload)).toString('base64url'));
  return { accessKeyId, secretAccessKey: secretOf(key, sessionToken), sessionToken, expiration, assumedRoleId: `${roleId(key, facts.roleArn)}:${facts.sessionName}` };
}

/** What a request's access key id and session token stand for, if this control plane issued them and they are current. */
export function openSessionToken(key: Buffer, accessKeyId: string, sessionToken: string, now: number): Opened {
  const body = unseal(key, sessionToken);
  if (body === undefined) return { ok: false, reason: 'invalid' };
  let p: { v?: unknown; a?: unknown; r?: unknown; s?: unknown; x?: unknown; t?: unknown };
  try {
    p = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as typeof p;
  } catch {
    return { ok: false, reason: 'invalid' };
  }
  if (p.v !== 1 || p.a !== accessKeyId || typeof p.r !== 'string' || typeof p.s !== 'string' || typeof p.x !== 'number') return { ok: false, reason: 'invalid' };
  const role = parseRoleArn(p.r);
  if (!role) return { ok: false, reason: 'invalid' };
  if (now >= p.x) return { ok: false, reason: 'expired' };
  const facts: SessionFacts = { roleArn: p.r, sessionName: p.s, ...(typeof p.t === 'string' && { taskArn: p.t }) };
  const principal: Principal = {
    kind: 'assumed-role',
    account: role.account,
    arn: `arn:aws:sts::${role.account}:assumed-role/${role.name}/${p.s}`,
    userId: `${roleId(key, p.r)}:${p.s}`,
    roleArn: p.r,
  };
  return { ok: true, facts, secretAccessKey: secretOf(key, sessionToken), principal, expiration: p.x };
}

/** A role's unique id (`AROA` + 17 characters, as IAM's), the same for the same role ARN on this control plane. */
export function roleId(key: Buffer, roleArn: string): string {
  return `AROA${base32(mac(key, 'role-id', roleArn)).slice(0, 17)}`;
}

function secretOf(key: Buffer, token: string): string {
  return mac(key, 'secret', token).toString('base64').slice(0, 40);
}

function seal(key: Buffer, body: string): string {
  return `${body}.${mac(key, 'token', body).toString('base64url')}`;
}

function unseal(key: Buffer, token: string): string | undefined {
  const dot = token.lastIndexOf('.');
  if (dot <= 0) return undefined;
  const body = token.slice(0, dot);
  const given = Buffer.from(token.slice(dot + 1), 'base64url');
  const expected = mac(key, 'token', body);
  return given.length === expected.length && timingSafeEqual(given, expected) ? body : undefined;
}

/** HMAC-SHA256 under `key`, its purpose in the message so one key never signs two kinds of thing alike. */
function mac(key: Buffer, purpose: string, data: string): Buffer {
  return createHmac('sha256', key).update(`berth-${purpose}\0${data}`).digest();
}

function base32(bytes: Buffer): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31];
  return out;
}
