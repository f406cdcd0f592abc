// Every answer of every ECS operation Berth implements, checked member by member against
// the AWS API model (botocore's copy of the API reference): no member AWS does not have,
// every type as the wire gives it (epoch-second timestamps, whole integers, enum values),
// every required member present. A scripted session drives each operation through the
// AWS SDK for JavaScript v3 and a scripted agent, keeping the raw JSON of each answer.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as ecs from '@aws-sdk/client-ecs';
import { AgentSession } from '../src/agent/session.ts';
import { createEcsService } from '../src/api/ecs/index.ts';
import type { ClusterState } from '../src/cluster/types.ts';
import type { Placer } from '../src/scheduler/launch.ts';
import type { Store } from '../src/store/store.ts';
import { botocoreModel } from './support/aws-model.ts';
import { startBerth, type BerthProcess, instanceSecretOf } from './support/berth.ts';
import { checkAnswers, recordingEcsClient, type RecordedAnswer } from './support/recorded-answers.ts';

let berth: BerthProcess;
before(async () => { berth = await startBerth(); });
after(async () => { await berth.stop(); });

const model = botocoreModel('ecs');

async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Runs a call expected to fail; its answer is recorded all the same (and not shape-checked). */
async function refused(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return (e as Error).name;
  }
  throw new Error('expected the call to fail');
}

