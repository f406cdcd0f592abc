import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { joinEndpoint } from '../../src/agent/registration.ts';
import { assertHostTest } from './host-only.ts';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * How long `berth up` may take to answer its health check: a bound, not a speed. At load 17 on
 * two cores a start took 24 s (from the sources; ~2.5 s of CPU), and two at once passed 30 s.
 */
const START_TIMEOUT_MS = 120_000;

let daemonMain: string | undefined;
/**
 * The entry point `berth up` and `berth agent` run from, as bin/berth runs them: the JavaScript
 * copy of src/ (scripts/toolchain.sh berth_js_build; src/cli/js-build.ts), rebuilt when src/
 * changed, or the sources where it cannot be built. No type stripper at each start: measured
 * at ~1.2 s of CPU less per `berth up` (3.1 → 1.9 s, 2.6 → 1.45 s, until healthy), paid by
 * every Berth and agent a run starts. Short-lived commands run the sources, as bin/berth's do.
 */
export function berthDaemonMain(): string {
  daemonMain ??= execFileSync('bash', ['-c', '. "$1/scripts/toolchain.sh" && berth_js_build "$2"', 'berth-js', ROOT, process.execPath], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  return daemonMain;
}

/** A `berth up` process started the way a user starts it, on a free port and its own data dir. */
export interface BerthProcess {
  readonly endpoint: string;
  readonly port: number;
  readonly dataDir: string;
  /** The join token `berth up` made in its data dir (for `berth agent --token`). */
  joinToken(): string;
  /** The process id of the running `berth up`. */
  pid(): number;
  /** What the process wrote to stderr (its log). */
  readonly log: () => string;
  /** kill -9, then wait for the process to be gone. */
  kill9(): Promise<void>;
  /** Starts it again on the same port and data dir. */
  restart(): Promise<void>;
  /** SIGTERM, wait, and remove the data dir (unless keepData). */
  stop(options?: { keepData?: boolean }): Promise<void>;
}

/**
 * Starts `berth up`. Without `agent: true` it runs the control plane alone (--no-agent),
 * as the API tests want; with it, the host's container agent too, as a user gets it.
 */
export async function startBerth(extraArgs: readonly string[] = [], options: { agent?: boolean } = {}): Promise<BerthProcess> {
  if (options.agent) assertHostTest('berth up with its agent');
  if (extraArgs.includes('--hosts')) assertHostTest('berth up --hosts');
  const args = options.agent ? extraArgs : ['--no-agent', ...extraArgs];
  const dataDir = mkdtempSync(join(tmpdir(), 'berth-e2e-'));
  const port = await freePort();
  let child: ChildProcess | undefined;
  let log = '';
  const launch = async () => {
    child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', berthDaemonMain(), 'up', '--port', String(port), '--data-dir', dataDir, ...args], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child.stderr!.on('data', (c: Buffer) => (log += c.toString()));
    await waitHealthy(`http://127.0.0.1:${port}`, child);
  };
  const exited = (c: ChildProcess) => new Promise<void>((resolve) => (c.exitCode !== null || c.signalCode !== null ? resolve() : c.once('exit', () => resolve())));
  await launch();
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    dataDir,
    joinToken: () => readFileSync(join(dataDir, 'join-token'), 'utf8').trim(),
    pid: () => child!.pid!,
    log: () => log,
    async kill9() {
      const c = child!;
      c.kill('SIGKILL');
      await exited(c);
    },
    restart: launch,
    async stop(options = {}) {
      const c = child;
      if (c && c.exitCode === null && c.signalCode === null) {
        c.kill('SIGTERM');
        await exited(c);
      }
      if (!options.keepData) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function waitHealthy(endpoint: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`berth up exited with ${child.exitCode} before it was healthy`);
    try {
      const res = await fetch(`${endpoint}/_berth/health`);
      if (res.ok) return;
    } catch { /* not listening yet */ }
    if (Date.now() > deadline) throw new Error(`berth up did not become healthy within ${START_TIMEOUT_MS} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/**
 * The secret of an instance registered through the ECS API (as tests and agents from
 * before join tokens do): handed out once, with the join token, as `berth agent` gets it.
 * `registration` is what the instance registered with (ARN included): joining registers
 * it again with it, so its resources and attributes stay as they were.
 */
export async function instanceSecretOf(berth: BerthProcess, registration: { cluster: string; containerInstanceArn: string } & Record<string, unknown>, region = 'us-east-1'): Promise<string> {
  const joined = await joinEndpoint(berth.endpoint, region)(berth.joinToken(), registration);
  if (!joined.instanceSecret) throw new Error(`no secret was issued for ${registration.containerInstanceArn}`);
  return joined.instanceSecret;
}
