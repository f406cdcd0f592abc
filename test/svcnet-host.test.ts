// Touches the host: run under flock /tmp/berth-host.lock (bin/test runs host tests one at a time).
// Service virtual IPs and cluster DNS on a real node: `berth up` with its agent, an EKS cluster
// whose node group claims the agent's host, two awsvpc ECS tasks running busybox httpd standing
// in for pods, and a Service with an EndpointSlice naming their addresses made with kubectl.
// From a third task: the cluster IP reaches both over several connections, the cluster DNS
// address answers the Service's names (A, SRV, NXDOMAIN); the node port answers on the host's
// address; removing an endpoint stops traffic to it. At the end the agent's service table is
// gone and the host clean.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { networkInterfaces } from 'node:os';
import { startEksHostCluster, type EksHostCluster } from './support/eks-host-cluster.ts';
import { run } from './support/run.ts';
import { until } from './support/until.ts';

let k: EksHostCluster;
const DNS_IP = '10.100.0.10';
const SVC_TABLE = 'berth_svc';
const aws = <T = Record<string, unknown>>(...args: string[]): Promise<T> => k.aws<T>(...args);
const kubectl = (args: string[], input?: string): Promise<string> => k.kubectl(args, input);
const exec = async (task: string, ...cmd: string[]) => {
  const r = await k.berthCli('exec', task, '--endpoint', k.berth.endpoint, '--', ...cmd);
  return { code: r.code, out: r.stdout + r.stderr };
};
const svcTable = async () => (await run('nft', ['list', 'table', 'ip', SVC_TABLE])).stdout;

interface Task { taskArn: string; attachments: { details: { name: string; value: string }[] }[] }
const taskIp = (t: Task) => t.attachments[0]!.details.find((d) => d.name === 'privateIPv4Address')!.value;
const AWSVPC = ['--network-configuration', 'awsvpcConfiguration={subnets=[subnet-berth]}'];

async function runTask(family: string, name?: string): Promise<Task> {
  const overrides = name ? ['--overrides', JSON.stringify({ containerOverrides: [{ name: 'main', environment: [{ name: 'NAME', value: name }] }] })] : [];
  const arn = (await aws<{ tasks: Task[] }>('ecs', 'run-task', '--task-definition', family, ...AWSVPC, ...overrides)).tasks[0]!.taskArn;
  await aws('ecs', 'wait', 'tasks-running', '--tasks', arn);
  return (await aws<{ tasks: Task[] }>('ecs', 'describe-tasks', '--tasks', arn)).tasks[0]!;
}

const service = (endpointIps: string[]) => JSON.stringify({
  apiVersion: 'v1', kind: 'List', items: [
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'default' }, spec: { type: 'NodePort', ports: [{ name: 'http', port: 80, targetPort: 80, nodePort: 30080 }] } },
    { apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { name: 'web-1', namespace: 'default', labels: { 'kubernetes.io/service-name': 'web' } },
      addressType: 'IPv4', ports: [{ name: 'http', port: 80, protocol: 'TCP' }], endpoints: endpointIps.map((ip) => ({ addresses: [ip], conditions: { ready: true } })) },
  ],
});

/**
 * Bodies of `count` requests to `ip`:80 from the client task, each a new connection. busybox
 * nc, not wget: the sample busybox's wget ended in a segmentation fault in this task.
 */
async function bodies(client: string, ip: string, count: number): Promise<string[]> {
  const one = `r=$(printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 3 ${ip} 80 | tail -n 1); echo "\${r:-FAILED}"`;
  const r = await exec(client, 'sh', '-c', `for i in $(seq ${count}); do ${one}; done`);
  assert.equal(r.code, 0, r.out);
  return r.out.trim().split('\n').map((l) => l.trim());
}

let a: Task, b: Task, client: Task;
let clusterIP: string;

