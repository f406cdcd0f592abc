// Which members ECS answers carry, and when: the ones AWS sends only on request
// (`include`), the ones it sends empty when not asked, and the defaults it fills in, as
// AWS's own answers in the AWS CLI examples show them. Read from the raw JSON of each
// answer (the SDKs' parsers would hide a missing or extra member).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as ecs from '@aws-sdk/client-ecs';
import { AgentSession } from '../src/agent/session.ts';
import { join } from 'node:path';
import { ROOT, startBerth, type BerthProcess, instanceSecretOf } from './support/berth.ts';
import { botocoreModel } from './support/aws-model.ts';
import { checkAnswers, recordingEcsClient, type RecordedAnswer } from './support/recorded-answers.ts';
import { run } from './support/run.ts';

let berth: BerthProcess;
let client: ecs.ECSClient;
let answers: RecordedAnswer[];
before(async () => {
  berth = await startBerth();
  ({ client, answers } = recordingEcsClient(berth.endpoint));
});
after(async () => {
  client.destroy();
  await berth.stop();
});

/** Sends a command and returns the raw JSON of its answer. */
async function raw(command: { input: object }): Promise<Record<string, any>> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const before = answers.length;
  // Any ECS command: send() is typed per command, and this helper serves them all.
  await client.send(command as Parameters<ecs.ECSClient['send']>[0]);
  assert.equal(answers.length, before + 1);
  return JSON.parse(answers.at(-1)!.body);
}

const keys = (o: object) => Object.keys(o).sort();

test('clusters: statistics, tags and settings empty unless included; answers to changes carry the cluster as it is', async () => {
  const created = (await raw(new ecs.CreateClusterCommand({ clusterName: 'c', tags: [{ key: 'team', value: 'a' }], settings: [{ name: 'containerInsights', value: 'enabled' }] }))).cluster;
  assert.deepEqual(keys(created), ['activeServicesCount', 'clusterArn', 'clusterName', 'pendingTasksCount', 'registeredContainerInstancesCount', 'runningTasksCount', 'settings', 'statistics', 'status', 'tags']);
  assert.deepEqual([created.statistics, created.tags, created.settings], [[], [{ key: 'team', value: 'a' }], [{ name: 'containerInsights', value: 'enabled' }]]);

  const plain = (await raw(new ecs.DescribeClustersCommand({ clusters: ['c'] }))).clusters[0];
  assert.deepEqual(keys(plain), ['activeServicesCount', 'capacityProviders', 'clusterArn', 'clusterName', 'defaultCapacityProviderStrategy', 'pendingTasksCount',
    'registeredContainerInstancesCount', 'runningTasksCount', 'settings', 'statistics', 'status', 'tags']);
  assert.deepEqual([plain.statistics, plain.tags, plain.settings, plain.capacityProviders, plain.defaultCapacityProviderStrategy], [[], [], [], [], []]);

  const full = (await raw(new ecs.DescribeClustersCommand({ clusters: ['c'], include: ['ATTACHMENTS', 'SETTINGS', 'STATISTICS', 'TAGS'] }))).clusters[0];
  assert.deepEqual(full.tags, [{ key: 'team', value: 'a' }]);
  assert.deepEqual(full.settings, [{ name: 'containerInsights', value: 'enabled' }]);
  assert.deepEqual(full.statistics.map((s: { name: string }) => s.name), ['runningEC2TasksCount', 'runningFargateTasksCount', 'pendingEC2TasksCount', 'pendingFargateTasksCount',
    'runningExternalTasksCount', 'pendingExternalTasksCount', 'activeEC2ServiceCount', 'activeFargateServiceCount', 'drainingEC2ServiceCount', 'drainingFargateServiceCount',
    'activeExternalServiceCount', 'drainingExternalServiceCount']);
  assert.deepEqual(full.attachments, []);

  const deleted = (await raw(new ecs.DeleteClusterCommand({ cluster: 'c' }))).cluster;
  assert.deepEqual([deleted.status, deleted.statistics, deleted.tags], ['INACTIVE', [], [{ key: 'team', value: 'a' }]]);
});

