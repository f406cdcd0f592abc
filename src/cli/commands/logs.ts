import { adminFetch, region } from '../admin-client.ts';
import { parse } from '../args.ts';
import { CliError } from '../cli-error.ts';
import { defaultEndpoint } from '../defaults.ts';
import type { Command } from './command.ts';

export const logs: Command = {
  help: `Usage: berth logs TASK [--container NAME] [--follow] [--cluster NAME] [--endpoint URL]

Prints what a task's container wrote to stdout and stderr, as its agent keeps it on
disk (rotated), or from its log group when its logConfiguration is awslogs. TASK is
the task id (or a unique start of it, as 'berth ps' shows) or ARN.

Options:
  --container NAME  which container (default: the task's first container)
  --follow, -f      keep printing as the container writes
  --timestamps      keep each line's timestamp and stream
  --cluster NAME    the task's cluster (default: default)
  --endpoint URL    Berth's endpoint (default $BERTH_ENDPOINT or http://127.0.0.1:8700)

A Berth on another host needs its join token: set BERTH_TOKEN ('berth token' there shows it).
`,
  async run(argv) {
    const { values, positionals } = parse('logs', argv, {
      container: { type: 'string' }, follow: { type: 'boolean', short: 'f' }, timestamps: { type: 'boolean' },
      cluster: { type: 'string' }, endpoint: { type: 'string' },
    }, true);
    if (positionals.length !== 1) throw new CliError("usage: berth logs TASK. Run 'berth logs --help'.", 2);
    const endpoint = values.endpoint ?? defaultEndpoint();
    const task = await resolveTaskId(endpoint, positionals[0]!, values.cluster);
    const query = new URLSearchParams({ task });
    if (values.cluster) query.set('cluster', values.cluster);
    if (values.container) query.set('container', values.container);
    if (values.follow) query.set('follow', '1');
    query.set('region', region());
    const res = await adminFetch(endpoint, `/_berth/tasks/logs?${query}`);
    const decoder = new TextDecoder();
    let partial = '';
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      const lines = (partial + decoder.decode(chunk, { stream: true })).split('\n');
      partial = lines.pop()!;
      for (const line of lines) process.stdout.write(`${values.timestamps ? line : stripPrefix(line)}\n`);
    }
    if (partial) process.stdout.write(values.timestamps ? partial : stripPrefix(partial));
    return 0;
  },
};

/**
 * k8s-file lines are "<time> <stream> <F|P> <text>" (stream `awslogs` for a container whose
 * lines come from its log group): show just the text, as `docker logs` does.
 */
function stripPrefix(line: string): string {
  const m = /^\S+ (stdout|stderr|awslogs) [FP] (.*)$/.exec(line);
  return m ? m[2]! : line;
}

/** Accepts an id prefix as `berth ps` prints it, like git does for commits. */
export async function resolveTaskId(endpoint: string, ref: string, cluster: string | undefined): Promise<string> {
  if (/^[a-f0-9]{32}$/.test(ref) || ref.startsWith('arn:')) return ref;
  if (!/^[a-f0-9]{4,31}$/.test(ref)) throw new CliError(`'${ref}' is not a task id: give the id (or its first characters) or the ARN, as 'berth ps' shows.`, 2);
  const { apiClient } = await import('../api-client.ts');
  const api = apiClient(endpoint);
  const found: string[] = [];
  for (const desiredStatus of ['RUNNING', 'STOPPED']) {
    let nextToken: string | undefined;
    do {
      const page = await api.call<{ taskArns: string[]; nextToken?: string }>('AmazonEC2ContainerServiceV20141113.ListTasks', { ...(cluster && { cluster }), desiredStatus, ...(nextToken && { nextToken }) });
      found.push(...page.taskArns.filter((a) => a.split('/').pop()!.startsWith(ref)));
      nextToken = page.nextToken;
    } while (nextToken);
  }
  if (found.length === 0) throw new CliError(`no task id starts with '${ref}'${cluster ? ` in cluster ${cluster}` : ''}: see 'berth ps --all'.`);
  if (found.length > 1) throw new CliError(`'${ref}' starts ${found.length} task ids: give more of it.`);
  return found[0]!;
}