before(async () => {
  k = await startEksHostCluster();
  await aws('ecs', 'register-task-definition', '--family', 'web', '--network-mode', 'awsvpc', '--container-definitions', JSON.stringify([{
    name: 'main', image: 'busybox', memory: 32, stopTimeout: 2, portMappings: [{ containerPort: 80 }],
    command: ['sh', '-c', 'mkdir -p /www && echo "$NAME" > /www/index.html && exec httpd -f -p 80 -h /www'],
  }]));
  await aws('ecs', 'register-task-definition', '--family', 'client', '--network-mode', 'awsvpc', '--container-definitions', JSON.stringify([{
    name: 'main', image: 'busybox', memory: 32, stopTimeout: 2, command: ['sleep', '3600'],
  }]));
  [a, b, client] = [await runTask('web', 'a'), await runTask('web', 'b'), await runTask('client')];
  await kubectl(['apply', '--server-side', '--validate=false', '-f', '-'], service([taskIp(a), taskIp(b)]));
  clusterIP = (await kubectl(['get', 'service', 'web', '-o', 'jsonpath={.spec.clusterIP}'])).trim();
  assert.match(clusterIP, /^10\.100\.\d+\.\d+$/);
});

after(async () => {
  if (!k) return;
  const arns = (await aws<{ taskArns: string[] }>('ecs', 'list-tasks').catch(() => ({ taskArns: [] }))).taskArns;
  for (const t of arns) await aws('ecs', 'stop-task', '--task', t).catch(() => undefined);
  if (arns.length) await aws('ecs', 'wait', 'tasks-stopped', '--tasks', ...arns).catch(() => undefined);
  await k.stop();
});

test('the node gets the table: the cluster IP reaches both endpoints from another task', async () => {
  await until('the service in the node table', async () => ((await svcTable()).includes(clusterIP) ? true : undefined), 30_000);
  const seen = await bodies(client.taskArn, clusterIP, 16);
  assert.deepEqual(new Set(seen), new Set(['a', 'b']), `16 connections reach both endpoints: ${seen.join(',')}`);
});

test('the cluster DNS address answers the Service by name, its SRV record, and NXDOMAIN for a name that is not', async () => {
  const fqdn = await exec(client.taskArn, 'nslookup', 'web.default.svc.cluster.local', DNS_IP);
  assert.equal(fqdn.code, 0, fqdn.out);
  assert.match(fqdn.out, new RegExp(`Address:\\s+${clusterIP.replaceAll('.', '\\.')}`));
  const srv = await exec(client.taskArn, 'nslookup', '-type=SRV', '_http._tcp.web.default.svc.cluster.local', DNS_IP);
  assert.equal(srv.code, 0, srv.out);
  assert.match(srv.out, /web\.default\.svc\.cluster\.local/);
  assert.match(srv.out, /\b80\b/);
  const dns = await exec(client.taskArn, 'nslookup', 'kube-dns.kube-system.svc.cluster.local', DNS_IP);
  assert.match(dns.out, new RegExp(`Address:\\s+${DNS_IP.replaceAll('.', '\\.')}`), 'the kube-dns Service the controllers keep');
  const missing = await exec(client.taskArn, 'nslookup', 'nope.default.svc.cluster.local', DNS_IP);
  assert.notEqual(missing.code, 0);
  assert.match(missing.out, /NXDOMAIN/);
});

test("the node port answers on the host's address", async () => {
  const hostAddress = Object.entries(networkInterfaces()).filter(([name]) => !name.startsWith('berth') && name !== 'lo')
    .flatMap(([, list]) => list ?? []).find((i) => i.family === 'IPv4' && !i.internal)?.address;
  assert.ok(hostAddress, 'the host has an address');
  const seen = new Set<string>();
  for (let i = 0; i < 12; i++) seen.add((await (await fetch(`http://${hostAddress}:30080/`, { headers: { connection: 'close' } })).text()).trim());
  assert.deepEqual(seen, new Set(['a', 'b']));
});

test('removing an endpoint stops traffic to it', async () => {
  await kubectl(['apply', '--server-side', '--validate=false', '-f', '-'], service([taskIp(b)]));
  await until('a gone from the node table', async () => (!(await svcTable()).includes(taskIp(a)) ? true : undefined), 30_000);
  const seen = await bodies(client.taskArn, clusterIP, 12);
  assert.deepEqual(new Set(seen), new Set(['b']));
});

test("the agent's service table goes when it stops", async () => {
  const arns = (await aws<{ taskArns: string[] }>('ecs', 'list-tasks')).taskArns;
  for (const t of arns) await aws('ecs', 'stop-task', '--task', t);
  await aws('ecs', 'wait', 'tasks-stopped', '--tasks', ...arns);
  await k.stopBerth();
  const listed = await run('nft', ['list', 'table', 'ip', SVC_TABLE]);
  assert.notEqual(listed.code, 0, `no ${SVC_TABLE} table left: ${listed.stdout}`);
});
