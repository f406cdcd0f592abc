/**
 * Environment files, as the ECS agent applies them when a task starts: each container's
 * `environmentFiles` are read from S3 and parsed, and their variables join the
 * container's environment, below the ones its definition sets.
 *
 * The rules (ECS API reference "EnvironmentFile", developer guide "Pass environment
 * variables to an Amazon ECS container", and the ECS agent's own parser):
 * - one `VARIABLE=VALUE` a line, split at the first `=`; spaces and quotes are part of
 *   the name or value (no trimming, no quote or escape processing);
 * - a line beginning with `#` is a comment; a line without `=`, or with an empty name or
 *   value, is skipped; CRLF line ends are read as LF;
 * - within a file a later line wins; across files the first file that sets a variable
 *   wins ("processed from the top down"); `environment` wins over every file.
 */

import type { S3ObjectRef } from '../core/ecs/environment-files.ts';
import { parseS3ObjectArn } from '../core/ecs/environment-files.ts';

/** Reads an S3 object's bytes, or throws an error whose message says why. */
export type S3ObjectReader = (ref: S3ObjectRef) => Promise<Buffer>;

export interface EnvironmentFile {
  readonly value?: string;
  readonly type?: string;
}

export interface EnvVar {
  readonly name: string;
  readonly value: string;
}

/** The variables of one file, in the order they first appear (a later line's value wins). */
export function parseEnvFile(text: string): Map<string, string> {
  const vars = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0 || eq === line.length - 1) continue;
    vars.set(line.slice(0, eq), line.slice(eq + 1));
  }
  return vars;
}

/** The container's environment with the files' variables added below it. */
export function mergeEnvironment(environment: readonly EnvVar[], files: readonly Map<string, string>[]): EnvVar[] {
  const out = new Map(environment.map((e) => [e.name, e.value]));
  for (const vars of files) {
    for (const [name, value] of vars) if (!out.has(name)) out.set(name, value);
  }
  return [...out].map(([name, value]) => ({ name, value }));
}

/** Why the files could not be read; `reason` is the task's stoppedReason, as ECS words it. */
export class EnvFilesError extends Error {
  constructor(problems: readonly string[]) {
    super(`ResourceInitializationError: failed to download env files: ${problems.join('; ')}`);
    this.name = 'EnvFilesError';
  }
}

/**
 * Reads and parses a container's environment files, all at once, and merges them into
 * its environment. Every file that cannot be read is named in the one error thrown.
 */
export async function resolveEnvironment(environment: readonly EnvVar[], files: readonly EnvironmentFile[], read: S3ObjectReader): Promise<EnvVar[]> {
  const results = await Promise.allSettled(files.map(async (f) => {
    const ref = f.type === 's3' ? parseS3ObjectArn(f.value ?? '') : undefined;
    if (!ref) throw new Error(`unable to parse bucket and key from s3 ARN specified in environmentFile ${f.value}`);
    try {
      return parseEnvFile((await read(ref)).toString('utf8'));
    } catch (e) {
      throw new Error(`unable to download env file with key ${ref.key} from bucket ${ref.bucket}, error: ${(e as Error).message}`);
    }
  }));
  const problems = results.flatMap((r) => (r.status === 'rejected' ? [(r.reason as Error).message] : []));
  if (problems.length) throw new EnvFilesError(problems);
  return mergeEnvironment(environment, results.map((r) => (r as PromiseFulfilledResult<Map<string, string>>).value));
}
