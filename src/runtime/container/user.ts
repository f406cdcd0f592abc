/**
 * The user a container runs as: ECS `user` (or the image's `User`) resolved against the
 * image's /etc/passwd and /etc/group, the way Docker does it (runc's `user` package
 * rules): `user`, `user:group`, `uid`, `uid:gid`, `user:gid`, `uid:group`; a numeric id
 * missing from passwd is used as is with gid 0; supplementary groups come from /etc/group.
 */

import { ContainerConfigError } from './errors.ts';

export interface ResolvedUser {
  readonly uid: number;
  readonly gid: number;
  readonly additionalGids: readonly number[];
  /** From passwd; `/` when the user has no entry (runc's default). */
  readonly home: string;
}

/** The text of the image's /etc/passwd and /etc/group (undefined when the file is absent). */
export interface UserDatabase {
  readonly passwd?: string | undefined;
  readonly group?: string | undefined;
}

interface PasswdEntry { name: string; uid: number; gid: number; home: string }
interface GroupEntry { name: string; gid: number; members: string[] }

/** Largest id the kernel accepts (uid_t is 32 bits; 2^32-1 is the "no id" value). */
const MAX_ID = 0xfffffffe;

const isNumeric = (s: string): boolean => /^[0-9]+$/.test(s);

function parseId(s: string, what: string): number {
  const n = Number(s);
  if (!Number.isSafeInteger(n) || n > MAX_ID) throw new ContainerConfigError(`${what} ${s} is out of range (0..${MAX_ID})`);
  return n;
}

export function parsePasswd(text: string): PasswdEntry[] {
  const out: PasswdEntry[] = [];
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f.length < 7 || line.startsWith('#') || !isNumeric(f[2]!) || !isNumeric(f[3]!)) continue;
    out.push({ name: f[0]!, uid: Number(f[2]), gid: Number(f[3]), home: f[5]! });
  }
  return out;
}

export function parseGroup(text: string): GroupEntry[] {
  const out: GroupEntry[] = [];
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f.length < 4 || line.startsWith('#') || !isNumeric(f[2]!)) continue;
    out.push({ name: f[0]!, gid: Number(f[2]), members: f[3]!.split(',').map((m) => m.trim()).filter(Boolean) });
  }
  return out;
}

/** `spec` is ECS `user` or the image's `User`; empty means root. */
export function resolveUser(spec: string | undefined, db: UserDatabase): ResolvedUser {
  const text = (spec ?? '').trim();
  const [userPart = '', groupPart, ...rest] = text.split(':');
  if (rest.length > 0) throw new ContainerConfigError(`user ${JSON.stringify(spec)} has more than one ":"; use user, user:group, uid or uid:gid`);
  const passwd = parsePasswd(db.passwd ?? '');
  const groups = parseGroup(db.group ?? '');

  let entry: PasswdEntry | undefined;
  let uid: number;
  if (userPart === '') {
    entry = passwd.find((p) => p.uid === 0);
    uid = 0;
  } else if (isNumeric(userPart)) {
    uid = parseId(userPart, 'uid');
    entry = passwd.find((p) => p.uid === uid);
  } else {
    entry = passwd.find((p) => p.name === userPart);
    if (entry === undefined) throw new ContainerConfigError(`user ${JSON.stringify(userPart)} is not in the image's /etc/passwd: use a numeric uid or a user the image defines`);
    uid = entry.uid;
  }

  let gid = entry?.gid ?? 0;
  if (groupPart !== undefined && groupPart !== '') {
    if (isNumeric(groupPart)) gid = parseId(groupPart, 'gid');
    else {
      const g = groups.find((e) => e.name === groupPart);
      if (g === undefined) throw new ContainerConfigError(`group ${JSON.stringify(groupPart)} is not in the image's /etc/group: use a numeric gid or a group the image defines`);
      gid = g.gid;
    }
  }
  // Supplementary groups only for a named user, and only when no group was forced (Docker's rule).
  const additionalGids = entry !== undefined && (groupPart === undefined || groupPart === '')
    ? [...new Set(groups.filter((g) => g.members.includes(entry.name) && g.gid !== gid).map((g) => g.gid))]
    : [];
  return { uid, gid, additionalGids, home: entry?.home || '/' };
}
