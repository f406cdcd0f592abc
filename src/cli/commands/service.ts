import type { ServiceView } from '../../core/ecs/service-view.ts';
import { apiClient } from '../api-client.ts';
import { parse } from '../args.ts';
import { CliError } from '../cli-error.ts';
import { defaultEndpoint } from '../defaults.ts';
import { all, table } from '../listing.ts';
import type { Command } from './command.ts';

const ECS = 'AmazonEC2ContainerServiceV20141113';
/** DescribeServices takes at most 10 services per call (ECS API reference). */
const DESCRIBE_BATCH = 10;

export const service: Command = {
  help: `Usage: berth service [ls] [--cluster NAME] [--endpoint URL] [--output json]

Lists the services of every cluster (or of --cluster): name, cluster, status, desired,
running and pending task counts, the task definition, and the newest event.
Create and change services with the aws CLI (aws ecs create-service, update-service).

Options:
  --cluster NAME   only this cluster
  --endpoint URL   Berth's endpoint (default $BERTH_ENDPOINT or http://127.0.0.1:8700)
  --output json    print the services as DescribeServices returns them
`,
  async run(argv) {
    const { values, positionals } = parse('service', argv, { cluster: { type: 'string' }, endpoint: { type: 'string' }, output: { type: 'string' } }, true);
    if (positionals.length > 1 || (positionals[0] !== undefined && positionals[0] !== 'ls')) {
      throw new CliError(`unknown service action '${positionals.join(' ')}'. Run 'berth service --help'.`, 2);
    }
    const services = await listServices(apiClient(values.endpoint ?? defaultEndpoint()), values.cluster);
    if (values.output === 'json') {
      process.stdout.write(`${JSON.stringify({ services }, null, 2)}\n`);
      return 0;
    }
    process.stdout.write(serviceTable(services));
    return 0;
  },
};

export function serviceTable(services: readonly ServiceView[]): string {
  const rows = services.map((s) => [
    s.serviceName,
    s.clusterArn.split('/').pop()!,
    s.status,
    String(s.desiredCount),
    String(s.runningCount),
    String(s.pendingCount),
    // An EXTERNAL service without a primary task set has none.
    s.taskDefinition?.split('/').pop() ?? '-',
    s.events[0]?.message ?? '-',
  ]);
  return table(['SERVICE', 'CLUSTER', 'STATUS', 'DESIRED', 'RUNNING', 'PENDING', 'TASK DEFINITION', 'LAST EVENT'], rows);
}

/** Every listed (ACTIVE) service of the clusters asked for, through ListServices and DescribeServices. */
export async function listServices(api: ReturnType<typeof apiClient>, cluster: string | undefined): Promise<ServiceView[]> {
  const clusters = cluster ? [cluster] : await all((t) => api.call<{ clusterArns: string[]; nextToken?: string }>(`${ECS}.ListClusters`, { ...(t && { nextToken: t }) }).then((r) => [r.clusterArns, r.nextToken]));
  const out: ServiceView[] = [];
  for (const c of clusters) {
    const arns = await all((t) => api.call<{ serviceArns: string[]; nextToken?: string }>(`${ECS}.ListServices`, { cluster: c, maxResults: 100, ...(t && { nextToken: t }) }).then((r) => [r.serviceArns, r.nextToken]));
    for (let i = 0; i < arns.length; i += DESCRIBE_BATCH) {
      out.push(...(await api.call<{ services: ServiceView[] }>(`${ECS}.DescribeServices`, { cluster: c, services: arns.slice(i, i + DESCRIBE_BATCH) })).services);
    }
  }
  return out.sort((a, b) => a.serviceName.localeCompare(b.serviceName));
}
