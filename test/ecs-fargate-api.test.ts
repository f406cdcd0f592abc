// Fargate at the ECS API (issue 15), through the aws CLI v2 and boto3 against `berth up`
// (no agent: every check here is the control plane's). Each refusal with AWS's exception
// and message, and nothing stored; what is accepted, and the Fargate members of the
// services' answers. Where the task goes once accepted is the placer's (the Fargate pool).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AWS_CLIS, aws, awsEnv, awsFails, PYTHON3 } from './support/aws-cli.ts';
import { sharedBerth } from './support/shared-berth.ts';
import { run } from './support/run.ts';

const berth = sharedBerth();

const cli = AWS_CLIS[1];
const ecs = <T = Record<string, unknown>>(...args: string[]) => aws<T>(cli, berth.endpoint, ['ecs', ...args]);
const fails = (...args: string[]) => awsFails(cli, berth.endpoint, ['ecs', ...args]);

/** The seed's webserver definition, with integer container fields. */
const WEBSERVER = { family: 'webserver', requiresCompatibilities: ['FARGATE'], networkMode: 'awsvpc', cpu: '256', memory: '512',
  containerDefinitions: [{ name: 'web', image: 'nginx', memory: 100, cpu: 99, portMappings: [{ containerPort: 80 }] }] };
const NET = 'awsvpcConfiguration={subnets=[subnet-berth],assignPublicIp=ENABLED}';
const json = (v: unknown) => JSON.stringify(v);

interface Service { launchType?: string; capacityProviderStrategy?: unknown[]; platformVersion?: string; platformFamily?: string; deployments: { status: string; launchType?: string; platformVersion?: string; platformFamily?: string; capacityProviderStrategy?: unknown[] }[] }

async function setup(): Promise<void> {
  await ecs('create-cluster', '--cluster-name', 'c');
  await ecs('register-task-definition', '--cli-input-json', json(WEBSERVER));
  await ecs('register-task-definition', '--cli-input-json', json({ family: 'bridge', containerDefinitions: [{ name: 'web', image: 'nginx', memory: 64 }] }));
  // awsvpc but privileged: EC2 only.
  await ecs('register-task-definition', '--cli-input-json', json({ family: 'vpc-ec2', networkMode: 'awsvpc', cpu: '256', memory: '512', containerDefinitions: [{ name: 'web', image: 'nginx', privileged: true }] }));
}

const taskCount = async () => (await ecs<{ taskArns: string[] }>('list-tasks', '--cluster', 'c', '--desired-status', 'RUNNING')).taskArns.length
  + (await ecs<{ taskArns: string[] }>('list-tasks', '--cluster', 'c', '--desired-status', 'STOPPED')).taskArns.length;

