import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from './run.ts';

/**
 * The two aws CLIs users have: v1 (pip, `aws` on PATH, on botocore) and v2 (Debian's
 * awscli package, /usr/bin/aws). Tests run the same scenario through both.
 */
export const AWS_CLIS = [
  { name: 'aws CLI v1', bin: 'aws' },
  { name: 'aws CLI v2', bin: '/usr/bin/aws' },
] as const;

export type AwsCli = (typeof AWS_CLIS)[number];

/** An AWS error as the CLI reports it: "An error occurred (Code) when calling the Op operation: message". */
export interface CliFailure {
  readonly code: string;
  readonly message: string;
  readonly exitCode: number;
}

const configDir = mkdtempSync(join(tmpdir(), 'berth-awscli-'));
process.once('exit', () => rmSync(configDir, { recursive: true, force: true }));

/** Credentials, region and no user config: the CLI as a fresh user has it. */
export function awsEnv(region = 'us-east-1'): Record<string, string> {
  return {
    AWS_ACCESS_KEY_ID: 'AKIDBERTHTEST', AWS_SECRET_ACCESS_KEY: 'berth-test-secret', AWS_DEFAULT_REGION: region,
    AWS_CONFIG_FILE: join(configDir, 'config'), AWS_SHARED_CREDENTIALS_FILE: join(configDir, 'credentials'),
    AWS_PAGER: '',
  };
}

/** Runs `aws --endpoint-url E --output json ARGS`; the parsed JSON answer, or throws the CLI's error. */
export async function aws<T = Record<string, unknown>>(cli: AwsCli, endpoint: string, args: readonly string[], region?: string): Promise<T> {
  const r = await run(cli.bin, ['--endpoint-url', endpoint, '--output', 'json', ...args], { env: awsEnv(region) });
  if (r.code !== 0) throw failure(r.stderr, r.code);
  return (r.stdout.trim() ? JSON.parse(r.stdout) : {}) as T;
}

/** Runs a command expected to fail with an AWS error; returns the error's code and message. */
export async function awsFails(cli: AwsCli, endpoint: string, args: readonly string[]): Promise<CliFailure> {
  const r = await run(cli.bin, ['--endpoint-url', endpoint, '--output', 'json', ...args], { env: awsEnv() });
  if (r.code === 0) throw new Error(`expected ${cli.name} ${args.join(' ')} to fail, but it answered: ${r.stdout}`);
  return failure(r.stderr, r.code);
}

function failure(stderr: string, exitCode: number): CliFailure & Error {
  const m = /An error occurred \(([^)]+)\) when calling the \w+ operation(?: \(reached max retries: \d+\))?: (.*)/s.exec(stderr);
  const e = new Error(stderr.trim()) as Error & CliFailure;
  Object.assign(e, { code: m?.[1] ?? 'CLI', message: m?.[2]?.trim() ?? stderr.trim(), exitCode });
  return e;
}