/** Every operation of the API, in an order that leaves each one something to act on. */
async function session(c: ecs.ECSClient): Promise<void> {
  await c.send(new ecs.CreateClusterCommand({ clusterName: 'plain' }));
  await c.send(new ecs.CreateClusterCommand({ clusterName: 'full', tags: [{ key: 'team', value: 'a' }], settings: [{ name: 'containerInsights', value: 'enabled' }],
    capacityProviders: ['FARGATE'], configuration: { executeCommandConfiguration: { logging: 'DEFAULT' } } }));
  await c.send(new ecs.CreateClusterCommand({ clusterName: 'full' }));
  await c.send(new ecs.DescribeClustersCommand({ clusters: ['plain', 'full', 'ghost'] }));
  await c.send(new ecs.DescribeClustersCommand({ clusters: ['full'], include: ['ATTACHMENTS', 'CONFIGURATIONS', 'SETTINGS', 'STATISTICS', 'TAGS'] }));
  await c.send(new ecs.ListClustersCommand({ maxResults: 1 }));
  await c.send(new ecs.UpdateClusterCommand({ cluster: 'full', settings: [{ name: 'containerInsights', value: 'enhanced' }] }));
  await c.send(new ecs.UpdateClusterSettingsCommand({ cluster: 'plain', settings: [{ name: 'containerInsights', value: 'disabled' }] }));

  await c.send(new ecs.RegisterTaskDefinitionCommand({ family: 'web', tags: [{ key: 'app', value: 'web' }], containerDefinitions: [{
    name: 'web', image: 'busybox', memory: 64, cpu: 128, portMappings: [{ containerPort: 80, hostPort: 8080 }],
    healthCheck: { command: ['CMD-SHELL', 'true'] }, environment: [{ name: 'A', value: '1' }],
    logConfiguration: { logDriver: 'json-file' },
  }, { name: 'side', image: 'busybox', memoryReservation: 32, essential: false, dependsOn: [{ containerName: 'web', condition: 'HEALTHY' }] }] }));
  await c.send(new ecs.RegisterTaskDefinitionCommand({ family: 'vpc', networkMode: 'awsvpc', requiresCompatibilities: ['FARGATE'], cpu: '256', memory: '512',
    taskRoleArn: 'arn:aws:iam::000000000000:role/app', containerDefinitions: [{ name: 'app', image: 'busybox', portMappings: [{ containerPort: 8000 }] }] }));
  await c.send(new ecs.RegisterTaskDefinitionCommand({ family: 'old', containerDefinitions: [{ name: 'o', image: 'busybox', memory: 16 }] }));
  await c.send(new ecs.DescribeTaskDefinitionCommand({ taskDefinition: 'web' }));
  await c.send(new ecs.DescribeTaskDefinitionCommand({ taskDefinition: 'web:1', include: ['TAGS'] }));
  await c.send(new ecs.DescribeTaskDefinitionCommand({ taskDefinition: 'vpc' }));
  await c.send(new ecs.ListTaskDefinitionsCommand({ maxResults: 1 }));
  await c.send(new ecs.ListTaskDefinitionFamiliesCommand({}));
  await c.send(new ecs.DeregisterTaskDefinitionCommand({ taskDefinition: 'old:1' }));
  await c.send(new ecs.DeleteTaskDefinitionsCommand({ taskDefinitions: ['old:1', 'web:1', 'ghost:1'] }));

  const doc = JSON.stringify({ instanceId: 'i-0123456789abcdef0', availabilityZone: 'us-east-1a', instanceType: 'm5.large' });
  const registration = { cluster: 'full', instanceIdentityDocument: doc,
    totalResources: [{ name: 'CPU', type: 'INTEGER' as const, integerValue: 2048 }, { name: 'MEMORY', type: 'INTEGER' as const, integerValue: 4096 }],
    attributes: [{ name: 'ecs.capability.task-eni' }, { name: 'ecs.capability.container-health-check' }, { name: 'com.amazonaws.ecs.capability.logging-driver.json-file' },
      { name: 'ecs.capability.container-ordering' }, { name: 'com.amazonaws.ecs.capability.docker-remote-api.1.21' }, { name: 'com.amazonaws.ecs.capability.task-iam-role' }],
    versionInfo: { agentVersion: '1.0.0', agentHash: 'abc', dockerVersion: 'berth' } };
  const reg = await c.send(new ecs.RegisterContainerInstanceCommand({ ...registration, tags: [{ key: 'host', value: 'h1' }] }));
  const instanceArn = reg.containerInstance!.containerInstanceArn!;
  const agent = new AgentSession(berth.endpoint, { cluster: 'full', containerInstanceArn: instanceArn, agentVersion: 'test' }, await instanceSecretOf(berth, { ...registration, containerInstanceArn: instanceArn }), {
    onSnapshot: () => {}, onAssignment: () => {}, log: () => {},
  });
  agent.start();
  try {
    await until(() => agent.connected);
    await c.send(new ecs.DescribeContainerInstancesCommand({ cluster: 'full', containerInstances: [instanceArn, 'ffffffffffffffffffffffffffffffff'] }));
    await c.send(new ecs.DescribeContainerInstancesCommand({ cluster: 'full', containerInstances: [instanceArn], include: ['TAGS', 'CONTAINER_INSTANCE_HEALTH'] }));
    await c.send(new ecs.ListContainerInstancesCommand({ cluster: 'full' }));
    await c.send(new ecs.PutAttributesCommand({ cluster: 'full', attributes: [{ name: 'stack', value: 'prod', targetId: instanceArn }] }));
    await c.send(new ecs.ListAttributesCommand({ cluster: 'full', targetType: 'container-instance', attributeName: 'stack' }));
    await c.send(new ecs.DeleteAttributesCommand({ cluster: 'full', attributes: [{ name: 'stack', targetId: instanceArn }] }));
    await c.send(new ecs.DiscoverPollEndpointCommand({ cluster: 'full', containerInstance: instanceArn }));

    const run = await c.send(new ecs.RunTaskCommand({ cluster: 'full', taskDefinition: 'web', startedBy: 'me', tags: [{ key: 't', value: '1' }], count: 2 }));
    const taskArn = run.tasks![0]!.taskArn!;
    await c.send(new ecs.RunTaskCommand({ cluster: 'full', taskDefinition: 'vpc', networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-1'] } },
      overrides: { containerOverrides: [{ name: 'app', command: ['sleep', '1'], environment: [{ name: 'B', value: '2' }] }] } }));
    await c.send(new ecs.StartTaskCommand({ cluster: 'full', taskDefinition: 'web', containerInstances: [instanceArn, 'ffffffffffffffffffffffffffffffff'] }));
    agent.report({ taskArn, status: 'RUNNING', pullStartedAt: Date.now() / 1000, pullStoppedAt: Date.now() / 1000, healthStatus: 'HEALTHY', containers: [
      { name: 'web', status: 'RUNNING', runtimeId: 'r1', networkBindings: [{ bindIP: '0.0.0.0', containerPort: 80, hostPort: 8080, protocol: 'tcp' }] },
      { name: 'side', status: 'RUNNING', runtimeId: 'r2' },
    ] });
    await until(() => agent.pending === 0);
    await c.send(new ecs.DescribeTasksCommand({ cluster: 'full', tasks: [taskArn, '0'.repeat(32)] }));
    await c.send(new ecs.DescribeTasksCommand({ cluster: 'full', tasks: [taskArn], include: ['TAGS'] }));
    await c.send(new ecs.ListTasksCommand({ cluster: 'full', maxResults: 1 }));
    // A standalone task cannot be protected (TASK_NOT_VALID), an unknown one is MISSING.
    await c.send(new ecs.UpdateTaskProtectionCommand({ cluster: 'full', tasks: [taskArn, '0'.repeat(32)], protectionEnabled: true, expiresInMinutes: 60 }));
    await c.send(new ecs.GetTaskProtectionCommand({ cluster: 'full', tasks: [taskArn, '0'.repeat(32)] }));
    await c.send(new ecs.StopTaskCommand({ cluster: 'full', task: taskArn, reason: 'done' }));
    agent.report({ taskArn, status: 'STOPPED', executionStoppedAt: Date.now() / 1000, containers: [{ name: 'web', status: 'STOPPED', exitCode: 0 }, { name: 'side', status: 'STOPPED', exitCode: 137 }] });
    await until(() => agent.pending === 0);
    await c.send(new ecs.DescribeTasksCommand({ cluster: 'full', tasks: [taskArn] }));

    await c.send(new ecs.CreateServiceCommand({ cluster: 'full', serviceName: 'web', taskDefinition: 'web', desiredCount: 2, tags: [{ key: 'app', value: 'web' }],
      placementStrategy: [{ type: 'spread', field: 'attribute:ecs.availability-zone' }], placementConstraints: [{ type: 'distinctInstance' }],
      deploymentConfiguration: { deploymentCircuitBreaker: { enable: true, rollback: true }, maximumPercent: 150, minimumHealthyPercent: 50 } }));
    let serviceTask: string | undefined;
    for (const deadline = Date.now() + 10_000; !serviceTask && Date.now() < deadline; await new Promise((r) => setTimeout(r, 50))) {
      serviceTask = (await c.send(new ecs.ListTasksCommand({ cluster: 'full', serviceName: 'web' }))).taskArns?.[0];
    }
    assert.ok(serviceTask, 'the service placed a task');
    await c.send(new ecs.UpdateTaskProtectionCommand({ cluster: 'full', tasks: [serviceTask], protectionEnabled: true }));
    await c.send(new ecs.GetTaskProtectionCommand({ cluster: 'full', tasks: [serviceTask] }));
    await c.send(new ecs.UpdateTaskProtectionCommand({ cluster: 'full', tasks: [serviceTask], protectionEnabled: false }));
    await c.send(new ecs.CreateServiceCommand({ cluster: 'full', serviceName: 'spot', taskDefinition: 'vpc', desiredCount: 1, healthCheckGracePeriodSeconds: 30,
      capacityProviderStrategy: [{ capacityProvider: 'FARGATE', weight: 1, base: 1 }], networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-1'], assignPublicIp: 'DISABLED' } } }));
    await c.send(new ecs.CreateServiceCommand({ cluster: 'full', serviceName: 'daemon', taskDefinition: 'web', schedulingStrategy: 'DAEMON' }));
    await c.send(new ecs.UpdateServiceCommand({ cluster: 'full', service: 'web', taskDefinition: 'web:1', desiredCount: 3, forceNewDeployment: true }));
    await c.send(new ecs.DescribeServicesCommand({ cluster: 'full', services: ['web', 'spot', 'daemon', 'ghost'] }));
    await c.send(new ecs.DescribeServicesCommand({ cluster: 'full', services: ['web'], include: ['TAGS'] }));
    await c.send(new ecs.ListServicesCommand({ cluster: 'full', maxResults: 1 }));
    const { serviceDeployments } = await c.send(new ecs.ListServiceDeploymentsCommand({ cluster: 'full', service: 'web', maxResults: 1 }));
    const deploymentArn = serviceDeployments![0]!.serviceDeploymentArn!;
    const described = await c.send(new ecs.DescribeServiceDeploymentsCommand({ serviceDeploymentArns: [deploymentArn, `${deploymentArn}x`] }));
    await c.send(new ecs.DescribeServiceRevisionsCommand({ serviceRevisionArns: [described.serviceDeployments![0]!.targetServiceRevision!.arn!, `${described.serviceDeployments![0]!.targetServiceRevision!.arn!}9`] }));
    await c.send(new ecs.StopServiceDeploymentCommand({ serviceDeploymentArn: deploymentArn, stopType: 'ROLLBACK' }));
    await c.send(new ecs.DescribeServiceDeploymentsCommand({ serviceDeploymentArns: [deploymentArn] }));
    assert.equal(await refused(c.send(new ecs.ContinueServiceDeploymentCommand({ serviceDeploymentArn: deploymentArn, hookId: 'h' }))), 'InvalidParameterException');
    await c.send(new ecs.DeleteServiceCommand({ cluster: 'full', service: 'web', force: true }));

    await c.send(new ecs.CreateServiceCommand({ cluster: 'full', serviceName: 'ext', desiredCount: 2, deploymentController: { type: 'EXTERNAL' } }));
    const blue = (await c.send(new ecs.CreateTaskSetCommand({ cluster: 'full', service: 'ext', taskDefinition: 'web', externalId: 'blue', scale: { value: 100, unit: 'PERCENT' }, tags: [{ key: 'c', value: 'blue' }] }))).taskSet!;
    const green = (await c.send(new ecs.CreateTaskSetCommand({ cluster: 'full', service: 'ext', taskDefinition: 'web', externalId: 'green', clientToken: 'green-1' }))).taskSet!;
    await c.send(new ecs.UpdateServicePrimaryTaskSetCommand({ cluster: 'full', service: 'ext', primaryTaskSet: blue.taskSetArn! }));
    await c.send(new ecs.UpdateTaskSetCommand({ cluster: 'full', service: 'ext', taskSet: green.taskSetArn!, scale: { value: 50, unit: 'PERCENT' } }));
    await c.send(new ecs.DescribeTaskSetsCommand({ cluster: 'full', service: 'ext', taskSets: [blue.taskSetArn!, `${green.taskSetArn!}9`], include: ['TAGS'] }));
    await c.send(new ecs.DescribeServicesCommand({ cluster: 'full', services: ['ext'] }));
    await c.send(new ecs.DeleteTaskSetCommand({ cluster: 'full', service: 'ext', taskSet: green.taskSetArn!, force: true }));
    await c.send(new ecs.DeleteServiceCommand({ cluster: 'full', service: 'ext', force: true }));
    assert.equal(await refused(c.send(new ecs.ListServicesByNamespaceCommand({ namespace: 'ghost' }))), 'NamespaceNotFoundException');

    const clusterArn = 'arn:aws:ecs:us-east-1:000000000000:cluster/full';
    await c.send(new ecs.TagResourceCommand({ resourceArn: clusterArn, tags: [{ key: 'more', value: 'x' }] }));
    await c.send(new ecs.ListTagsForResourceCommand({ resourceArn: clusterArn }));
    await c.send(new ecs.UntagResourceCommand({ resourceArn: clusterArn, tagKeys: ['more'] }));

    await c.send(new ecs.PutAccountSettingCommand({ name: 'containerInsights', value: 'enabled' }));
    await c.send(new ecs.PutAccountSettingDefaultCommand({ name: 'awsvpcTrunking', value: 'enabled' }));
    await c.send(new ecs.ListAccountSettingsCommand({ effectiveSettings: true }));
    await c.send(new ecs.DeleteAccountSettingCommand({ name: 'containerInsights' }));

    await c.send(new ecs.UpdateContainerInstancesStateCommand({ cluster: 'full', containerInstances: [instanceArn, 'ffffffffffffffffffffffffffffffff'], status: 'DRAINING' }));
    assert.equal(await refused(c.send(new ecs.DeleteClusterCommand({ cluster: 'full' }))), 'ClusterContainsContainerInstancesException');
    await c.send(new ecs.DeregisterContainerInstanceCommand({ cluster: 'full', containerInstance: instanceArn, force: true }));
  } finally {
    agent.close();
  }
  await c.send(new ecs.CreateCapacityProviderCommand({ name: 'hosts', tags: [{ key: 'k', value: 'v' }],
    autoScalingGroupProvider: { autoScalingGroupArn: 'arn:aws:autoscaling:us-east-1:000000000000:autoScalingGroup:1:autoScalingGroupName/hosts', managedScaling: { status: 'ENABLED' } } }));
  await c.send(new ecs.DescribeCapacityProvidersCommand({}));
  await c.send(new ecs.DescribeCapacityProvidersCommand({ capacityProviders: ['hosts', 'FARGATE', 'ghost'], include: ['TAGS'] }));
  await c.send(new ecs.UpdateCapacityProviderCommand({ name: 'hosts', autoScalingGroupProvider: { managedTerminationProtection: 'DISABLED' } }));
  await c.send(new ecs.PutClusterCapacityProvidersCommand({ cluster: 'plain', capacityProviders: ['hosts'], defaultCapacityProviderStrategy: [{ capacityProvider: 'hosts', weight: 1 }] }));
  await c.send(new ecs.DescribeClustersCommand({ clusters: ['plain'] }));
  await c.send(new ecs.DeleteCapacityProviderCommand({ capacityProvider: 'hosts' }));
  await c.send(new ecs.PutClusterCapacityProvidersCommand({ cluster: 'plain', capacityProviders: [], defaultCapacityProviderStrategy: [] }));
  await c.send(new ecs.DeleteCapacityProviderCommand({ capacityProvider: 'hosts' }));
  await c.send(new ecs.DescribeCapacityProvidersCommand({ capacityProviders: ['hosts'] }));
  await c.send(new ecs.DeleteClusterCommand({ cluster: 'plain' }));
  await c.send(new ecs.DescribeClustersCommand({ clusters: ['plain'] }));
}

test('every answer of a whole ECS session matches the AWS API model, member by member', async () => {
  await fetch(`${berth.endpoint}/_berth/reset`, { method: 'POST' });
  const { client, answers } = recordingEcsClient(berth.endpoint);
  try {
    await session(client);
  } finally {
    client.destroy();
  }
  assert.deepEqual(checkAnswers(model, answers), []);

  // The session covers every operation Berth serves: a new one must join it.
  const served = Object.keys(createEcsService({ store: undefined as unknown as Store, state: undefined as unknown as ClusterState, placer: undefined as unknown as Placer }).operations).sort();
  const answered = new Set(answers.filter((a) => a.status === 200).map((a) => a.operation));
  // ListServicesByNamespace can only refuse while Berth has no AWS Cloud Map namespaces;
  // ContinueServiceDeployment while it runs no deployment lifecycle hooks.
  const alwaysRefused = new Set(['ListServicesByNamespace', 'ContinueServiceDeployment']);
  assert.deepEqual(served.filter((op) => !answered.has(op) && !alwaysRefused.has(op)), [], 'operations Berth serves that the session did not see answered');
});

test('the check itself catches what it is for: an answer with a stray member fails it', () => {
  const stray: RecordedAnswer = { operation: 'ListClusters', status: 200, body: '{"clusterArns":[],"networkMode":"bridge","nextToken":7}' };
  assert.deepEqual(checkAnswers(model, [stray]), [
    'ListClusters networkMode: is not a member of ListClustersResponse',
    'ListClusters nextToken: must be a string, not number 7',
  ]);
});
