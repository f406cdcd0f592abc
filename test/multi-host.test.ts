// `berth up --hosts 3` as a user runs it (as root, under flock /tmp/berth-host.lock): three
// container instances in three zones, a bridge task with a published port on each, reached
// from the machine at each host's address; `berth host kill` loses a host and `berth host
// start` brings it back; stopping `berth up` leaves nothing of the simulated hosts behind.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DISCONNECT_GRACE_MS } from '../src/agent/protocol.ts';
import { HOSTS_NETWORK, HOSTS_RUN_ROOT } from '../src/hosts/layout.ts';
import { ensureHostsBridge } from '../src/hosts/machine.ts';
import { AWS_CLIS, aws } from './support/aws-cli.ts';
import { ROOT, startBerth, type BerthProcess } from './support/berth.ts';
import { until } from './support/until.ts';
import { cleanupHost } from './support/host-cleanup.ts';
import { run } from './support/run.ts';

let berth: BerthProcess;
const cli = AWS_CLIS[1];
const ecs = <T = Record<string, unknown>>(...args: string[]) => aws<T>(cli, berth.endpoint, ['ecs', ...args]);
const berthCli = (...args: string[]) => run(process.execPath, [join(ROOT, 'src/cli/main.ts'), ...args]);
const hostCmd = (...args: string[]) => berthCli('host', ...args, '--data-dir', berth.dataDir);

interface Instance { containerInstanceArn: string; agentConnected: boolean; attributes: { name: string; value?: string }[] }
interface Task { taskArn: string; lastStatus: string; containerInstanceArn: string; containers: { networkBindings: { hostPort: number }[] }[] }
interface HostRow { name: string; state: string; address: string; zone: string; type: string; pid: string; arn: string; pool: string }

async function hostList(): Promise<HostRow[]> {
  const r = await hostCmd('ls');
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.trim().split('\n').slice(1).map((l) => {
    const [name, state, address, zone, type, pid, arn, pool] = l.split(/\s+/) as [string, string, string, string, string, string, string, string];
    return { name, state, address, zone, type, pid, arn, pool };
  });
}

const instances = async () => {
  const arns = (await ecs<{ containerInstanceArns: string[] }>('list-container-instances')).containerInstanceArns;
  return (await ecs<{ containerInstances: Instance[] }>('describe-container-instances', '--container-instances', ...arns)).containerInstances;
};
const zoneOf = (i: Instance) => i.attributes.find((a) => a.name === 'ecs.availability-zone')?.value;

/** Every process whose command line holds `needle`. */
function processesWith(needle: string): number[] {
  return readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
    try { return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(needle); } catch { return false; }
  }).map(Number);
}
const netnsNames = () => (existsSync('/run/netns') ? readdirSync('/run/netns') : []);
const hostNamespaces = () => netnsNames().filter((n) => /^(bhost-|bh\d+-)/.test(n));
const mountsUnder = (dir: string) => readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.split(' ')[4]?.startsWith(dir));


/** `berth up` answers its health check before its hosts have joined; `berth host` answers once they have. */
const hostsUp = () => until('berth host ls to answer', async () => ((await hostCmd('ls')).code === 0 ? true : undefined), 90_000)
  .catch((e: Error) => { throw new Error(`${e.message}; berth up's log ends:\n${berth.log().split('\n').slice(-40).join('\n')}`); });

before(async () => {
  await cleanupHost();
  berth = await startBerth(['--hosts', '3', '--instance-types', 't3.small,m5.large'], { agent: true });
  await hostsUp();
  const samples = await berthCli('image', 'samples', '--endpoint', berth.endpoint);
  assert.equal(samples.code, 0, samples.stderr);
});

after(async () => {
  const arns = (await ecs<{ taskArns: string[] }>('list-tasks').catch(() => ({ taskArns: [] }))).taskArns;
  for (const t of arns) await ecs('stop-task', '--task', t).catch(() => undefined);
  await berth.stop();
  await cleanupHost();
});

