/**
 * `berth logs` for a container whose logConfiguration is awslogs: its output is in its log
 * group (the agent's file is only the driver's buffer), read through the Logs service as
 * GetLogEvents reads it, and written as the agent's k8s-file lines are (`<time> awslogs F
 * <text>`, one per line of a multiline event), so the CLI prints both the same way.
 */
import { parseArn } from '../core/arn.ts';
import { keys } from '../core/ecs/keys.ts';
import { effectiveContainers, type TaskRecord } from '../core/ecs/task.ts';
import { parseTaskDefinitionRef, type TaskDefinitionRecord } from '../core/ecs/task-definition.ts';
import type { Scope } from '../logs/records.ts';
import { awslogsOf, parseAwslogsOptions, streamName } from '../agent/awslogs/options.ts';
import { getJson } from '../store/json.ts';
import type { Store } from '../store/store.ts';

/** A followed stream with nothing new is read again this often. */
const FOLLOW_POLL_MS = 250;

export interface StreamReader {
  /** A page of a stream's events from the head (or after `token`), with the token to go on from. */
  read(s: Scope, now: number, group: string, stream: string, token: string | undefined): Promise<{ events: { timestamp: number; message: string }[]; next: string }>;
}

/** Where a task's container logs with awslogs: its scope, group and stream; undefined for any other driver. */
export async function awslogsTarget(store: Store, task: TaskRecord, container: string | undefined): Promise<{ scope: Scope; group: string; stream: string } | undefined> {
  const arn = parseArn(task.taskDefinitionArn);
  const ref = parseTaskDefinitionRef(task.taskDefinitionArn);
  if (!arn || ref.revision === undefined) return undefined;
  const td = await getJson<TaskDefinitionRecord>(store, keys.taskDefinition({ account: arn.account, region: arn.region }, ref.family, ref.revision));
  if (!td) return undefined;
  const defs = effectiveContainers(td.value, task.overrides);
  const def = container === undefined ? defs[0] : defs.find((c) => c.name === container);
  const options = def && awslogsOf(def.logConfiguration);
  if (!def || !options) return undefined;
  let config;
  try {
    config = parseAwslogsOptions(options, arn.region);
  } catch {
    return undefined; // its start failed on these options: it has no stream
  }
  const taskId = task.taskArn.slice(task.taskArn.lastIndexOf('/') + 1);
  const runtimeId = task.containers.find((c) => c.name === def.name)?.runtimeId ?? '';
  return { scope: { account: parseArn(task.taskArn)!.account, region: config.region }, group: config.group, stream: streamName(config.prefix, def.name, taskId, runtimeId) };
}

/**
 * Writes the stream's events; with `follow`, goes on until the task is STOPPED (and its
 * last events read) or `closed()` says the caller went away.
 */
export async function writeAwslogs(reader: StreamReader, target: { scope: Scope; group: string; stream: string }, follow: boolean, stopped: () => Promise<boolean>, closed: () => boolean, write: (text: string) => void): Promise<void> {
  let token: string | undefined;
  for (;;) {
    if (closed()) return;
    const wasStopped = follow ? await stopped() : true;
    const page = await reader.read(target.scope, Date.now(), target.group, target.stream, token);
    token = page.next;
    let text = '';
    for (const e of page.events) {
      const at = new Date(e.timestamp).toISOString();
      for (const line of e.message.split('\n')) text += `${at} awslogs F ${line}\n`;
    }
    if (text) write(text);
    if (page.events.length > 0) continue;
    if (!follow || wasStopped) return;
    await new Promise((r) => setTimeout(r, FOLLOW_POLL_MS));
  }
}
