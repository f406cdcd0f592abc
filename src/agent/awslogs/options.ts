/**
 * A container's `awslogs` logConfiguration, read as Docker's awslogs driver reads its
 * options, and the log stream it writes to (ECS's naming).
 */
import { datetimeRegex } from './multiline.ts';

/** Docker's default `max-buffer-size` in non-blocking mode: 1 MiB. */
export const DEFAULT_MAX_BUFFER_BYTES = 1024 * 1024;

export interface AwslogsConfig {
  readonly group: string;
  readonly region: string;
  /** `awslogs-stream-prefix`, if given. */
  readonly prefix: string | undefined;
  readonly createGroup: boolean;
  /**
   * blocking: every line is delivered (the container's file is the buffer); non-blocking
   * (ECS's default): lines that come while `maxBufferBytes` wait are dropped.
   */
  readonly mode: 'blocking' | 'non-blocking';
  readonly maxBufferBytes: number;
  /**
   * A line matching it starts a new event: `awslogs-multiline-pattern` as given (Docker matches
   * it anywhere in the line), or `awslogs-datetime-format` made a regex anchored at the start.
   */
  readonly startPattern: RegExp | undefined;
}

/** Docker's message for a bad option: it fails the container's start. */
export class AwslogsOptionError extends Error {}

const KNOWN = new Set(['awslogs-group', 'awslogs-region', 'awslogs-stream-prefix', 'awslogs-create-group', 'mode', 'max-buffer-size',
  'awslogs-datetime-format', 'awslogs-multiline-pattern', 'awslogs-endpoint', 'awslogs-credentials-endpoint', 'awslogs-force-flush-interval-seconds',
  'awslogs-max-buffered-events', 'awslogs-format', 'tag', 'awslogs-stream']);

/** The logConfiguration of a container definition, if its driver is awslogs. */
export function awslogsOf(logConfiguration: unknown): Record<string, string> | undefined {
  const lc = logConfiguration as { logDriver?: string; options?: Record<string, string> } | undefined;
  return lc?.logDriver === 'awslogs' ? lc.options ?? {} : undefined;
}

/**
 * Parses the options; `defaultRegion` is the task's (an EC2 instance's region, as Docker
 * falls back to it), `defaultMode` the account's defaultLogDriverMode setting (ECS's own
 * default is non-blocking since June 2025).
 */
export function parseAwslogsOptions(options: Readonly<Record<string, string>>, defaultRegion: string, defaultMode: 'blocking' | 'non-blocking' = 'non-blocking'): AwslogsConfig {
  for (const k of Object.keys(options)) {
    if (!KNOWN.has(k)) throw new AwslogsOptionError(`unknown log opt '${k}' for awslogs log driver`);
  }
  const group = options['awslogs-group'];
  if (!group) throw new AwslogsOptionError("must specify a value for log opt 'awslogs-group'");
  if (options['awslogs-datetime-format'] !== undefined && options['awslogs-multiline-pattern'] !== undefined) {
    throw new AwslogsOptionError('you cannot configure log opt \'awslogs-datetime-format\' and \'awslogs-multiline-pattern\' at the same time');
  }
  const create = options['awslogs-create-group'];
  if (create !== undefined && !/^(true|false|1|0|t|f|TRUE|FALSE|True|False)$/.test(create)) {
    throw new AwslogsOptionError(`invalid value for log opt 'awslogs-create-group': ${create} (true or false)`);
  }
  const mode = options.mode ?? defaultMode;
  if (mode !== 'blocking' && mode !== 'non-blocking') throw new AwslogsOptionError(`logger: logging mode not supported: ${mode}`);
  const size = options['max-buffer-size'];
  if (size !== undefined && options.mode === 'blocking') throw new AwslogsOptionError('logger: max-buffer-size option is only supported with \'mode=non-blocking\'');
  let startPattern: RegExp | undefined;
  try {
    if (options['awslogs-multiline-pattern'] !== undefined) startPattern = new RegExp(options['awslogs-multiline-pattern']);
    if (options['awslogs-datetime-format'] !== undefined) startPattern = datetimeRegex(options['awslogs-datetime-format']);
  } catch (e) {
    throw new AwslogsOptionError(`awslogs could not parse multiline pattern key: ${(e as Error).message}`);
  }
  return {
    group,
    region: options['awslogs-region'] ?? defaultRegion,
    prefix: options['awslogs-stream-prefix'] || undefined,
    createGroup: create !== undefined && /^(true|1|t)$/i.test(create),
    mode,
    maxBufferBytes: size === undefined ? DEFAULT_MAX_BUFFER_BYTES : parseSize(size),
    startPattern,
  };
}

/** Docker's sizes: a number with an optional unit (b, k, m, g; decimal or binary, case-insensitive). */
export function parseSize(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmg]?)(i?b?)$/i.exec(text.trim());
  if (!m) throw new AwslogsOptionError(`invalid value for log opt 'max-buffer-size': ${text} (a size such as 4m or 512k)`);
  const unit = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g'];
  return Math.floor(Number(m[1]) * unit);
}

/**
 * ECS's stream name: `prefix/container-name/task-id` with a prefix; without one, the
 * container's id on the host (Docker's container id there; Berth's runtime id here).
 */
export function streamName(prefix: string | undefined, containerName: string, taskId: string, containerId: string): string {
  return prefix === undefined ? containerId : `${prefix}/${containerName}/${taskId}`;
}
