import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { awsEnv, PYTHON3 } from './aws-cli.ts';

/** What the tries sample a service every this often (issue 14: "sampled every 100 ms"). */
export const SAMPLE_INTERVAL_MS = 100;

/**
 * Samples kept per sampler: a try runs a few minutes at most, 10 samples a second; past
 * this the oldest go (the counts of every sample are checked as they arrive, not kept).
 */
const MAX_SAMPLES = 10_000;

export interface SampledDeployment {
  id: string; status: string; taskDefinition: string; desiredCount: number; runningCount: number; pendingCount: number;
  failedTasks: number; rolloutState: string; rolloutStateReason: string;
}
export interface SampledTask {
  arn: string; taskDefinitionArn: string; lastStatus: string; desiredStatus: string; healthStatus: string;
  startedBy?: string; stopCode?: string; stoppedReason?: string; containerInstanceArn?: string;
}
export interface Sample {
  t: number;
  service: { status: string; taskDefinition: string; desiredCount: number; runningCount: number; pendingCount: number; deployments: SampledDeployment[]; events: string[] };
  /** The service's tasks not yet STOPPED, and those first seen STOPPED in this sample. */
  tasks: SampledTask[];
}

/** The counts the deployment limits are about, in one sample. */
export interface Counts {
  /** RUNNING, desired RUNNING and HEALTHY: what minimumHealthyPercent keeps (every task of these tries has a health check). */
  healthy: number;
  /** Not yet STOPPED: what maximumPercent bounds (a task being stopped holds its place until it is). */
  total: number;
  /** Desired RUNNING and not yet STOPPED: the tasks the service counts as its own. */
  live: number;
  /** lastStatus RUNNING and desired RUNNING. */
  running: number;
}

export function counts(s: Sample): Counts {
  const open = s.tasks.filter((t) => t.lastStatus !== 'STOPPED');
  const live = open.filter((t) => t.desiredStatus === 'RUNNING');
  return {
    healthy: live.filter((t) => t.lastStatus === 'RUNNING' && t.healthStatus === 'HEALTHY').length,
    total: open.length,
    live: live.length,
    running: live.filter((t) => t.lastStatus === 'RUNNING').length,
  };
}

/**
 * A boto3 process (service-sampler.py) sampling one service every SAMPLE_INTERVAL_MS:
 * `check` runs on every sample as it arrives (a violation is kept and thrown by `stop`),
 * `waitFor` resolves at the first sample a predicate accepts.
 */
export class ServiceSampler {
  readonly samples: Sample[] = [];
  readonly errors: string[] = [];
  #child: ChildProcess;
  #buffer = '';
  #waiters: { f: (s: Sample) => boolean; resolve: (s: Sample) => void }[] = [];
  #violation: Error | undefined;
  #exited: Promise<void>;
  readonly #check: (s: Sample) => void;

  constructor(endpoint: string, service: string, check: (s: Sample) => void = () => undefined, cluster = 'default') {
    this.#check = check;
    const script = join(dirname(fileURLToPath(import.meta.url)), 'service-sampler.py');
    this.#child = spawn(PYTHON3, [script, endpoint, cluster, service, String(SAMPLE_INTERVAL_MS / 1000)], { env: { ...process.env, ...awsEnv() }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    this.#child.stderr!.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-4000)));
    this.#child.stdout!.on('data', (c: Buffer) => this.#read(c.toString()));
    this.#exited = new Promise((resolve) => this.#child.once('exit', (code, signal) => {
      if (code !== 0 && signal !== 'SIGTERM') this.errors.push(`the sampler exited ${code ?? signal}: ${stderr}`);
      resolve();
    }));
  }

  #read(chunk: string): void {
    this.#buffer += chunk;
    let nl: number;
    while ((nl = this.#buffer.indexOf('\n')) >= 0) {
      const line = this.#buffer.slice(0, nl);
      this.#buffer = this.#buffer.slice(nl + 1);
      const parsed = JSON.parse(line) as Sample | { t: number; error: string };
      if ('error' in parsed) { this.errors.push(parsed.error); continue; }
      this.samples.push(parsed);
      if (this.samples.length > MAX_SAMPLES) this.samples.shift();
      try { this.#check(parsed); } catch (e) { this.#violation ??= e as Error; }
      this.#waiters = this.#waiters.filter((w) => (w.f(parsed) ? (w.resolve(parsed), false) : true));
    }
  }

  /** The first sample from now on that `f` accepts; fails naming `what` after `ms`, or at once on a violation. */
  waitFor(what: string, f: (s: Sample) => boolean, ms: number): Promise<Sample> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const last = this.samples.at(-1);
        reject(new Error(`timed out after ${ms} ms waiting for ${what}; last sample: ${JSON.stringify(last?.service)} ${JSON.stringify(last && counts(last))}`));
      }, ms);
      const check = setInterval(() => { if (this.#violation) { clearTimeout(timer); clearInterval(check); reject(this.#violation); } }, 200);
      this.#waiters.push({ f, resolve: (s) => { clearTimeout(timer); clearInterval(check); resolve(s); } });
    });
  }

  /** Stops sampling; throws the first violation `check` found, if any. */
  async stop(): Promise<void> {
    if (this.#child.exitCode === null && this.#child.signalCode === null) this.#child.kill('SIGTERM');
    await this.#exited;
    if (this.#violation) throw this.#violation;
  }
}
