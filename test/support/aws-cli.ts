import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { run } from './run.ts';

/**
 * The program a command on PATH ends up running. pyenv puts a shim on PATH (a bash script that
 * runs `pyenv exec`, which finds the version and execs the real one): measured at ~0.4 s of CPU
 * on top of the CLI's own ~0.5 s, paid on each of the thousands of calls of a run. The same
 * program is run, found the way the shim finds it (`pyenv which`, from this directory).
 */
function unshimmed(cmd: string): string {
  try {
    const real = execFileSync('pyenv', ['which', cmd], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    if (real && existsSync(real)) return real;
  } catch { /* no pyenv: PATH's command is the program itself */ }
  return cmd;
}

/** The python3 on PATH that aws CLI v1 and boto3 belong to, for the tests' boto3 scripts. */
export const PYTHON3 = unshimmed('python3');

/**
 * The two aws CLIs users have: v1 (pip, `aws` on PATH, on botocore) and v2 (Debian's
 * awscli package, /usr/bin/aws). Tests run the same scenario through both.
 */
export const AWS_CLIS = [
  { name: 'aws CLI v1', bin: unshimmed('aws') },
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

/**
 * How often the clients' ECS waiters poll in tests, in seconds. Their models poll every 6 s
 * (tasks) and 15 s (services), so a test that waits for a state sits out most of a delay
 * after the state is reached; the suite has some 70 waits. boto3 scripts can say
 * WaiterConfig={'Delay': 1}; the CLIs have no such option, so {@link waiterDataPath} gives
 * each the waiter model it ships, its acceptors untouched and its total wait the same.
 */
const WAITER_DELAY_S = 1;

/** Where each client's botocore keeps its data: v1 and boto3 share one, v2 ships its own. */
const BOTOCORE_OF: Record<AwsCli['name'], readonly [string, string]> = {
  'aws CLI v1': [PYTHON3, 'import botocore, os; print(os.path.dirname(botocore.__file__))'],
  'aws CLI v2': ['/usr/bin/python3', 'import awscli.botocore as b, os; print(os.path.dirname(b.__file__))'],
};
const dataPaths = new Map<AwsCli['name'], string>();
/** The services whose waiters tests use, with their API versions: ECS's (6–15 s delays) and EKS's (30 s). */
const WAITED_SERVICES = [['ecs', '2014-11-13'], ['eks', '2017-11-01']] as const;

/**
 * A directory for the client's AWS_DATA_PATH (botocore reads its models there before its
 * own) holding the ECS and EKS waiter models that client ships, polled every {@link WAITER_DELAY_S}
 * with maxAttempts raised so that delay × maxAttempts, the longest wait, is unchanged.
 */
function waiterDataPath(cli: AwsCli['name']): string {
  const known = dataPaths.get(cli);
  if (known) return known;
  const [python, script] = BOTOCORE_OF[cli];
  const botocore = execFileSync(python, ['-c', script], { encoding: 'utf8' }).trim();
  const dir = join(configDir, `data-${dataPaths.size}`);
  for (const [service, version] of WAITED_SERVICES) {
    // Plain in some botocore releases, gzipped in others.
    const plain = join(botocore, 'data', service, version, 'waiters-2.json');
    const text = existsSync(plain) ? readFileSync(plain, 'utf8') : gunzipSync(readFileSync(`${plain}.gz`)).toString('utf8');
    const model = JSON.parse(text) as { waiters: Record<string, { delay: number; maxAttempts: number }> };
    for (const w of Object.values(model.waiters)) {
      w.maxAttempts = Math.ceil((w.delay * w.maxAttempts) / WAITER_DELAY_S);
      w.delay = WAITER_DELAY_S;
    }
    mkdirSync(join(dir, service, version), { recursive: true });
    writeFileSync(join(dir, service, version, 'waiters-2.json'), JSON.stringify(model));
  }
  dataPaths.set(cli, dir);
  return dir;
}

/**
 * Credentials, region and no user config: the CLI as a fresh user has it, but for its ECS
 * waiters' delay ({@link WAITER_DELAY_S}). `cli` is the client it is for (boto3 is v1's).
 */
export function awsEnv(region = 'us-east-1', cli: AwsCli = AWS_CLIS[0]): Record<string, string> {
  return {
    AWS_ACCESS_KEY_ID: 'AKIDBERTHTEST', AWS_SECRET_ACCESS_KEY: 'berth-test-secret', AWS_DEFAULT_REGION: region,
    AWS_CONFIG_FILE: join(configDir, 'config'), AWS_SHARED_CREDENTIALS_FILE: join(configDir, 'credentials'),
    AWS_PAGER: '', AWS_DATA_PATH: waiterDataPath(cli.name),
  };
}

/** Runs `aws --endpoint-url E --output json ARGS`; the parsed JSON answer, or throws the CLI's error. */
export async function aws<T = Record<string, unknown>>(cli: AwsCli, endpoint: string, args: readonly string[], region?: string): Promise<T> {
  const r = await run(cli.bin, ['--endpoint-url', endpoint, '--output', 'json', ...args], { env: awsEnv(region, cli) });
  if (r.code !== 0) throw failure(r.stderr, r.code);
  return (r.stdout.trim() ? JSON.parse(r.stdout) : {}) as T;
}

/** Runs a command expected to fail with an AWS error; returns the error's code and message. */
export async function awsFails(cli: AwsCli, endpoint: string, args: readonly string[]): Promise<CliFailure> {
  const r = await run(cli.bin, ['--endpoint-url', endpoint, '--output', 'json', ...args], { env: awsEnv(undefined, cli) });
  if (r.code === 0) throw new Error(`expected ${cli.name} ${args.join(' ')} to fail, but it answered: ${r.stdout}`);
  return failure(r.stderr, r.code);
}

function failure(stderr: string, exitCode: number): CliFailure & Error {
  const m = /An error occurred \(([^)]+)\) when calling the \w+ operation(?: \(reached max retries: \d+\))?: (.*)/s.exec(stderr);
  const e = new Error(stderr.trim()) as Error & CliFailure;
  Object.assign(e, { code: m?.[1] ?? 'CLI', message: m?.[2]?.trim() ?? stderr.trim(), exitCode });
  return e;
}