test('container instances, tasks and task definitions: tags empty unless included; ECS defaults filled in', async () => {
  await raw(new ecs.CreateClusterCommand({ clusterName: 'w' }));
  const registration = { cluster: 'w',
    instanceIdentityDocument: JSON.stringify({ instanceId: 'i-0123456789abcdef0', architecture: 'x86_64' }),
    totalResources: [{ name: 'CPU', type: 'INTEGER' as const, integerValue: 1024 }, { name: 'MEMORY', type: 'INTEGER' as const, integerValue: 2048 }],
    attributes: [{ name: 'ecs.capability.container-ordering' }] };
  const registered = (await raw(new ecs.RegisterContainerInstanceCommand({ ...registration, tags: [{ key: 'host', value: 'h1' }] }))).containerInstance;
  const instanceArn: string = registered.containerInstanceArn;
  // Every resource with all three numbers, as AWS answers them.
  assert.deepEqual(registered.registeredResources, [
    { name: 'CPU', type: 'INTEGER', doubleValue: 0, longValue: 0, integerValue: 1024 },
    { name: 'MEMORY', type: 'INTEGER', doubleValue: 0, longValue: 0, integerValue: 2048 },
    { name: 'PORTS', type: 'STRINGSET', doubleValue: 0, longValue: 0, integerValue: 0, stringSetValue: ['22', '2375', '2376', '51678', '51679'] },
    { name: 'PORTS_UDP', type: 'STRINGSET', doubleValue: 0, longValue: 0, integerValue: 0, stringSetValue: [] },
  ]);
  assert.deepEqual((await raw(new ecs.DescribeContainerInstancesCommand({ cluster: 'w', containerInstances: [instanceArn] }))).containerInstances[0].tags, []);
  assert.deepEqual((await raw(new ecs.DescribeContainerInstancesCommand({ cluster: 'w', containerInstances: [instanceArn], include: ['TAGS'] }))).containerInstances[0].tags, [{ key: 'host', value: 'h1' }]);
  const health = (await raw(new ecs.DescribeContainerInstancesCommand({ cluster: 'w', containerInstances: [instanceArn], include: ['CONTAINER_INSTANCE_HEALTH'] }))).containerInstances[0];
  assert.deepEqual(health.healthStatus, { overallStatus: 'INSUFFICIENT_DATA', details: [] }, 'asked for, health is there: Berth has no runtime health data yet');
  assert.equal(registered.healthStatus, undefined, 'unasked, no health');

  // Attributes come back as given: name, value, targetId; no targetType AWS was not told.
  const put = await raw(new ecs.PutAttributesCommand({ cluster: 'w', attributes: [{ name: 'stack', value: 'prod', targetId: instanceArn }] }));
  assert.deepEqual(put.attributes, [{ name: 'stack', value: 'prod', targetId: instanceArn }]);
  const listed = await raw(new ecs.ListAttributesCommand({ cluster: 'w', targetType: 'container-instance', attributeName: 'stack' }));
  assert.deepEqual(listed.attributes, [{ name: 'stack', value: 'prod', targetId: instanceArn }]);

  const td = await raw(new ecs.RegisterTaskDefinitionCommand({ family: 'web', tags: [{ key: 'app', value: 'web' }], containerDefinitions: [
    { name: 'web', image: 'busybox', memory: 64, portMappings: [{ containerPort: 80, hostPort: 8080 }] },
    { name: 'side', image: 'busybox', memory: 32, essential: false, dependsOn: [{ containerName: 'web', condition: 'START' }] },
  ] }));
  assert.deepEqual(td.tags, [{ key: 'app', value: 'web' }]);
  const web = td.taskDefinition.containerDefinitions[0];
  assert.deepEqual([web.cpu, web.essential, web.portMappings, web.environment, web.mountPoints, web.volumesFrom], [0, true, [{ containerPort: 80, hostPort: 8080, protocol: 'tcp' }], [], [], []]);
  assert.deepEqual([td.taskDefinition.compatibilities, td.taskDefinition.requiresAttributes], [['EXTERNAL', 'EC2'], [{ name: 'ecs.capability.container-ordering' }]]);
  assert.deepEqual((await raw(new ecs.DescribeTaskDefinitionCommand({ taskDefinition: 'web' }))).tags, []);
  assert.deepEqual((await raw(new ecs.DescribeTaskDefinitionCommand({ taskDefinition: 'web', include: ['TAGS'] }))).tags, [{ key: 'app', value: 'web' }]);

  const agent = new AgentSession(berth.endpoint, { cluster: 'w', containerInstanceArn: instanceArn, agentVersion: 'test' }, await instanceSecretOf(berth, { ...registration, containerInstanceArn: instanceArn }), { onSnapshot: () => {}, onAssignment: () => {}, log: () => {} });
  agent.start();
  try {
    // The session is open before the gateway has taken its hello; placement waits for the
    // instance to say its agent is connected.
    const connected = async () => agent.connected && (await raw(new ecs.DescribeContainerInstancesCommand({ cluster: 'w', containerInstances: [instanceArn] }))).containerInstances[0].agentConnected === true;
    for (const deadline = Date.now() + 10_000; !(await connected()); await new Promise((r) => setTimeout(r, 20))) {
      if (Date.now() > deadline) throw new Error('the agent session did not connect');
    }
    const started = await raw(new ecs.RunTaskCommand({ cluster: 'w', taskDefinition: 'web', tags: [{ key: 't', value: '1' }],
      overrides: { containerOverrides: [{ name: 'side', command: ['true'] }] } }));
    assert.deepEqual(started.failures, []);
    const task = started.tasks[0];
    // Every container is listed in the overrides, by name alone when not overridden.
    assert.deepEqual(task.overrides, { containerOverrides: [{ name: 'web' }, { name: 'side', command: ['true'] }], inferenceAcceleratorOverrides: [] });
    assert.deepEqual(task.attributes, [{ name: 'ecs.cpu-architecture', value: 'x86_64' }]);
    assert.equal(task.platformFamily, undefined, 'a platform family is for Fargate tasks');
    assert.deepEqual([task.version, task.launchType, task.enableExecuteCommand, task.tags], [1, 'EC2', false, [{ key: 't', value: '1' }]]);
    // Until the agent reports it: PENDING (no network interface to provision), and none of
    // the members only a reporting agent gives.
    assert.equal(task.lastStatus, 'PENDING');
    assert.deepEqual([task.connectivity, task.connectivityAt, task.healthStatus], [undefined, undefined, undefined]);
    assert.deepEqual(keys(task.containers[0]), ['containerArn', 'cpu', 'image', 'lastStatus', 'memory', 'name', 'networkInterfaces', 'taskArn']);
    // berth ps reads these answers too: a container without networkBindings is listed.
    const ps = await run(process.execPath, ['--disable-warning=ExperimentalWarning', join(ROOT, 'src/cli/main.ts'), 'ps', '--cluster', 'w', '--endpoint', berth.endpoint]);
    assert.equal(ps.code, 0, ps.stderr);
    assert.match(ps.stdout, new RegExp(`^${task.taskArn.split('/').pop().slice(0, 12)}\\s+w\\s+-\\s+web:1\\s+PENDING\\s+-`, 'm'));
    agent.report({ taskArn: task.taskArn, status: 'RUNNING', containers: [{ name: 'web', status: 'RUNNING', runtimeId: 'r1' }, { name: 'side', status: 'RUNNING', runtimeId: 'r2' }] });
    for (const deadline = Date.now() + 10_000; agent.pending > 0; await new Promise((r) => setTimeout(r, 20))) {
      if (Date.now() > deadline) throw new Error('the report was not acknowledged');
    }
    const running = (await raw(new ecs.DescribeTasksCommand({ cluster: 'w', tasks: [task.taskArn] }))).tasks[0];
    assert.deepEqual([running.lastStatus, running.connectivity, running.healthStatus], ['RUNNING', 'CONNECTED', 'UNKNOWN']);
    assert.equal(typeof running.connectivityAt, 'number');
    assert.deepEqual([running.containers[0].networkBindings, running.containers[0].healthStatus], [[], 'UNKNOWN']);
    assert.deepEqual((await raw(new ecs.DescribeTasksCommand({ cluster: 'w', tasks: [task.taskArn] }))).tasks[0].tags, []);
    assert.deepEqual((await raw(new ecs.DescribeTasksCommand({ cluster: 'w', tasks: [task.taskArn], include: ['TAGS'] }))).tasks[0].tags, [{ key: 't', value: '1' }]);
    const missing = await raw(new ecs.DescribeTasksCommand({ cluster: 'w', tasks: ['0'.repeat(32)] }));
    assert.deepEqual(missing.failures, [{ arn: '0'.repeat(32), reason: 'MISSING' }]);
  } finally {
    agent.close();
  }
});