describe('berth up --hosts 3', () => {
  const tasks = new Map<string, Task>();

  test('three container instances, one per host, in three zones, with the instance types given in turn', async () => {
    const hosts = await hostList();
    assert.deepEqual(hosts.map((h) => [h.name, h.state, h.address, h.zone, h.type]), [
      ['host-1', 'machine', `${HOSTS_NETWORK.prefix}.1`, 'us-east-1a', 't3.small'],
      ['host-2', 'running', `${HOSTS_NETWORK.prefix}.2`, 'us-east-1b', 'm5.large'],
      ['host-3', 'running', `${HOSTS_NETWORK.prefix}.3`, 'us-east-1c', 't3.small'],
    ]);
    const list = await instances();
    assert.equal(list.length, 3);
    assert.deepEqual(list.map(zoneOf).sort(), ['us-east-1a', 'us-east-1b', 'us-east-1c']);
    const typeOf = (i: Instance) => i.attributes.find((a) => a.name === 'ecs.instance-type')?.value;
    assert.deepEqual(Object.fromEntries(list.map((i) => [zoneOf(i), typeOf(i)])), { 'us-east-1a': 't3.small', 'us-east-1b': 'm5.large', 'us-east-1c': 't3.small' });
    assert.ok(list.every((i) => i.agentConnected));
    assert.deepEqual(list.map((i) => i.containerInstanceArn).sort(), hosts.map((h) => h.arn).sort());
    // Each host is a process of its own in a namespace of its own.
    assert.deepEqual(hostNamespaces().sort(), ['bhost-2', 'bhost-3']);
    assert.equal(processesWith('--host-index').length, 2);
  });

  test("the machine's address on the hosts bridge answers the machine and the hosts, not a neighbour that routes to it", async () => {
    // A neighbour: a namespace on a link of its own to the machine, routing the hosts network through it.
    const ns = 'bmh-neighbour';
    const health = `http://${HOSTS_NETWORK.prefix}.1:${berth.port}/_berth/health`;
    const fromNeighbour = () => run('ip', ['netns', 'exec', ns, 'wget', '-q', '-T', '3', '-t', '1', '-O', '-', health]);
    try {
      for (const args of [['netns', 'add', ns], ['link', 'add', 'bmh-n0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns],
        ['addr', 'add', '198.18.0.1/30', 'dev', 'bmh-n0'], ['link', 'set', 'bmh-n0', 'up'],
        ['-n', ns, 'addr', 'add', '198.18.0.2/30', 'dev', 'eth0'], ['-n', ns, 'link', 'set', 'eth0', 'up'],
        ['-n', ns, 'route', 'add', `${HOSTS_NETWORK.prefix}.0/24`, 'via', '198.18.0.1']]) {
        const r = await run('ip', args);
        assert.equal(r.code, 0, `ip ${args.join(' ')}: ${r.stderr}`);
      }
      assert.notEqual((await fromNeighbour()).code, 0, 'the neighbour is refused');
      // The same request is answered from a simulated host, and from the machine.
      assert.equal((await run('ip', ['netns', 'exec', 'bhost-2', 'wget', '-q', '-T', '3', '-t', '1', '-O', '-', health])).code, 0);
      assert.ok((await fetch(health)).ok);
      // What refused it is the fence: without it, the neighbour gets in.
      await run('nft', ['delete', 'table', 'inet', 'berth_hosts']);
      const open = await fromNeighbour();
      assert.equal(open.code, 0, `without the fence the neighbour reaches it: ${open.stderr}`);
    } finally {
      await run('ip', ['netns', 'del', ns]);
      await run('ip', ['link', 'del', 'bmh-n0']);
      // Put the fence back as berth up made it (its tables are replaced whole).
      await ensureHostsBridge();
    }
  });

  test('a bridge task with a host port on each host, pulled from the registry and reached from the machine', async () => {
    await ecs('register-task-definition', '--family', 'mh-web', '--network-mode', 'bridge', '--container-definitions', JSON.stringify([
      { name: 'web', image: 'berth/web', memory: 64, stopTimeout: 2, portMappings: [{ containerPort: 80, hostPort: 8080 }] }]));
    for (const h of await hostList()) {
      const started = await ecs<{ tasks: Task[]; failures: unknown[] }>('start-task', '--task-definition', 'mh-web', '--container-instances', h.arn);
      assert.deepEqual(started.failures, []);
      tasks.set(h.name, started.tasks[0]!);
    }
    await ecs('wait', 'tasks-running', '--tasks', ...[...tasks.values()].map((t) => t.taskArn));
    for (const h of await hostList()) {
      const t = (await ecs<{ tasks: Task[] }>('describe-tasks', '--tasks', tasks.get(h.name)!.taskArn)).tasks[0]!;
      assert.equal(t.containerInstanceArn, h.arn);
      // The same static port on every host: each host has its own ports.
      assert.equal(t.containers[0]!.networkBindings[0]!.hostPort, 8080);
      const page = await (await fetch(`http://${h.address}:8080/`)).text();
      assert.match(page, /Berth web test image/, `${h.name} serves at ${h.address}:8080`);
    }
    // A container on a simulated host reaches the control plane at the address its agent was given.
    const r = await berthCli('exec', tasks.get('host-2')!.taskArn, '--endpoint', berth.endpoint, '--', 'wget', '-q', '-O', '-', `http://${HOSTS_NETWORK.prefix}.1:${berth.port}/_berth/health`);
    assert.equal(r.code, 0, r.stderr + r.stdout);
  });

  test('an awsvpc task on a simulated host is reached at its task address from the machine', async () => {
    await ecs('register-task-definition', '--family', 'mh-vpc', '--network-mode', 'awsvpc', '--container-definitions', JSON.stringify([
      { name: 'web', image: 'berth/web', memory: 64, stopTimeout: 2, portMappings: [{ containerPort: 80 }] }]));
    const host3 = (await hostList()).find((h) => h.name === 'host-3')!;
    const started = await ecs<{ tasks: Task[] }>('start-task', '--task-definition', 'mh-vpc', '--container-instances', host3.arn,
      '--network-configuration', 'awsvpcConfiguration={subnets=[subnet-berth]}');
    const arn = started.tasks[0]!.taskArn;
    await ecs('wait', 'tasks-running', '--tasks', arn);
    const t = (await ecs<{ tasks: (Task & { attachments: { details: { name: string; value: string }[] }[] })[] }>('describe-tasks', '--tasks', arn)).tasks[0]!;
    const ip = t.attachments[0]!.details.find((d) => d.name === 'privateIPv4Address')!.value;
    assert.match(ip, /^172\.30\.28\./, "host-3's own awsvpc subnet");
    assert.match(await (await fetch(`http://${ip}/`)).text(), /Berth web test image/);
    await ecs('stop-task', '--task', arn);
    await ecs('wait', 'tasks-stopped', '--tasks', arn);
  });

  test('every host offers Fargate capacity in its zone: three Fargate tasks spread over the three hosts\' pool instances', async () => {
    const hosts = await hostList();
    const pools = hosts.map((h) => h.pool.replace(/^fargate:/, ''));
    assert.ok(pools.every((p) => /:berth-fargate:container-instance\/fargate\//.test(p)), `each host's pool instance: ${pools.join(' ')}`);
    await ecs('register-task-definition', '--cli-input-json', JSON.stringify({ family: 'mh-fargate', networkMode: 'awsvpc', requiresCompatibilities: ['FARGATE'], cpu: '256', memory: '512',
      containerDefinitions: [{ name: 'web', image: 'berth/web', memory: 64, stopTimeout: 2, portMappings: [{ containerPort: 80 }] }] }));
    const run3 = await ecs<{ tasks: (Task & { availabilityZone: string })[]; failures: unknown[] }>('run-task', '--launch-type', 'FARGATE', '--count', '3', '--task-definition', 'mh-fargate',
      '--network-configuration', 'awsvpcConfiguration={subnets=[subnet-berth]}');
    assert.deepEqual(run3.failures, []);
    assert.deepEqual(run3.tasks.map((t) => t.availabilityZone).sort(), ['us-east-1a', 'us-east-1b', 'us-east-1c'], 'spread over the zones');
    const arns = run3.tasks.map((t) => t.taskArn);
    await ecs('wait', 'tasks-running', '--tasks', ...arns);
    // Still three container instances in the cluster: the pool's are no cluster's.
    assert.equal((await instances()).length, 3);
    await ecs('stop-task', '--task', arns[0]!);
    await ecs('stop-task', '--task', arns[1]!);
    await ecs('stop-task', '--task', arns[2]!);
    await ecs('wait', 'tasks-stopped', '--tasks', ...arns);
  });

  test('a second agent that would share host-1\'s run dir, bridges and nft table refuses, saying what to change', async () => {
    const r = await run(process.execPath, [join(ROOT, 'src/cli/main.ts'), 'agent', '--join', berth.endpoint, '--token', berth.joinToken()]);
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stderr, new RegExp(`run dir /run/berth is used by the agent with pid ${berth.pid()}: pass another --run-dir`));
    assert.match(r.stderr, /bridge berth0 is used .* in this network namespace: pass --host-index/);
    assert.match(r.stderr, /nft table berth is used/);
    assert.equal((await instances()).length, 3, 'it did not join');
  });

  test('berth up killed -9 and started again adopts the hosts and their running containers', async () => {
    const agentsBefore = processesWith('--host-index').sort();
    await berth.kill9();
    // The hosts outlive it, as containers outlive an agent.
    assert.match(await (await fetch(`http://${HOSTS_NETWORK.prefix}.3:8080/`)).text(), /Berth web test image/);
    await berth.restart();
    await hostsUp();
    const hosts = await hostList();
    assert.deepEqual(hosts.map((h) => h.state), ['machine', 'running', 'running']);
    const agentsAfter = processesWith('--host-index').sort();
    assert.equal(agentsAfter.length, 2, 'one agent per host: the old ones were stopped');
    assert.ok(agentsAfter.every((p) => !agentsBefore.includes(p)));
    for (const h of hosts) {
      const t = (await ecs<{ tasks: Task[] }>('describe-tasks', '--tasks', tasks.get(h.name)!.taskArn)).tasks[0]!;
      assert.equal(t.lastStatus, 'RUNNING', `${h.name}'s task was adopted`);
      assert.match(await (await fetch(`http://${h.address}:8080/`)).text(), /Berth web test image/);
    }
  });

  test('berth host kill --agent-only: the containers run on without it, and the next agent adopts them', async () => {
    const before = (await hostList()).find((h) => h.name === 'host-3')!;
    const r = await hostCmd('kill', 'host-3', '--agent-only');
    assert.equal(r.code, 0, r.stderr);
    assert.throws(() => process.kill(Number(before.pid), 0), /ESRCH/, 'its agent is gone');
    assert.equal((await hostList()).find((h) => h.name === 'host-3')!.state, 'down');
    assert.match(await (await fetch(`http://${before.address}:8080/`)).text(), /Berth web test image/, 'its container still serves');
    const started = await hostCmd('start', 'host-3');
    assert.equal(started.code, 0, started.stderr);
    const t = (await ecs<{ tasks: Task[] }>('describe-tasks', '--tasks', tasks.get('host-3')!.taskArn)).tasks[0]!;
    assert.equal(t.lastStatus, 'RUNNING', 'adopted, not replaced');
    assert.match(await (await fetch(`http://${before.address}:8080/`)).text(), /Berth web test image/);
  });

  test('berth host kill loses a host: its agent and containers die, the control plane sees it gone; start brings it back', async () => {
    const before = (await hostList()).find((h) => h.name === 'host-2')!;
    const killed = await hostCmd('kill', 'host-2');
    assert.equal(killed.code, 0, killed.stderr);
    assert.match(killed.stdout, /host-2 is down/);
    assert.throws(() => process.kill(Number(before.pid), 0), /ESRCH/, 'its agent is gone');
    assert.ok(hostNamespaces().includes('bhost-3'), 'host-3 is untouched');
    assert.ok(!hostNamespaces().some((n) => n === 'bhost-2' || n.startsWith('bh2-')), 'its namespaces are gone');
    assert.equal(mountsUnder(join(HOSTS_RUN_ROOT, 'host-2')).length, 0, 'its rootfs mounts are gone');
    await assert.rejects(fetch(`http://${before.address}:8080/`, { signal: AbortSignal.timeout(3000) }), 'its container no longer answers');
    assert.equal((await hostList()).find((h) => h.name === 'host-2')!.state, 'killed');
    // The other hosts are untouched.
    assert.match(await (await fetch(`http://${HOSTS_NETWORK.prefix}.3:8080/`)).text(), /Berth web test image/);

    await until('host-2 seen disconnected', async () => ((await instances()).find((i) => i.containerInstanceArn === before.arn)!.agentConnected ? undefined : true), DISCONNECT_GRACE_MS + 30_000);

    const refused = await hostCmd('kill', 'host-1');
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /host-1 is this machine/);

    const started = await hostCmd('start', '2');
    assert.equal(started.code, 0, started.stderr);
    const after = (await hostList()).find((h) => h.name === 'host-2')!;
    assert.equal(after.state, 'running');
    assert.equal(after.arn, before.arn, 'it rejoins as the same container instance');
    await until('host-2 connected again', async () => ((await instances()).find((i) => i.containerInstanceArn === before.arn)!.agentConnected ? true : undefined), 30_000);
    // The task it had died with it; the restarted agent reports it stopped.
    await ecs('wait', 'tasks-stopped', '--tasks', tasks.get('host-2')!.taskArn);
  });

  test('stopping berth up leaves no namespace, link, nft table, mount or process of the simulated hosts', async () => {
    const arns = [...tasks.values()].map((t) => t.taskArn);
    for (const t of arns) await ecs('stop-task', '--task', t);
    await ecs('wait', 'tasks-stopped', '--tasks', ...arns);
    await berth.stop({ keepData: true });
    assert.deepEqual(hostNamespaces(), []);
    const links = (await run('ip', ['-o', 'link', 'show'])).stdout;
    assert.doesNotMatch(links, /bhost-|berth-hosts|berth-h\d|berth-vpc-h\d/);
    assert.doesNotMatch((await run('nft', ['list', 'tables'])).stdout, /berth_h\d|berth_hosts/);
    assert.deepEqual(mountsUnder(HOSTS_RUN_ROOT), []);
    assert.deepEqual(existsSync(HOSTS_RUN_ROOT) ? readdirSync(HOSTS_RUN_ROOT) : [], []);
    assert.deepEqual(processesWith('--host-index'), []);
    assert.ok(!existsSync(join(berth.dataDir, 'hosts.sock')), 'the control socket is gone');
  });
});
