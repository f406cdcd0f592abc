import type { TaskView } from '../../core/ecs/task.ts';
import { apiClient } from '../api-client.ts';
import { parse } from '../args.ts';
import { defaultEndpoint } from '../defaults.ts';
import type { Command } from './command.ts';

const ECS = 'AmazonEC2ContainerServiceV20141113';

export const ps: Command = {
  help: `Usage: berth ps [--cluster NAME] [--all] [--endpoint URL] [--output json]

Lists the tasks of every cluster (or of --cluster): id, cluster, the service a task
belongs to, task definition, status, published ports and age. Stopped tasks are shown
with --all. 'berth service' lists the services themselves.

Options:
  --cluster NAME   only this cluster
  --all            include stopped tasks (ECS keeps them for an hour)
  --endpoint URL   Berth's endpoint (default $BERTH_ENDPOINT or http://127.0.0.1:8700)
  --output json    print the tasks as DescribeTasks returns them
`,
  async run(argv) {
    const { values } = parse('ps', argv, { cluster: { type: 'string' }, all: { type: 'boolean' }, endpoint: { type: 'string' }, output: { type: 'string' } });
    const api = apiClient(values.endpoint ?? defaultEndpoint());
    const clusters = values.cluster ? [values.cluster] : await all((t) => api.call<{ clusterArns: string[]; nextToken?: string }>(`${ECS}.ListClusters`, { ...(t && { nextToken: t }) }).then((r) => [r.clusterArns, r.nextToken]));
    const tasks: TaskView[] = [];
    for (const cluster of clusters) {
      for (const desiredStatus of values.all ? ['RUNNING', 'STOPPED'] : ['RUNNING']) {
        const arns = await all((t) => api.call<{ taskArns: string[]; nextToken?: string }>(`${ECS}.ListTasks`, { cluster, desiredStatus, ...(t && { nextToken: t }) }).then((r) => [r.taskArns, r.nextToken]));
        for (let i = 0; i < arns.length; i += 100) {
          tasks.push(...(await api.call<{ tasks: TaskView[] }>(`${ECS}.DescribeTasks`, { cluster, tasks: arns.slice(i, i + 100) })).tasks);
        }
      }
    }
    tasks.sort((a, b) => b.createdAt - a.createdAt);
    if (values.output === 'json') {
      process.stdout.write(`${JSON.stringify({ tasks }, null, 2)}\n`);
      return 0;
    }
    const rows = tasks.map((t) => [
      t.taskArn.split('/').pop()!.slice(0, 12),
      t.clusterArn.split('/').pop()!,
      t.group.startsWith('service:') ? t.group.slice('service:'.length) : '-',
      t.taskDefinitionArn.split('/').pop()!,
      t.lastStatus === 'STOPPED' ? `STOPPED (${t.stopCode ?? 'exited'})` : t.lastStatus,
      ports(t),
      age(Date.now() / 1000 - t.createdAt),
    ]);
    process.stdout.write(table(['TASK', 'CLUSTER', 'SERVICE', 'TASK DEFINITION', 'STATUS', 'PORTS', 'AGE'], rows));
    return 0;
  },
};

export async function all(page: (token: string | undefined) => Promise<[string[], string | undefined]>): Promise<string[]> {
  const out: string[] = [];
  let token: string | undefined;
  do {
    const [items, next] = await page(token);
    out.push(...items);
    token = next;
  } while (token);
  return out;
}

function ports(t: TaskView): string {
  // A container the agent has not reported yet has no networkBindings member.
  const bindings = t.containers.flatMap((c) => (c.networkBindings ?? []).map((b) => `${b.hostPort}->${b.containerPort}/${b.protocol}`));
  const ip = t.attachments.flatMap((a) => a.details).find((d) => d.name === 'privateIPv4Address')?.value;
  return [...(ip ? [ip] : []), ...bindings].join(', ') || '-';
}

function age(seconds: number): string {
  if (seconds < 60) return `${Math.floor(seconds)}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)}h`;
  return `${Math.floor(seconds / 86400)}d`;
}

export function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(head), ...rows.map(line)].join('\n') + '\n';
}
