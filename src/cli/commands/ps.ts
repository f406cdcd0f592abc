import { ISOLATION_ATTRIBUTE } from '../../core/ecs/fargate.ts';
import type { TaskView } from '../../core/ecs/task.ts';
import { isPodTask, POD_GROUP_PREFIX } from '../../core/kube/pod/hosting.ts';
import { apiClient } from '../api-client.ts';
import { parse } from '../args.ts';
import { defaultEndpoint } from '../defaults.ts';
import { all, table } from '../listing.ts';
import { listServices, serviceTable } from './service.ts';
import type { Command } from './command.ts';

const ECS = 'AmazonEC2ContainerServiceV20141113';

export const ps: Command = {
  help: `Usage: berth ps [--cluster NAME] [--all] [--endpoint URL] [--output json]

Lists the tasks of every cluster (or of --cluster): id, cluster, the service a task
belongs to (or the Kubernetes pod it is: 'pod NAMESPACE/NAME'), task definition, status, published ports, the boundary its containers got
(gvisor: a sandbox with its own kernel; userns; container: the host's kernel) and age. Stopped tasks are shown
with --all. The services of those clusters follow, as 'berth service' lists them.

Options:
  --cluster NAME   only this cluster
  --all            include stopped tasks (ECS keeps them for an hour)
  --endpoint URL   Berth's endpoint (default $BERTH_ENDPOINT or http://127.0.0.1:8700)
  --output json    print the tasks and services as DescribeTasks and DescribeServices return them
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
    const services = await listServices(api, values.cluster);
    if (values.output === 'json') {
      process.stdout.write(`${JSON.stringify({ tasks, services }, null, 2)}\n`);
      return 0;
    }
    const rows = tasks.map((t) => [
      t.taskArn.split('/').pop()!.slice(0, 12),
      t.clusterArn.split('/').pop()!,
      owner(t),
      t.taskDefinitionArn.split('/').pop() || '-',
      t.lastStatus === 'STOPPED' ? `STOPPED (${t.stopCode ?? 'exited'})` : t.lastStatus,
      ports(t),
      isolation(t),
      age(Date.now() / 1000 - t.createdAt),
    ]);
    process.stdout.write(table(['TASK', 'CLUSTER', 'SERVICE OR POD', 'TASK DEFINITION', 'STATUS', 'PORTS', 'ISOLATION', 'AGE'], rows));
    if (services.length > 0) process.stdout.write(`\n${serviceTable(services)}`);
    return 0;
  },
};


function ports(t: TaskView): string {
  // A container the agent has not reported yet has no networkBindings member.
  const bindings = t.containers.flatMap((c) => (c.networkBindings ?? []).map((b) => `${b.hostPort}->${b.containerPort}/${b.protocol}`));
  const ip = t.attachments.flatMap((a) => a.details).find((d) => d.name === 'privateIPv4Address')?.value;
  return [...(ip ? [ip] : []), ...bindings].join(', ') || '-';
}

/** What the task belongs to: its service's name, `pod <namespace>/<name>` for a pod (which has no task definition), else '-'. */
export function owner(t: Pick<TaskView, 'group' | 'taskDefinitionArn'>): string {
  if (t.group.startsWith('service:')) return t.group.slice('service:'.length);
  if (isPodTask(t)) return `pod ${t.group.slice(POD_GROUP_PREFIX.length)}`;
  return '-';
}

/** The boundary the agent reported (the task's view carries it as an attribute); '-' until it has. */
export function isolation(t: Pick<TaskView, 'attributes'>): string {
  return t.attributes?.find((a) => a.name === ISOLATION_ATTRIBUTE)?.value ?? '-';
}

function age(seconds: number): string {
  if (seconds < 60) return `${Math.floor(seconds)}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)}h`;
  return `${Math.floor(seconds / 86400)}d`;
}