describe(cli.name, () => {
  test('RunTask on Fargate: every refusal with its exception and message, and no task made', async () => {
    await setup();
    const run = ['run-task', '--cluster', 'c'];
    const cases: [string[], string, RegExp][] = [
      [[...run, '--launch-type', 'FARGATE', '--task-definition', 'bridge'], 'InvalidParameterException', /^Task definition does not support launch_type FARGATE\./],
      [[...run, '--launch-type', 'FARGATE', '--task-definition', 'vpc-ec2', '--network-configuration', NET], 'InvalidParameterException', /^Task definition does not support launch_type FARGATE\./],
      [[...run, '--launch-type', 'FARGATE', '--task-definition', 'webserver'], 'InvalidParameterException', /^Network Configuration must be provided when networkMode 'awsvpc' is specified/],
      [[...run, '--launch-type', 'FARGATE', '--task-definition', 'webserver', '--network-configuration', 'awsvpcConfiguration={subnets=[]}'], 'InvalidParameterException', /^subnets can not be empty/],
      [[...run, '--launch-type', 'FARGATE', '--task-definition', 'webserver', '--network-configuration', 'awsvpcConfiguration={subnets=[s],assignPublicIp=YES}'], 'InvalidParameterException', /^networkConfiguration\.awsvpcConfiguration\.assignPublicIp 'YES' is not valid\. Use one of: ENABLED, DISABLED\./],
      [[...run, '--launch-type', 'FARGATE', '--task-definition', 'webserver', '--network-configuration', NET, '--platform-version', '1.3.0'], 'PlatformUnknownException', /^The specified platform version doesn't exist\./],
      [[...run, '--launch-type', 'EC2', '--task-definition', 'bridge', '--platform-version', 'LATEST'], 'InvalidParameterException', /^The platform version must be null when specifying an EC2 launch type\./],
      [[...run, '--launch-type', 'EC2', '--task-definition', 'webserver', '--network-configuration', NET], 'InvalidParameterException', /^Assign public IP is not supported for this launch type\./],
      [[...run, '--launch-type', 'FARGATE', '--task-definition', 'webserver', '--network-configuration', NET, '--placement-constraints', 'type=distinctInstance'], 'InvalidParameterException', /^Placement constraints are not supported with FARGATE launch type\./],
      [[...run, '--launch-type', 'FARGATE', '--task-definition', 'webserver', '--network-configuration', NET, '--placement-strategy', 'type=random'], 'InvalidParameterException', /^Placement strategies are not supported with FARGATE launch type\./],
      [[...run, '--launch-type', 'FARGATE', '--task-definition', 'webserver', '--network-configuration', NET, '--overrides', json({ ephemeralStorage: { sizeInGiB: 10 } })], 'InvalidParameterException', /The ephemeral storage size must be between 21 and 200 GiB/],
      [[...run, '--launch-type', 'FARGATE', '--task-definition', 'webserver', '--network-configuration', NET, '--overrides', json({ memory: '8192' })], 'InvalidParameterException', /^No Fargate configuration exists for given values: 256 CPU, 8192 memory\./],
      // A FARGATE strategy on a cluster that does not have FARGATE associated.
      [[...run, '--capacity-provider-strategy', 'capacityProvider=FARGATE,weight=1', '--task-definition', 'webserver', '--network-configuration', NET], 'InvalidParameterException',
        /^The specified capacity provider strategy cannot contain a capacity provider that is not associated with the cluster\. Associate the capacity provider with the cluster or specify a valid capacity provider and try again\.$/],
      [[...run, '--launch-type', 'FARGATE', '--capacity-provider-strategy', 'capacityProvider=FARGATE,weight=1', '--task-definition', 'webserver', '--network-configuration', NET], 'InvalidParameterException',
        /^Specifying both a launch type and capacity provider strategy is not supported\./],
    ];
    for (const [args, code, message] of cases) {
      const e = await fails(...args);
      assert.deepEqual([e.code, message.test(e.message)], [code, true], `${args.join(' ')}: ${e.code}: ${e.message}`);
    }
    assert.equal(await taskCount(), 0, 'no task was made');
  });

  test('RunTask on Fargate is accepted by launch type (no association needed) and by an associated FARGATE / FARGATE_SPOT strategy; its tasks answer as Fargate tasks', async () => {
    await setup();
    // Capacity for the placer to find, registered without an agent. Where a Fargate task is
    // placed is the placer's (the Fargate pool); what is checked here is the answer's shape.
    await ecs('register-container-instance', '--cluster', 'c', '--total-resources', 'name=CPU,type=INTEGER,integerValue=4096', 'name=MEMORY,type=INTEGER,integerValue=8192');
    const ok = await ecs<{ tasks: Record<string, unknown>[]; failures: unknown[] }>('run-task', '--cluster', 'c', '--launch-type', 'FARGATE', '--task-definition', 'webserver', '--network-configuration', NET,
      '--platform-version', 'LATEST', '--overrides', json({ ephemeralStorage: { sizeInGiB: 50 }, cpu: '512', memory: '1024' }));
    assert.equal(ok.tasks.length + ok.failures.length, 1, json(ok));
    for (const t of ok.tasks) {
      assert.deepEqual([t.launchType, t.platformVersion, t.platformFamily, t.ephemeralStorage, t.cpu, t.memory], ['FARGATE', '1.4.0', 'Linux', { sizeInGiB: 50 }, '512', '1024'], json(t));
      assert.deepEqual(['containerInstanceArn' in t, 'capacityProviderName' in t], [false, false], json(t));
    }
    await ecs('put-cluster-capacity-providers', '--cluster', 'c', '--capacity-providers', 'FARGATE', 'FARGATE_SPOT', '--default-capacity-provider-strategy', 'capacityProvider=FARGATE_SPOT,weight=1');
    const split = await ecs<{ tasks: Record<string, unknown>[]; failures: unknown[] }>('run-task', '--cluster', 'c', '--count', '4', '--task-definition', 'webserver', '--network-configuration', NET,
      '--capacity-provider-strategy', 'capacityProvider=FARGATE,weight=1,base=1', 'capacityProvider=FARGATE_SPOT,weight=3');
    // Accepted once associated (refused before: the first test). The FARGATE / FARGATE_SPOT
    // shares are the placer's to place on the Fargate pool; a provider without capacity
    // answers no failure yet (the placer's, src/scheduler/place.ts).
    assert.deepEqual([Array.isArray(split.tasks), Array.isArray(split.failures), split.tasks.length <= 4], [true, true, true], json(split));
    for (const t of split.tasks) assert.deepEqual([t.launchType, ['FARGATE', 'FARGATE_SPOT'].includes(t.capacityProviderName as string)], ['FARGATE', true], json(t));
    // The cluster's default strategy (FARGATE_SPOT) makes it a Fargate launch: Fargate's rules apply.
    const e = await fails('run-task', '--cluster', 'c', '--task-definition', 'bridge');
    assert.deepEqual([e.code, e.message.startsWith('Task definition does not support launch_type FARGATE.')], ['InvalidParameterException', true], e.message);
    // StartTask starts EC2 tasks on the instance it names, whatever the cluster's default
    // strategy: the EC2-only definition is not refused as a Fargate launch; the instance,
    // registered without an agent, answers StartTask's AGENT failure.
    const instance = (await ecs<{ containerInstanceArns: string[] }>('list-container-instances', '--cluster', 'c')).containerInstanceArns[0]!;
    const started = await ecs<{ tasks: unknown[]; failures: { arn: string; reason: string }[] }>('start-task', '--cluster', 'c', '--task-definition', 'bridge', '--container-instances', instance);
    assert.deepEqual([started.tasks, started.failures], [[], [{ arn: instance, reason: 'AGENT' }]], json(started));
  });

  test('RegisterTaskDefinition refuses what Fargate refuses with ClientException, and stores nothing', async () => {
    const fargate = (extra: Record<string, unknown>, container: Record<string, unknown> = {}) =>
      json({ ...WEBSERVER, family: 'bad', ...extra, containerDefinitions: [{ ...WEBSERVER.containerDefinitions[0], ...container }] });
    const cases: [string, RegExp][] = [
      [fargate({ networkMode: 'bridge' }), /^Fargate only supports network mode 'awsvpc'\./],
      [fargate({ networkMode: 'host' }), /^Fargate only supports network mode 'awsvpc'\./],
      [fargate({}, { privileged: true }), /^Fargate requires that the privileged setting be false at the container level\./],
      [fargate({}, { portMappings: [{ containerPort: 80, hostPort: 8080 }] }), /^When networkMode=awsvpc, the host ports and container ports in port mappings must match/],
      [fargate({}, { linuxParameters: { capabilities: { add: ['NET_ADMIN'] } } }), /^Fargate only supports adding the SYS_PTRACE kernel capability/],
      [fargate({}, { linuxParameters: { devices: [{ hostPath: '/dev/kvm' }] } }), /^Fargate does not support linuxParameters\.devices/],
      [fargate({ cpu: '256', memory: '3072' }), /^No Fargate configuration exists for given values: 256 CPU, 3072 memory\./],
      [fargate({ cpu: undefined }), /^Fargate requires that 'cpu' be defined at the task level\./],
      [fargate({ ephemeralStorage: { sizeInGiB: 20 } }), /The ephemeral storage size must be between 21 and 200 GiB/],
      [fargate({ ephemeralStorage: { sizeInGiB: 201 } }), /The ephemeral storage size must be between 21 and 200 GiB/],
    ];
    for (const [input, message] of cases) {
      const e = await fails('register-task-definition', '--cli-input-json', input);
      assert.deepEqual([e.code, message.test(e.message)], ['ClientException', true], `${input}: ${e.code}: ${e.message}`);
    }
    assert.deepEqual((await ecs<{ families: string[] }>('list-task-definition-families', '--status', 'ALL')).families, []);
    const ok = await ecs<{ taskDefinition: { compatibilities: string[]; ephemeralStorage: unknown; runtimePlatform: unknown } }>('register-task-definition', '--cli-input-json',
      fargate({ family: 'good', ephemeralStorage: { sizeInGiB: 21 }, runtimePlatform: { cpuArchitecture: 'X86_64', operatingSystemFamily: 'LINUX' } }, { linuxParameters: { capabilities: { add: ['SYS_PTRACE'] } } }));
    assert.deepEqual([ok.taskDefinition.compatibilities, ok.taskDefinition.ephemeralStorage, ok.taskDefinition.runtimePlatform],
      [['EC2', 'FARGATE'], { sizeInGiB: 21 }, { cpuArchitecture: 'X86_64', operatingSystemFamily: 'LINUX' }]);
  });

  test('CreateService on Fargate: the refusals, and nothing made', async () => {
    await setup();
    const create = ['create-service', '--cluster', 'c', '--service-name', 's', '--task-definition', 'webserver', '--network-configuration', NET];
    const cases: [string[], string, RegExp][] = [
      [['create-service', '--cluster', 'c', '--service-name', 's', '--task-definition', 'webserver', '--network-configuration', NET, '--launch-type', 'FARGATE', '--scheduling-strategy', 'DAEMON'], 'InvalidParameterException',
        /^Tasks using the Fargate launch type don't support the DAEMON scheduling strategy\./],
      [[...create, '--desired-count', '1', '--launch-type', 'FARGATE', '--placement-constraints', 'type=distinctInstance'], 'InvalidParameterException', /^Placement constraints are not supported with FARGATE launch type\./],
      [[...create, '--desired-count', '1', '--launch-type', 'FARGATE', '--placement-strategy', 'type=spread,field=attribute:ecs.availability-zone'], 'InvalidParameterException', /^Placement strategies are not supported with FARGATE launch type\./],
      [[...create, '--desired-count', '1', '--launch-type', 'FARGATE', '--platform-version', '1.0.0'], 'PlatformUnknownException', /^The specified platform version doesn't exist\./],
      [[...create, '--desired-count', '1', '--launch-type', 'EC2', '--platform-version', 'LATEST'], 'InvalidParameterException', /^The platform version must be null when specifying an EC2 launch type\./],
      [[...create, '--desired-count', '1', '--capacity-provider-strategy', 'capacityProvider=FARGATE_SPOT,weight=1'], 'InvalidParameterException',
        /^The specified capacity provider strategy cannot contain a capacity provider that is not associated with the cluster\./],
      [['create-service', '--cluster', 'c', '--service-name', 's', '--task-definition', 'bridge', '--desired-count', '1', '--launch-type', 'FARGATE'], 'InvalidParameterException', /^Task definition does not support launch_type FARGATE\./],
    ];
    for (const [args, code, message] of cases) {
      const e = await fails(...args);
      assert.deepEqual([e.code, message.test(e.message)], [code, true], `${args.join(' ')}: ${e.code}: ${e.message}`);
    }
    assert.deepEqual((await ecs<{ serviceArns: string[] }>('list-services', '--cluster', 'c')).serviceArns, []);
  });

  test('a Fargate service shows its platform version and family, its deployments the version they run; UpdateService moves it between Fargate and EC2 capacity', async () => {
    await setup();
    await ecs('create-capacity-provider', '--name', 'hosts', '--auto-scaling-group-provider', 'autoScalingGroupArn=hosts-group');
    await ecs('put-cluster-capacity-providers', '--cluster', 'c', '--capacity-providers', 'hosts', 'FARGATE', 'FARGATE_SPOT', '--default-capacity-provider-strategy', '[]');
    const byType = (await ecs<{ service: Service }>('create-service', '--cluster', 'c', '--service-name', 'web', '--task-definition', 'webserver', '--desired-count', '0',
      '--launch-type', 'FARGATE', '--network-configuration', NET)).service;
    assert.deepEqual([byType.launchType, byType.platformVersion, byType.platformFamily], ['FARGATE', 'LATEST', 'Linux']);
    assert.deepEqual(byType.deployments.map((d) => [d.launchType, d.platformVersion, d.platformFamily]), [['FARGATE', '1.4.0', 'Linux']]);

    const split = (await ecs<{ service: Service }>('create-service', '--cluster', 'c', '--service-name', 'spot', '--task-definition', 'webserver', '--desired-count', '0',
      '--capacity-provider-strategy', 'capacityProvider=FARGATE,weight=1,base=1', 'capacityProvider=FARGATE_SPOT,weight=3', '--platform-version', '1.4.0', '--network-configuration', NET)).service;
    assert.deepEqual([split.launchType, split.platformVersion, split.platformFamily], [undefined, '1.4.0', 'Linux']);
    assert.deepEqual(split.capacityProviderStrategy, [{ capacityProvider: 'FARGATE', weight: 1, base: 1 }, { capacityProvider: 'FARGATE_SPOT', weight: 3 }]);

    const refused = await fails('update-service', '--cluster', 'c', '--service', 'web', '--platform-version', '2.0.0');
    assert.equal(refused.code, 'PlatformUnknownException');
    const unforced = await fails('update-service', '--cluster', 'c', '--service', 'spot', '--capacity-provider-strategy', 'capacityProvider=hosts,weight=1', '--network-configuration', 'awsvpcConfiguration={subnets=[subnet-berth]}');
    assert.deepEqual([unforced.code, unforced.message.startsWith('When switching from launch type to capacity provider strategy on an existing service, or making a change to a capacity provider strategy on a service that is already using one, you must force a new deployment.')],
      ['InvalidParameterException', true], unforced.message);
    const toEc2 = (await ecs<{ service: Service }>('update-service', '--cluster', 'c', '--service', 'spot', '--capacity-provider-strategy', 'capacityProvider=hosts,weight=1',
      '--network-configuration', 'awsvpcConfiguration={subnets=[subnet-berth]}', '--force-new-deployment')).service;
    assert.deepEqual([toEc2.platformVersion, toEc2.platformFamily, toEc2.capacityProviderStrategy], [undefined, undefined, [{ capacityProvider: 'hosts', weight: 1 }]]);
    assert.deepEqual(toEc2.deployments.map((d) => [d.status, d.platformVersion]), [['PRIMARY', undefined], ['ACTIVE', '1.4.0']]);
    const back = (await ecs<{ service: Service }>('update-service', '--cluster', 'c', '--service', 'spot', '--capacity-provider-strategy', 'capacityProvider=FARGATE_SPOT,weight=1', '--force-new-deployment')).service;
    assert.deepEqual([back.platformVersion, back.platformFamily, back.deployments[0]!.platformVersion], ['LATEST', 'Linux', '1.4.0']);
    // An empty strategy takes the service back to the launch type of its capacity (UpdateService reference).
    const toType = (await ecs<{ service: Service }>('update-service', '--cli-input-json', json({ cluster: 'c', service: 'spot', capacityProviderStrategy: [], forceNewDeployment: true }))).service;
    assert.deepEqual([toType.launchType, toType.capacityProviderStrategy, toType.platformVersion], ['FARGATE', undefined, 'LATEST']);
    // Back to EC2 capacity with a public IP: refused, as only Fargate tasks get one.
    const publicIp = await fails('update-service', '--cluster', 'c', '--service', 'web', '--capacity-provider-strategy', 'capacityProvider=hosts,weight=1', '--force-new-deployment');
    assert.deepEqual([publicIp.code, publicIp.message.startsWith('Assign public IP is not supported for this launch type.')], ['InvalidParameterException', true], publicIp.message);
    const described = (await ecs<{ services: Service[] }>('describe-services', '--cluster', 'c', '--services', 'web')).services[0]!;
    assert.deepEqual([described.launchType, described.platformVersion, described.deployments.length], ['FARGATE', 'LATEST', 1], 'the refused update changed nothing');
  });
});

test('boto3: Fargate refusals as botocore raises them, and the Fargate members of a service and a definition', async () => {
  const script = `
import boto3, botocore, json, sys
ecs = boto3.client('ecs', endpoint_url=sys.argv[1])
ecs.create_cluster(clusterName='b')
ecs.register_task_definition(**json.loads(sys.argv[2]))
net = {'awsvpcConfiguration': {'subnets': ['subnet-berth'], 'assignPublicIp': 'ENABLED'}}
def code(f):
    try:
        f()
    except botocore.exceptions.ClientError as e:
        return e.response['Error']['Code'], e.response['Error']['Message']
    raise AssertionError('expected an error')
c, m = code(lambda: ecs.run_task(cluster='b', taskDefinition='webserver', launchType='FARGATE', networkConfiguration=net, platformVersion='0.9.0'))
assert c == 'PlatformUnknownException' and m.startswith("The specified platform version doesn't exist."), (c, m)
c, m = code(lambda: ecs.run_task(cluster='b', taskDefinition='webserver', networkConfiguration=net, capacityProviderStrategy=[{'capacityProvider': 'FARGATE', 'weight': 1}]))
assert (c, m) == ('InvalidParameterException', 'The specified capacity provider strategy cannot contain a capacity provider that is not associated with the cluster. Associate the capacity provider with the cluster or specify a valid capacity provider and try again.'), (c, m)
c, m = code(lambda: ecs.run_task(cluster='b', taskDefinition='webserver', launchType='FARGATE', networkConfiguration=net, placementConstraints=[{'type': 'distinctInstance'}]))
assert c == 'InvalidParameterException' and m.startswith('Placement constraints are not supported with FARGATE launch type.'), (c, m)
c, m = code(lambda: ecs.register_task_definition(family='x', requiresCompatibilities=['FARGATE'], networkMode='awsvpc', cpu='256', memory='512', ephemeralStorage={'sizeInGiB': 300}, containerDefinitions=[{'name': 'a', 'image': 'nginx'}]))
assert c == 'ClientException' and 'between 21 and 200 GiB' in m, (c, m)
assert ecs.list_tasks(cluster='b')['taskArns'] == [] and ecs.list_task_definition_families()['families'] == ['webserver']
td = ecs.describe_task_definition(taskDefinition='webserver')['taskDefinition']
assert td['compatibilities'] == ['EC2', 'FARGATE'] and td['requiresCompatibilities'] == ['FARGATE'], td
ecs.put_cluster_capacity_providers(cluster='b', capacityProviders=['FARGATE', 'FARGATE_SPOT'], defaultCapacityProviderStrategy=[])
s = ecs.create_service(cluster='b', serviceName='web', taskDefinition='webserver', desiredCount=0, networkConfiguration=net,
    capacityProviderStrategy=[{'capacityProvider': 'FARGATE', 'base': 1, 'weight': 1}, {'capacityProvider': 'FARGATE_SPOT', 'weight': 3}])['service']
assert s['platformVersion'] == 'LATEST' and s['platformFamily'] == 'Linux' and 'launchType' not in s, s
d = ecs.describe_services(cluster='b', services=['web'])['services'][0]['deployments'][0]
assert d['platformVersion'] == '1.4.0' and d['platformFamily'] == 'Linux' and d['capacityProviderStrategy'][1] == {'capacityProvider': 'FARGATE_SPOT', 'weight': 3}, d
`;
  const r = await run(PYTHON3, ['-c', script, berth.endpoint, json(WEBSERVER)], { env: awsEnv() });
  assert.equal(r.code, 0, r.stderr);
});
