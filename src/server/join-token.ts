import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { formatJoinToken, isJoinToken, SECRET_BYTES, tokensEqual } from '../core/agent-credentials.ts';
import { replaceFileSync } from '../lib/replace-file.ts';

/** The join token's file in the control plane's data dir (mode 0600). */
export const JOIN_TOKEN_FILE = 'join-token';

export function joinTokenPath(dataDir: string): string {
  return join(dataDir, JOIN_TOKEN_FILE);
}

/**
 * The join token of the control plane whose data dir this is, made (from the CSPRNG) at
 * the first start. The file is the one truth: the server reads it at each check, so
 * `berth token --rotate` takes effect at once without a call to the server.
 */
export function ensureJoinToken(dataDir: string, random: () => Uint8Array = () => randomBytes(SECRET_BYTES)): string {
  return readJoinToken(dataDir) ?? writeJoinToken(dataDir, formatJoinToken(random()));
}

/** The token in the data dir, or undefined when there is none yet. A damaged file is an error that says what to do. */
export function readJoinToken(dataDir: string): string | undefined {
  const path = joinTokenPath(dataDir);
  if (!existsSync(path)) return undefined;
  const text = readFileSync(path, 'utf8').trim();
  if (!isJoinToken(text)) throw new Error(`${path} does not hold a join token: remove it and start berth up (or run 'berth token --rotate') for a new one; agents that joined keep working`);
  if ((statSync(path).mode & 0o077) !== 0) throw new Error(`${path} is readable by other users: chmod 600 it, or run 'berth token --rotate' for a new one`);
  return text;
}

/** Replaces the token: hosts that joined keep their own secrets; new ones need the new token. */
export function rotateJoinToken(dataDir: string, random: () => Uint8Array = () => randomBytes(SECRET_BYTES)): string {
  return writeJoinToken(dataDir, formatJoinToken(random()));
}

function writeJoinToken(dataDir: string, token: string): string {
  replaceFileSync(joinTokenPath(dataDir), `${token}\n`, { durable: true, mode: 0o600 });
  return token;
}

/** The server's view: whether a presented token is the current one (constant-time). */
export function joinTokenChecker(dataDir: string): (presented: string) => boolean {
  return (presented) => {
    const current = readJoinToken(dataDir);
    return current !== undefined && tokensEqual(presented, current);
  };
}
