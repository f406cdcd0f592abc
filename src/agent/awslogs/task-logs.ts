/**
 * The awslogs drivers of one task's containers, as the task runner uses them: checked and
 * set up before a container starts (a missing group fails the start, as on ECS), followed
 * once it runs (or is adopted after an agent restart), drained before the task is reported
 * STOPPED, let go of when the agent shuts down.
 */
import type { ContainerSpec } from '../../core/workload/spec.ts';
import { AWSLOGS_LOG_SIZE_MAX, AwslogsDriver, type AwslogsTransport, type Target } from './driver.ts';
import { awslogsOf, parseAwslogsOptions, streamName, AwslogsOptionError, type AwslogsConfig } from './options.ts';

/** How long a stopping task waits for its containers' last lines to be delivered. */
export const DRAIN_TIMEOUT_MS = 30_000;
/** How long a container's start waits for the control plane to set its log stream up (the session may be reconnecting). */
const SETUP_TIMEOUT_MS = 30_000;
const SETUP_RETRY_MS = 500;
/** Docker's words for a logging driver that could not start, which ECS puts in the task's stoppedReason. */
const DRIVER_FAILED = 'CannotStartContainerError: Error response from daemon: failed to initialize logging driver';

export class TaskAwslogs {
  readonly #taskArn: string;
  readonly #taskId: string;
  readonly #transport: AwslogsTransport | undefined;
  readonly #log: (line: string) => void;
  readonly #now: () => number;
  /** One per container that uses awslogs (bounded by the task's containers, 10 at most on ECS). */
  readonly #drivers = new Map<string, AwslogsDriver>();

  readonly #defaultMode: 'blocking' | 'non-blocking' | undefined;

  /** `defaultMode`: the account's defaultLogDriverMode, for containers whose options set no mode. */
  constructor(taskArn: string, defaultMode: 'blocking' | 'non-blocking' | undefined, transport: AwslogsTransport | undefined, log: (line: string) => void, now: () => number) {
    this.#taskArn = taskArn;
    this.#defaultMode = defaultMode;
    this.#taskId = taskArn.slice(taskArn.lastIndexOf('/') + 1);
    this.#transport = transport;
    this.#log = log;
    this.#now = now;
  }

  #target(def: ContainerSpec, containerId: string): { config: AwslogsConfig; target: Target } | undefined {
    const options = def.log && awslogsOf({ logDriver: def.log.driver, options: def.log.options });
    if (!options) return undefined;
    // The task's region (an EC2 instance's, as Docker's driver falls back to) when the options name none.
    const config = parseAwslogsOptions(options, this.#taskArn.split(':')[3]!, this.#defaultMode);
    return { config, target: { taskArn: this.#taskArn, region: config.region, group: config.group, stream: streamName(config.prefix, def.name, this.#taskId, containerId), createGroup: config.createGroup } };
  }

  /**
   * Before the container starts: its options are valid, its group exists (or is made with
   * awslogs-create-group) and so does its stream. Throws the reason the task stops with.
   */
  async prepare(def: ContainerSpec, containerId: string): Promise<void> {
    let t: { config: AwslogsConfig; target: Target } | undefined;
    try {
      t = this.#target(def, containerId);
    } catch (e) {
      if (e instanceof AwslogsOptionError) throw new Error(`${DRIVER_FAILED}: ${e.message}`);
      throw e;
    }
    if (!t) return;
    if (!this.#transport) throw new Error(`${DRIVER_FAILED}: this agent has no session to deliver awslogs through`);
    const until = this.#now() + SETUP_TIMEOUT_MS;
    for (;;) {
      try {
        await this.#transport.setup(t.target);
        return;
      } catch (e) {
        const code = (e as { code?: string }).code;
        // AWS's answer (no group, a bad name, …): the container does not start.
        if (code !== undefined && code !== 'ServiceUnavailableException') {
          const what = code === 'ResourceNotFoundException' || !t.target.createGroup ? 'failed to create Cloudwatch log stream' : 'failed to create Cloudwatch log group';
          throw new Error(`${DRIVER_FAILED}: ${what}: ${(e as Error).message}`);
        }
        if (this.#now() >= until) throw new Error(`${DRIVER_FAILED}: ${(e as Error).message}`);
        await new Promise((r) => setTimeout(r, SETUP_RETRY_MS));
      }
    }
  }

  /** conmon's log size bound for a container: an awslogs container's file is not rotated at the default 10 MiB (driver.ts). */
  logSizeMax(def: ContainerSpec): number | undefined {
    return def.log && awslogsOf({ logDriver: def.log.driver, options: def.log.options }) ? AWSLOGS_LOG_SIZE_MAX : undefined;
  }

  /** Starts delivering a container's log (a new container, or one adopted after a restart). */
  follow(def: ContainerSpec, containerId: string, logPath: string, format: 'k8s-file' | 'raw'): void {
    if (this.#drivers.has(def.name) || !this.#transport) return;
    let t: { config: AwslogsConfig; target: Target } | undefined;
    try {
      t = this.#target(def, containerId);
    } catch {
      return; // refused at prepare: such a container never started
    }
    if (!t) return;
    const driver = new AwslogsDriver({ logPath, config: t.config, target: t.target, transport: this.#transport, format, log: this.#log, now: this.#now });
    this.#drivers.set(def.name, driver);
    driver.start();
  }

  /** The task's containers are gone: deliver what they wrote (DRAIN_TIMEOUT_MS at most). */
  async drain(): Promise<void> {
    await Promise.all([...this.#drivers.values()].map((d) => d.drain(DRAIN_TIMEOUT_MS)));
  }

  /** The agent is going away: stop without draining (the next agent resumes from the saved positions). */
  stop(): void {
    for (const d of this.#drivers.values()) d.stop();
  }
}