test('account settings: AWS manages only guardDutyActivate; every other default is a user setting', async () => {
  const settings: { name: string; type: string }[] = [];
  let nextToken: string | undefined;
  do {
    const page = await raw(new ecs.ListAccountSettingsCommand({ effectiveSettings: true, ...(nextToken && { nextToken }) }));
    settings.push(...page.settings);
    nextToken = page.nextToken;
  } while (nextToken);
  assert.ok(settings.length >= 10);
  assert.deepEqual(settings.filter((s) => s.type === 'aws_managed').map((s) => s.name), ['guardDutyActivate']);
  assert.ok(settings.every((s) => s.type === 'aws_managed' || s.type === 'user'));
});

test('services: the members of create-service and describe-services answers; tags only when set or included; a launch type or a strategy, never both', async () => {
  await raw(new ecs.CreateClusterCommand({ clusterName: 's', capacityProviders: ['FARGATE'] }));
  await raw(new ecs.RegisterTaskDefinitionCommand({ family: 'svc', containerDefinitions: [{ name: 'web', image: 'busybox', memory: 32 }] }));
  const created = (await raw(new ecs.CreateServiceCommand({ cluster: 's', serviceName: 'web', taskDefinition: 'svc', desiredCount: 1 }))).service;
  // As AWS's create-service answer for the EC2 launch type, plus the members newer answers carry.
  assert.deepEqual(keys(created), ['availabilityZoneRebalancing', 'clusterArn', 'createdAt', 'createdBy', 'currentServiceDeployment', 'currentServiceRevisions',
    'deploymentConfiguration', 'deploymentController', 'deployments',
    'desiredCount', 'enableECSManagedTags', 'enableExecuteCommand', 'events', 'launchType', 'loadBalancers', 'pendingCount', 'placementConstraints', 'placementStrategy',
    'propagateTags', 'runningCount', 'schedulingStrategy', 'serviceArn', 'serviceName', 'serviceRegistries', 'status', 'taskDefinition']);
  assert.deepEqual(keys(created.deployments[0]), ['createdAt', 'desiredCount', 'failedTasks', 'id', 'launchType', 'pendingCount', 'rolloutState', 'rolloutStateReason',
    'runningCount', 'status', 'taskDefinition', 'updatedAt']);
  await raw(new ecs.RegisterTaskDefinitionCommand({ family: 'fg', requiresCompatibilities: ['FARGATE'], networkMode: 'awsvpc', cpu: '256', memory: '512', containerDefinitions: [{ name: 'web', image: 'busybox' }] }));
  const tagged = (await raw(new ecs.CreateServiceCommand({ cluster: 's', serviceName: 'tagged', taskDefinition: 'fg', desiredCount: 0, tags: [{ key: 'a', value: 'b' }],
    capacityProviderStrategy: [{ capacityProvider: 'FARGATE', weight: 1 }], networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-1'] } } }))).service;
  assert.deepEqual(tagged.tags, [{ key: 'a', value: 'b' }]);
  assert.equal('launchType' in tagged, false);
  assert.deepEqual(tagged.capacityProviderStrategy, [{ capacityProvider: 'FARGATE', weight: 1 }]);
  const plain = (await raw(new ecs.DescribeServicesCommand({ cluster: 's', services: ['web', 'tagged'] }))).services;
  assert.deepEqual(plain.map((x: { tags?: unknown }) => 'tags' in x), [false, false]);
  const full = (await raw(new ecs.DescribeServicesCommand({ cluster: 's', services: ['web', 'tagged'], include: ['TAGS'] }))).services;
  assert.deepEqual(full.map((x: { tags?: unknown }) => x.tags), [[], [{ key: 'a', value: 'b' }]]);
});

test('and every answer above matches the AWS API model, member by member', () => {
  assert.ok(answers.length > 20);
  assert.deepEqual(checkAnswers(botocoreModel('ecs'), answers), []);
});
