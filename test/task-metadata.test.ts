// Issue 16 item 1 as it will be tried: from inside running tasks (EC2 bridge, EC2 awsvpc and
// Fargate in its gVisor sandbox), busybox's wget reads ECS_CONTAINER_METADATA_URI_V4 and
// ECS_CONTAINER_METADATA_URI: AWS's shapes and the task's own values (TaskARN as RunTask
// answered it, Limits, Networks), stats with real numbers from the cgroups; a task asking
// with another task's endpoint id is refused.
// Host-touching: run under flock /tmp/berth-host.lock.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AWS_CLIS, aws } from './support/aws-cli.ts';
import type { BerthProcess } from './support/berth.ts';
import { startBerthWithSamples, stopBerthAndTasks } from './support/berth-with-agent.ts';
import { execInTask, runTaskRunning } from './support/task-shell.ts';

let berth: BerthProcess;
const cli = AWS_CLIS[1];
const ecs = <T = Record<string, unknown>>(...args: string[]) => aws<T>(cli, berth.endpoint, ['ecs', ...args]);
const exec = (task: string, ...cmd: string[]) => execInTask(berth.endpoint, task, ...cmd);
/** wget inside the task: the body, or the failure. */
async function get(task: string, url: string): Promise<{ code: number; body: string }> {
  const r = await exec(task, 'sh', '-c', `wget -q -O - ${url} 2>&1`);
  return { code: r.code, body: r.out };
}
async function getJson<T = Record<string, unknown>>(task: string, url: string): Promise<T> {
  const r = await get(task, url);
  assert.equal(r.code, 0, `${url}: ${r.body}`);
  return JSON.parse(r.body) as T;
}
const envOf = async (task: string, name: string) => (await exec(task, 'sh', '-c', `echo $${name}`)).out;

const NETWORK = 'awsvpcConfiguration={subnets=[subnet-berth],assignPublicIp=DISABLED}';
const SLEEP = ['sh', '-c', 'while :; do sleep 1; done'];

const runTask = (family: string, extra: string[] = []) => runTaskRunning(ecs, family, extra);

before(async () => {
  berth = await startBerthWithSamples();
  await ecs('register-task-definition', '--cli-input-json', JSON.stringify({
    family: 'md-bridge', networkMode: 'bridge',
    containerDefinitions: [{ name: 'app', image: 'berth/sleep', cpu: 128, memory: 64, command: SLEEP, stopTimeout: 1, portMappings: [{ containerPort: 8080, hostPort: 0 }] }],
  }));
  await ecs('register-task-definition', '--cli-input-json', JSON.stringify({
    family: 'md-vpc', networkMode: 'awsvpc', cpu: '256', memory: '512',
    containerDefinitions: [{ name: 'app', image: 'berth/sleep', command: SLEEP, stopTimeout: 1 }, { name: 'side', image: 'berth/sleep', command: SLEEP, stopTimeout: 1, essential: false }],
  }));
  await ecs('register-task-definition', '--cli-input-json', JSON.stringify({
    family: 'md-host', networkMode: 'host',
    containerDefinitions: [{ name: 'app', image: 'berth/sleep', memory: 64, command: SLEEP, stopTimeout: 1 }],
  }));
  await ecs('register-task-definition', '--cli-input-json', JSON.stringify({
    family: 'md-fargate', networkMode: 'awsvpc', requiresCompatibilities: ['FARGATE'], cpu: '256', memory: '512',
    containerDefinitions: [{ name: 'app', image: 'berth/sleep', command: SLEEP, stopTimeout: 1 }],
  }));
});

after(async () => {
  await stopBerthAndTasks(berth, ecs, ['md-svc']);
});

