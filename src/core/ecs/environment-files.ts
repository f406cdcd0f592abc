/**
 * A container definition's `environmentFiles`: S3 objects of `VARIABLE=VALUE` lines that
 * the agent reads when the task starts (ECS API reference, "EnvironmentFile"; developer
 * guide, "Pass environment variables to an Amazon ECS container"). Here: the ARN of such
 * an object and the rules RegisterTaskDefinition checks. Reading and parsing the files
 * is the agent's (src/agent/env-files.ts).
 */

import { parseArn } from '../arn.ts';
import { ApiError } from '../errors.ts';

/** "You can specify up to ten environment files" (EnvironmentFile reference), per container. */
export const MAX_ENVIRONMENT_FILES = 10;

export interface S3ObjectRef {
  readonly bucket: string;
  readonly key: string;
}

/**
 * The bucket and key of an S3 object ARN, `arn:<partition>:s3:::<bucket>/<key>` (S3 ARNs
 * carry neither region nor account), or undefined when the string is not one.
 */
export function parseS3ObjectArn(value: string): S3ObjectRef | undefined {
  const arn = parseArn(value);
  if (!arn || arn.service !== 's3' || arn.region !== '' || arn.account !== '') return undefined;
  const slash = arn.resource.indexOf('/');
  if (slash <= 0 || slash === arn.resource.length - 1) return undefined;
  const bucket = arn.resource.slice(0, slash);
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) return undefined;
  return { bucket, key: arn.resource.slice(slash + 1) };
}

/**
 * The environmentFiles of one container: at most ten, each of type s3 with the ARN of an
 * S3 object. ECS answers a malformed ARN in a task definition with "Invalid arn syntax.";
 * Berth says which value and what an ARN of an object looks like.
 */
export function checkEnvironmentFiles(container: string, files: unknown): void {
  if (files === undefined) return;
  const list = files as readonly { value?: string; type?: string }[];
  if (list.length > MAX_ENVIRONMENT_FILES) {
    throw new ApiError('ClientException', `Container '${container}' has ${list.length} environmentFiles; a container can have at most ${MAX_ENVIRONMENT_FILES}.`);
  }
  for (const f of list) {
    if (f.type !== 's3') throw new ApiError('ClientException', `Invalid environmentFiles type '${f.type}' in container '${container}': the only type is s3.`);
    if (!parseS3ObjectArn(f.value ?? '')) {
      throw new ApiError('ClientException', `Invalid arn syntax: environmentFiles value '${f.value}' in container '${container}' is not the ARN of an S3 object; write arn:aws:s3:::<bucket>/<key>, for example arn:aws:s3:::config/app.env.`);
    }
  }
}