/** A PUT from inside the task (busybox wget only GETs and POSTs): raw HTTP over nc. */
async function put(task: string, url: string, body: string): Promise<{ status: string; json: Record<string, unknown> }> {
  const u = new URL(url);
  const request = `PUT ${u.pathname} HTTP/1.0\r\nHost: ${u.host}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
  // busybox nc stops at the end of its input: keep it open while the answer comes.
  const r = await exec(task, 'sh', '-c', `(printf '${request}'; sleep 1) | nc ${u.hostname} ${u.port || 80}`);
  assert.equal(r.code, 0, r.err);
  const [head, ...rest] = r.out.split('\r\n\r\n');
  return { status: head!.split(' ')[1]!, json: JSON.parse(rest.join('\r\n\r\n')) as Record<string, unknown> };
}

describe('task metadata endpoint', () => {
  let bridge: string;
  let vpc: string;

  test('bridge: v4 container and task metadata with AWS\'s fields and the task\'s own values', async () => {
    bridge = await runTask('md-bridge');
    const uri = await envOf(bridge, 'ECS_CONTAINER_METADATA_URI_V4');
    assert.match(uri, /^http:\/\/169\.254\.170\.2\/v4\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    assert.equal(await envOf(bridge, 'ECS_CONTAINER_METADATA_URI'), uri.replace('/v4/', '/v3/'));
    assert.equal(await envOf(bridge, 'ECS_AGENT_URI'), uri.replace('/v4/', '/api/'));
    const c = await getJson(bridge, uri);
    assert.equal(c.Name, 'app');
    assert.equal(c.Image, 'berth/sleep');
    assert.match(String(c.ImageID), /^sha256:[0-9a-f]{64}$/);
    assert.deepEqual([c.DesiredStatus, c.KnownStatus, c.Type], ['RUNNING', 'RUNNING', 'NORMAL']);
    assert.deepEqual(c.Limits, { CPU: 128, Memory: 64 });
    assert.equal((c.Labels as Record<string, string>)['com.amazonaws.ecs.task-arn'], bridge);
    assert.equal((c.Labels as Record<string, string>)['com.amazonaws.ecs.container-name'], 'app');
    assert.match(String(c.ContainerARN), /^arn:aws:ecs:us-east-1:\d{12}:container\/default\//);
    assert.ok(!Number.isNaN(Date.parse(String(c.StartedAt))));
    const nets = c.Networks as { NetworkMode: string; IPv4Addresses: string[] }[];
    assert.equal(nets[0]!.NetworkMode, 'bridge');
    assert.match(nets[0]!.IPv4Addresses[0]!, /^\d+\.\d+\.\d+\.\d+$/);
    const ports = c.Ports as { ContainerPort: number; HostPort: number; Protocol: string }[];
    assert.equal(ports[0]!.ContainerPort, 8080);
    assert.ok(ports[0]!.HostPort >= 32768, 'the dynamic host port the task got');
    const t = await getJson(bridge, `${uri}/task`);
    assert.equal(t.TaskARN, bridge);
    assert.deepEqual([t.Cluster, t.Family, t.Revision, t.LaunchType, t.DesiredStatus, t.KnownStatus], ['default', 'md-bridge', '1', 'EC2', 'RUNNING', 'RUNNING']);
    assert.equal(t.Limits, undefined, 'no task-level size: no Limits, as AWS omits it');
    assert.ok(!Number.isNaN(Date.parse(String(t.PullStartedAt))) && !Number.isNaN(Date.parse(String(t.PullStoppedAt))));
    assert.match(String(t.VPCID), /^vpc-[0-9a-f]{17}$/);
    const drift = t.ClockDrift as { ClockErrorBound: number; ReferenceTimestamp: string; ClockSynchronizationStatus: string };
    assert.equal(typeof drift.ClockErrorBound, 'number');
    assert.ok(!Number.isNaN(Date.parse(drift.ReferenceTimestamp)));
    assert.match(drift.ClockSynchronizationStatus, /^(NOT_)?SYNCHRONIZED$/);
    assert.equal((t.Containers as unknown[]).length, 1);
    const v3 = await getJson(bridge, `${uri.replace('/v4/', '/v3/')}/task`);
    assert.equal(v3.TaskARN, bridge);
    assert.equal(v3.LaunchType, undefined, 'v3 has no LaunchType');
  });

  test('bridge: stats with real numbers from the container\'s cgroup and veth, in Docker\'s shape', async () => {
    const uri = await envOf(bridge, 'ECS_CONTAINER_METADATA_URI_V4');
    const s = await getJson<{
      read: string; preread: string; memory_stats: { usage: number; limit: number; stats: Record<string, number> };
      cpu_stats: { cpu_usage: { total_usage: number }; system_cpu_usage: number; online_cpus: number };
      pids_stats: { current: number }; networks: { eth0: { rx_bytes: number; tx_bytes: number } };
    }>(bridge, `${uri}/stats`);
    assert.ok(s.memory_stats.usage > 0, `memory usage ${s.memory_stats.usage}`);
    assert.equal(s.memory_stats.limit, 64 * 1024 * 1024, 'the container\'s hard limit');
    assert.ok(s.cpu_stats.cpu_usage.total_usage > 0);
    assert.ok(s.cpu_stats.system_cpu_usage > 0 && s.cpu_stats.online_cpus > 0);
    assert.ok(s.pids_stats.current >= 1);
    assert.ok(s.networks.eth0.tx_bytes > 0 && s.networks.eth0.rx_bytes > 0, 'the wget itself went over eth0');
    const again = await getJson<{ preread: string; read: string }>(bridge, `${uri}/stats`);
    assert.equal(again.preread, s.read, 'precpu_stats are the previous answer\'s');
    const all = await getJson<Record<string, unknown>>(bridge, `${uri}/task/stats`);
    assert.equal(Object.keys(all).length, 1);
  });

  test('awsvpc: Networks with the ENI\'s details, task Limits in vCPUs, every container listed', async () => {
    vpc = await runTask('md-vpc', ['--network-configuration', NETWORK]);
    const uri = await envOf(vpc, 'ECS_CONTAINER_METADATA_URI_V4');
    const t = await getJson<{ TaskARN: string; Limits: unknown; Containers: { Name: string; Networks: Record<string, unknown>[] }[] }>(vpc, `${uri}/task`);
    assert.equal(t.TaskARN, vpc);
    assert.deepEqual(t.Limits, { CPU: 0.25, Memory: 512 });
    assert.deepEqual(t.Containers.map((c) => c.Name).sort(), ['app', 'side']);
    const described = (await ecs<{ tasks: { attachments: { details: { name: string; value: string }[] }[] }[] }>('describe-tasks', '--tasks', vpc)).tasks[0]!;
    const detail = (n: string) => described.attachments[0]!.details.find((d) => d.name === n)?.value;
    const net = t.Containers[0]!.Networks[0]!;
    assert.deepEqual(
      [net.NetworkMode, net.IPv4Addresses, net.AttachmentIndex, net.MACAddress, net.PrivateDNSName],
      ['awsvpc', [detail('privateIPv4Address')], 0, detail('macAddress'), detail('privateDnsName')],
    );
    assert.match(String(net.IPv4SubnetCIDRBlock), /^\d+\.\d+\.\d+\.\d+\/\d+$/);
    assert.match(String(net.SubnetGatewayIpv4Address), /^\d+\.\d+\.\d+\.1\/\d+$/);
    // Each container has its own id; the side container's names the side container.
    const side = await exec(vpc, 'sh', '-c', 'echo $ECS_CONTAINER_METADATA_URI_V4');
    assert.equal(side.code, 0);
  });

  test('a task asking with another task\'s endpoint id is refused, and so is a made-up id', async () => {
    const other = await envOf(vpc, 'ECS_CONTAINER_METADATA_URI_V4');
    const refused = await get(bridge, `${other}/task`);
    assert.notEqual(refused.code, 0);
    assert.match(refused.body, /404/);
    const madeUp = await get(bridge, 'http://169.254.170.2/v4/00000000-0000-0000-0000-000000000000/task');
    assert.match(madeUp.body, /404/);
    const byTaskId = await get(bridge, `http://169.254.170.2/v4/${vpc.split('/').pop()}/task`);
    assert.match(byTaskId.body, /404/);
  });

  test('taskWithTags: the task\'s answer with its tags and its container instance\'s, as ListTagsForResource has them', async () => {
    const uri = await envOf(bridge, 'ECS_CONTAINER_METADATA_URI_V4');
    const instance = (await ecs<{ tasks: { containerInstanceArn: string }[] }>('describe-tasks', '--tasks', bridge)).tasks[0]!.containerInstanceArn;
    await ecs('tag-resource', '--resource-arn', bridge, '--tags', 'key=team,value=web', 'key=tier,value=front');
    await ecs('tag-resource', '--resource-arn', instance, '--tags', 'key=rack,value=r1');
    const t = await getJson<Record<string, unknown>>(bridge, `${uri}/taskWithTags`);
    assert.equal(t.TaskARN, bridge);
    assert.deepEqual(t.TaskTags, { team: 'web', tier: 'front' });
    assert.deepEqual(t.ContainerInstanceTags, { rack: 'r1' });
    assert.equal(t.Errors, undefined);
    const plain = await getJson<Record<string, unknown>>(bridge, `${uri}/task`);
    assert.deepEqual(Object.keys(t).filter((k) => !(k in plain)).sort(), ['ContainerInstanceTags', 'TaskTags'], 'the task answer plus the two maps');
    const other = await get(vpc, `${uri}/taskWithTags`);
    assert.match(other.body, /404/, 'another task asking with this one\'s id');
  });

  test('host mode: the task reaches its own metadata through its cgroup, and only its own', async () => {
    const host = await runTask('md-host');
    const uri = await envOf(host, 'ECS_CONTAINER_METADATA_URI_V4');
    const t = await getJson<{ TaskARN: string; Containers: { Networks: unknown }[] }>(host, `${uri}/task`);
    assert.equal(t.TaskARN, host);
    assert.deepEqual(t.Containers[0]!.Networks, [{ NetworkMode: 'host' }]);
    const s = await getJson<{ memory_stats: { usage: number } }>(host, `${uri}/stats`);
    assert.ok(s.memory_stats.usage > 0);
    const other = await get(host, `${await envOf(bridge, 'ECS_CONTAINER_METADATA_URI_V4')}/task`);
    assert.match(other.body, /404/, "a bridge task's id from a host-mode task");
    const mine = await get(bridge, `${uri}/task`);
    assert.match(mine.body, /404/, "a host-mode task's id from a bridge task");
    await ecs('stop-task', '--task', host);
  });

  test('Fargate: the gVisor sandbox reaches its metadata; ARN cluster, EphemeralStorageMetrics, stats from the sandbox', async () => {
    const fg = await runTask('md-fargate', ['--launch-type', 'FARGATE', '--network-configuration', NETWORK]);
    const uri = await envOf(fg, 'ECS_CONTAINER_METADATA_URI_V4');
    const t = await getJson<Record<string, unknown>>(fg, `${uri}/task`);
    assert.equal(t.TaskARN, fg);
    assert.match(String(t.Cluster), /^arn:aws:ecs:us-east-1:\d{12}:cluster\/default$/);
    assert.deepEqual([t.LaunchType, t.VPCID, t.ServiceName], ['FARGATE', undefined, undefined]);
    assert.deepEqual(t.Limits, { CPU: 0.25, Memory: 512 });
    assert.match(String(t.AvailabilityZone), /^us-east-1[a-c]$/);
    const eph = t.EphemeralStorageMetrics as { Utilized: number; Reserved: number };
    assert.equal(eph.Reserved, 20 * 1024);
    assert.ok(eph.Utilized >= 0);
    const s = await getJson<{ memory_stats: { usage: number; limit: number } }>(fg, `${uri}/stats`);
    assert.ok(s.memory_stats.usage > 0, `memory usage ${s.memory_stats.usage}`);
    assert.equal(s.memory_stats.limit, 512 * 1024 * 1024, "the task's size bounds the sandbox");
    // A Fargate task has no container instance: its tags only.
    await ecs('tag-resource', '--resource-arn', fg, '--tags', 'key=team,value=batch');
    const tagged = await getJson<Record<string, unknown>>(fg, `${uri}/taskWithTags`);
    assert.deepEqual([tagged.TaskTags, tagged.ContainerInstanceTags, tagged.Errors], [{ team: 'batch' }, undefined, undefined]);
    await ecs('stop-task', '--task', fg);
  });

  test('the scale-in protection endpoint: a service task protects itself, the API and the scheduler agree; a standalone task is refused', async () => {
    await ecs('create-service', '--service-name', 'md-svc', '--task-definition', 'md-bridge', '--desired-count', '1');
    await ecs('wait', 'services-stable', '--services', 'md-svc');
    const [svcTask] = (await ecs<{ taskArns: string[] }>('list-tasks', '--service-name', 'md-svc')).taskArns;
    const agentUri = await envOf(svcTask!, 'ECS_AGENT_URI');
    const on = await put(svcTask!, `${agentUri}/task-protection/v1/state`, '{"ProtectionEnabled":true,"ExpiresInMinutes":60}');
    assert.equal(on.status, '200', JSON.stringify(on.json));
    const p = on.json.protection as { ProtectionEnabled: boolean; TaskArn: string; ExpirationDate: string };
    assert.deepEqual([p.ProtectionEnabled, p.TaskArn], [true, svcTask]);
    const minutes = (Date.parse(p.ExpirationDate) - Date.now()) / 60_000;
    assert.ok(minutes > 58 && minutes <= 60, `expires in ${minutes} minutes`);
    const read = await getJson<{ protection: { ProtectionEnabled: boolean } }>(svcTask!, `${agentUri}/task-protection/v1/state`);
    assert.equal(read.protection.ProtectionEnabled, true);
    const api = await ecs<{ protectedTasks: { taskArn: string; protectionEnabled: boolean }[] }>('get-task-protection', '--cluster', 'default', '--tasks', svcTask!);
    assert.deepEqual(api.protectedTasks.map((t) => [t.taskArn, t.protectionEnabled]), [[svcTask, true]]);
    // Scaled to 0, the service leaves its protected task running.
    await ecs('update-service', '--service', 'md-svc', '--desired-count', '0');
    await new Promise((r) => setTimeout(r, 5000));
    const still = (await ecs<{ tasks: { desiredStatus: string }[] }>('describe-tasks', '--tasks', svcTask!)).tasks[0]!;
    assert.equal(still.desiredStatus, 'RUNNING', 'a protected task is not chosen for scale-in');
    // Protection off (through the API this time): scale-in goes on.
    await ecs('update-task-protection', '--cluster', 'default', '--tasks', svcTask!, '--no-protection-enabled');
    await ecs('wait', 'tasks-stopped', '--tasks', svcTask!);
    // A standalone task cannot be protected: ECS's failure, passed on.
    const refused = await put(bridge, `${await envOf(bridge, 'ECS_AGENT_URI')}/task-protection/v1/state`, '{"ProtectionEnabled":true}');
    assert.equal(refused.status, '200');
    assert.equal((refused.json.failure as { Reason: string }).Reason, 'TASK_NOT_VALID');
    const bad = await put(bridge, `${await envOf(bridge, 'ECS_AGENT_URI')}/task-protection/v1/state`, '{"ProtectionEnabled":true,"ExpiresInMinutes":9999}');
    assert.equal(bad.status, '400');
    assert.equal((bad.json.error as { Code: string }).Code, 'InvalidParameterException');
  });
});
