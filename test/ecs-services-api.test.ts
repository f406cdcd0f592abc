// The services API through both aws CLIs and boto3, against `berth up` without an agent:
// what CreateService, UpdateService, DeleteService, DescribeServices and ListServices
// answer, and every request ECS refuses, with its exception and message, changing nothing.
// (Tasks starting for a service need the service reconciler: ecs-services-run.test.ts.)
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AWS_CLIS, aws, awsEnv, awsFails, PYTHON3 } from './support/aws-cli.ts';
import { sharedBerth } from './support/shared-berth.ts';
import { run } from './support/run.ts';

const berth = sharedBerth();

const ACCOUNT = '000000000000';
const arn = (resource: string) => `arn:aws:ecs:us-east-1:${ACCOUNT}:${resource}`;
type Svc = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

for (const cli of AWS_CLIS) {
  describe(cli.name, () => {
    const ecs = <T = Svc>(...args: string[]) => aws<T>(cli, berth.endpoint, ['ecs', ...args]);
    const fails = (...args: string[]) => awsFails(cli, berth.endpoint, ['ecs', ...args]);
    const setup = async () => {
      await ecs('create-cluster', '--cluster-name', 'c');
      await ecs('register-task-definition', '--family', 'web', '--container-definitions', '[{"name":"web","image":"busybox","memory":64}]');
      await ecs('register-task-definition', '--family', 'web', '--container-definitions', '[{"name":"web","image":"busybox","memory":96}]');
      await ecs('register-task-definition', '--family', 'vpc', '--network-mode', 'awsvpc', '--container-definitions', '[{"name":"app","image":"busybox","memory":64}]');
    };
    const describeOne = async (name: string): Promise<Svc> => (await ecs<{ services: Svc[] }>('describe-services', '--cluster', 'c', '--services', name, '--include', 'TAGS')).services[0]!;

    test('create, describe, list, update and delete: the shapes ECS answers', async () => {
      await setup();
      const { service: s } = await ecs<{ service: Svc }>('create-service', '--cluster', 'c', '--service-name', 'web', '--task-definition', 'web:1', '--desired-count', '2',
        '--tags', 'key=team,value=a');
      assert.equal(s.serviceArn, arn('service/c/web'));
      assert.equal(s.clusterArn, arn('cluster/c'));
      assert.deepEqual([s.status, s.desiredCount, s.runningCount, s.pendingCount, s.launchType, s.schedulingStrategy, s.propagateTags, s.enableECSManagedTags],
        ['ACTIVE', 2, 0, 0, 'EC2', 'REPLICA', 'NONE', false]);
      assert.equal(s.taskDefinition, arn('task-definition/web:1'));
      assert.deepEqual(s.deploymentConfiguration, { deploymentCircuitBreaker: { enable: false, rollback: false }, maximumPercent: 200, minimumHealthyPercent: 100 });
      assert.deepEqual([s.loadBalancers, s.serviceRegistries, s.events, s.placementConstraints, s.placementStrategy], [[], [], [], [], []]);
      assert.deepEqual(s.tags, [{ key: 'team', value: 'a' }]);
      assert.equal(s.deployments.length, 1);
      const d = s.deployments[0];
      assert.match(d.id, /^ecs-svc\/\d{19}$/);
      assert.deepEqual([d.status, d.desiredCount, d.runningCount, d.pendingCount, d.failedTasks, d.rolloutState, d.rolloutStateReason, d.launchType],
        ['PRIMARY', 2, 0, 0, 0, 'IN_PROGRESS', `ECS deployment ${d.id} in progress.`, 'EC2']);

      // The same request again is idempotent: the same service, no second deployment.
      const again = await ecs<{ service: Svc }>('create-service', '--cluster', 'c', '--service-name', 'web', '--task-definition', 'web:1', '--desired-count', '2', '--tags', 'key=team,value=a');
      assert.deepEqual(again.service.deployments.map((x: Svc) => x.id), [d.id]);

      const described = await ecs<{ services: Svc[]; failures: Svc[] }>('describe-services', '--cluster', 'c', '--services', 'web', arn('service/c/web'), 'ghost');
      assert.deepEqual(described.services.map((x) => x.serviceName), ['web', 'web']);
      assert.equal('tags' in described.services[0]!, false, 'tags only with --include TAGS');
      assert.deepEqual(described.failures, [{ arn: arn('service/c/ghost'), reason: 'MISSING' }]);
      assert.deepEqual((await describeOne('web')).tags, [{ key: 'team', value: 'a' }]);

      // A desiredCount alone moves the PRIMARY deployment and starts none.
      const scaled = (await ecs<{ service: Svc }>('update-service', '--cluster', 'c', '--service', 'web', '--desired-count', '3')).service;
      assert.deepEqual(scaled.deployments.map((x: Svc) => [x.id, x.status, x.desiredCount]), [[d.id, 'PRIMARY', 3]]);
      // A new task definition starts a PRIMARY deployment; the previous one becomes ACTIVE.
      const rolled = (await ecs<{ service: Svc }>('update-service', '--cluster', 'c', '--service', arn('service/c/web'), '--task-definition', 'web')).service;
      assert.equal(rolled.taskDefinition, arn('task-definition/web:2'));
      assert.deepEqual(rolled.deployments.map((x: Svc) => [x.status, x.taskDefinition]), [['PRIMARY', arn('task-definition/web:2')], ['ACTIVE', arn('task-definition/web:1')]]);
      const forced = (await ecs<{ service: Svc }>('update-service', '--cluster', 'c', '--service', 'web', '--force-new-deployment')).service;
      assert.deepEqual(forced.deployments.map((x: Svc) => x.status), ['PRIMARY', 'ACTIVE', 'ACTIVE']);
      const tuned = (await ecs<{ service: Svc }>('update-service', '--cluster', 'c', '--service', 'web', '--deployment-configuration',
        'maximumPercent=150,minimumHealthyPercent=50,deploymentCircuitBreaker={enable=true,rollback=true}')).service;
      assert.deepEqual(tuned.deploymentConfiguration, { deploymentCircuitBreaker: { enable: true, rollback: true }, maximumPercent: 150, minimumHealthyPercent: 50 });
      assert.equal(tuned.deployments.length, 3, 'a deployment configuration change starts no deployment');

      await ecs('create-service', '--cluster', 'c', '--service-name', 'daemon', '--task-definition', 'web', '--scheduling-strategy', 'DAEMON');
      const daemon = await describeOne('daemon');
      assert.deepEqual([daemon.desiredCount, daemon.deploymentConfiguration.maximumPercent, daemon.deploymentConfiguration.minimumHealthyPercent], [0, 100, 0]);
      assert.deepEqual((await ecs<{ serviceArns: string[] }>('list-services', '--cluster', 'c')).serviceArns.sort(), [arn('service/c/daemon'), arn('service/c/web')]);
      assert.deepEqual((await ecs<{ serviceArns: string[] }>('list-services', '--cluster', 'c', '--scheduling-strategy', 'DAEMON')).serviceArns, [arn('service/c/daemon')]);
      assert.deepEqual((await ecs<{ serviceArns: string[] }>('list-services', '--cluster', 'c', '--launch-type', 'FARGATE')).serviceArns, []);
      const page = await ecs<{ serviceArns: string[]; nextToken?: string }>('list-services', '--cluster', 'c', '--max-items', '1');
      assert.equal(page.serviceArns.length, 1);

      // Tags of a service ARN.
      await ecs('tag-resource', '--resource-arn', arn('service/c/web'), '--tags', 'key=env,value=dev');
      assert.deepEqual((await ecs<{ tags: Svc[] }>('list-tags-for-resource', '--resource-arn', arn('service/c/web'))).tags, [{ key: 'team', value: 'a' }, { key: 'env', value: 'dev' }]);
      await ecs('untag-resource', '--resource-arn', arn('service/c/web'), '--tag-keys', 'team');
      assert.deepEqual((await describeOne('web')).tags, [{ key: 'env', value: 'dev' }]);

      // Deleting: scaled above 0 needs --force; then DRAINING, unlisted, still described.
      const refused = await fails('delete-service', '--cluster', 'c', '--service', 'web');
      assert.deepEqual([refused.code, refused.message.startsWith('The service cannot be stopped while it is scaled above 0.')], ['InvalidParameterException', true]);
      const deleted = (await ecs<{ service: Svc }>('delete-service', '--cluster', 'c', '--service', 'web', '--force')).service;
      assert.deepEqual([deleted.status, deleted.desiredCount], ['DRAINING', 0]);
      // With no tasks left to stop, the service scheduler soon makes it INACTIVE: a second
      // delete answers it as it is then, DRAINING or INACTIVE.
      assert.ok(['DRAINING', 'INACTIVE'].includes((await ecs<{ service: Svc }>('delete-service', '--cluster', 'c', '--service', 'web')).service.status), 'deleting a DRAINING service answers it');
      assert.deepEqual((await ecs<{ serviceArns: string[] }>('list-services', '--cluster', 'c')).serviceArns, [arn('service/c/daemon')]);
      await ecs('wait', 'services-inactive', '--cluster', 'c', '--services', 'web');
      assert.equal((await describeOne('web')).status, 'INACTIVE');
      assert.equal((await ecs<{ service: Svc }>('delete-service', '--cluster', 'c', '--service', 'daemon')).service.status, 'DRAINING', 'DAEMON needs no force');

      // (A create while a service of that name is still DRAINING: services.test.ts, where no scheduler finishes the drain.)
      const notActive = await fails('update-service', '--cluster', 'c', '--service', 'web', '--desired-count', '1');
      assert.deepEqual([notActive.code, notActive.message.startsWith('Service was not ACTIVE.')], ['ServiceNotActiveException', true]);
    });

    test('services-stable: a service with one deployment and runningCount == desiredCount is stable', async () => {
      await setup();
      await ecs('create-service', '--cluster', 'c', '--service-name', 'idle', '--task-definition', 'web', '--desired-count', '0');
      await ecs('wait', 'services-stable', '--cluster', 'c', '--services', 'idle');
      const missing = await run(cli.bin, ['--endpoint-url', berth.endpoint, 'ecs', 'wait', 'services-stable', '--cluster', 'c', '--services', 'ghost'], { env: awsEnv(undefined, cli) });
      assert.notEqual(missing.code, 0, 'a MISSING service fails the waiter at once');
      assert.match(missing.stderr, /failure|Waiter/i);
    });

    test('every bad request: its exception and message, and nothing changed', async () => {
      await setup();
      await ecs('create-service', '--cluster', 'c', '--service-name', 'keep', '--task-definition', 'web:1', '--desired-count', '1');
      // The service scheduler's own word first (the cluster has no instances: said once), so
      // that what follows compares only what the requests could have changed.
      let before = await describeOne('keep');
      for (let i = 0; i < 100 && before?.events.length === 0; i++) {
        await new Promise((r) => setTimeout(r, 100));
        before = await describeOne('keep');
      }
      assert.match(before!.events[0]!.message, /No Container Instances were found in your cluster/);
      await ecs('deregister-task-definition', '--task-definition', 'web:2');
      const create = ['create-service', '--cluster', 'c', '--service-name', 'new', '--task-definition', 'web:1'];
      const cases: [string[], string, RegExp][] = [
        [['create-service', '--cluster', 'c', '--service-name', 'bad.name', '--task-definition', 'web', '--desired-count', '1'], 'InvalidParameterException', /Service name 'bad.name' is not valid/],
        [[...create, '--desired-count', '1', '--client-token', 'x'.repeat(37)], 'InvalidParameterException', /clientToken must be 1 to 36/],
        [[...create], 'InvalidParameterException', /desiredCount is required for the REPLICA/],
        [[...create, '--desired-count', '-1'], 'InvalidParameterException', /desiredCount must be between 0 and 5000/],
        [[...create, '--scheduling-strategy', 'DAEMON', '--desired-count', '1'], 'InvalidParameterException',
          /^The daemon scheduling strategy does not support a desired count for services\. Remove the desired count value and try again$/],
        [[...create, '--scheduling-strategy', 'DAEMON', '--placement-strategy', 'type=spread,field=instanceId'], 'InvalidParameterException',
          /^The daemon scheduling strategy does not support placement strategies\. Remove the placement strategy and try again$/],
        [[...create, '--scheduling-strategy', 'DAEMON', '--deployment-configuration', 'maximumPercent=200'], 'InvalidParameterException',
          /^The daemon scheduling strategy does not support values above 100 for maximumPercent/],
        [[...create, '--desired-count', '1', '--deployment-configuration', 'maximumPercent=50,minimumHealthyPercent=100'], 'InvalidParameterException',
          /maximumPercent \(50\) must be greater than or equal to minimumHealthyPercent \(100\)/],
        [[...create, '--desired-count', '1', '--launch-type', 'EC2', '--capacity-provider-strategy', 'capacityProvider=FARGATE,weight=1'], 'InvalidParameterException',
          /^Specifying both a launch type and capacity provider strategy is not supported\. Remove one and try again\.$/],
        [[...create, '--desired-count', '1', '--placement-strategy', ...Array.from({ length: 6 }, () => 'type=random')], 'InvalidParameterException', /placementStrategy has 6 strategies; at most 5 are allowed/],
        [[...create, '--desired-count', '1', '--placement-constraints', 'type=distinctInstance,expression=x'], 'InvalidParameterException', /^distinctInstance expression should not be specified\.$/],
        [[...create, '--desired-count', '1', '--placement-constraints', ...Array.from({ length: 11 }, () => 'type=distinctInstance')], 'InvalidParameterException',
          /The task has 11 placement constraints; at most 10 are allowed/],
        [[...create, '--desired-count', '1', '--load-balancers', 'targetGroupArn=arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/t/1,containerName=web,containerPort=80'],
          'InvalidParameterException', /loadBalancers \(Elastic Load Balancing\) is not available/],
        [['create-service', '--cluster', 'ghost', '--service-name', 'new', '--task-definition', 'web', '--desired-count', '1'], 'ClusterNotFoundException', /Cluster not found/],
        [['create-service', '--cluster', 'c', '--service-name', 'new', '--task-definition', 'ghost:1', '--desired-count', '1'], 'ClientException', /^TaskDefinition not found\./],
        [['create-service', '--cluster', 'c', '--service-name', 'new', '--task-definition', 'web:2', '--desired-count', '1'], 'ClientException', /^TaskDefinition is inactive\./],
        [[...create, '--desired-count', '1', '--capacity-provider-strategy', 'capacityProvider=ghost,weight=1'], 'InvalidParameterException',
          /^The specified capacity provider strategy cannot contain a capacity provider that is not associated with the cluster\./],
        [['create-service', '--cluster', 'c', '--service-name', 'new', '--task-definition', 'vpc', '--desired-count', '1'], 'InvalidParameterException',
          /^Network Configuration must be provided when networkMode 'awsvpc' is specified/],
        [[...create, '--desired-count', '1', '--network-configuration', 'awsvpcConfiguration={subnets=[subnet-1]}'], 'InvalidParameterException', /^Network Configuration is not valid/],
        [['create-service', '--cluster', 'c', '--service-name', 'keep', '--task-definition', 'web:1', '--desired-count', '2'], 'InvalidParameterException', /^Creation of service was not idempotent\./],
        [['update-service', '--cluster', 'c', '--service', 'ghost', '--desired-count', '1'], 'ServiceNotFoundException', /^Service not found\./],
        [['update-service', '--cluster', 'ghost', '--service', 'keep', '--desired-count', '1'], 'ClusterNotFoundException', /Cluster not found/],
        [['update-service', '--cluster', 'c', '--service', 'keep', '--task-definition', 'web:2'], 'ClientException', /^TaskDefinition is inactive\./],
        [['update-service', '--cluster', 'c', '--service', 'keep', '--deployment-configuration', 'maximumPercent=50'], 'InvalidParameterException', /must be greater than or equal to minimumHealthyPercent/],
        [['update-service', '--cluster', 'c', '--service', 'keep', '--network-configuration', 'awsvpcConfiguration={subnets=[subnet-1]}', '--task-definition', 'web:1'],
          'InvalidParameterException', /^Network Configuration is not valid/],
        [['delete-service', '--cluster', 'c', '--service', 'ghost'], 'ServiceNotFoundException', /^Service not found\./],
        [['delete-service', '--cluster', 'c', '--service', 'keep'], 'InvalidParameterException', /^The service cannot be stopped while it is scaled above 0\./],
        [['describe-services', '--cluster', 'c', '--services', ...Array.from({ length: 11 }, (_, i) => `s${i}`)], 'InvalidParameterException', /takes 1 to 10 services/],
        [['describe-services', '--cluster', 'ghost', '--services', 'keep'], 'ClusterNotFoundException', /Cluster not found/],
        [['list-services', '--cluster', 'ghost'], 'ClusterNotFoundException', /Cluster not found/],
        [['list-services-by-namespace', '--namespace', 'ghost'], 'NamespaceNotFoundException', /Namespace not found/],
      ];
      for (const [args, code, message] of cases) {
        const e = await fails(...args);
        assert.deepEqual([e.code, message.test(e.message)], [code, true], `${args.join(' ')}: ${e.code}: ${e.message}`);
      }
      assert.deepEqual((await ecs<{ serviceArns: string[] }>('list-services', '--cluster', 'c')).serviceArns, [arn('service/c/keep')]);
      assert.deepEqual((await describeOne('new')), undefined);
      assert.deepEqual(await describeOne('keep'), before);
    });

    test('a bad parameter is named before a missing cluster', async () => {
      const e = await fails('create-service', '--cluster', 'ghost', '--service-name', 'web', '--task-definition', 'web', '--scheduling-strategy', 'DAEMON', '--desired-count', '1');
      assert.equal(e.code, 'InvalidParameterException');
      assert.equal((await fails('update-service', '--cluster', 'ghost', '--service', 'web', '--desired-count', '-1')).code, 'InvalidParameterException');
      assert.equal((await fails('describe-services', '--cluster', 'ghost', '--services', ...Array.from({ length: 11 }, (_, i) => `s${i}`))).code, 'InvalidParameterException');
      assert.equal((await fails('create-service', '--cluster', 'ghost', '--service-name', 'web', '--task-definition', 'web', '--desired-count', '1')).code, 'ClusterNotFoundException');
    });
  });
}

test('boto3: create, describe, update and delete, and the exception classes of the refusals', async () => {
  const script = `
import boto3, sys
ecs = boto3.client('ecs', endpoint_url=sys.argv[1])
ecs.create_cluster(clusterName='c')
ecs.register_task_definition(family='web', containerDefinitions=[{'name': 'web', 'image': 'busybox', 'memory': 64}])
s = ecs.create_service(cluster='c', serviceName='web', taskDefinition='web', desiredCount=1, propagateTags='SERVICE', enableECSManagedTags=True)['service']
assert (s['status'], s['desiredCount'], s['propagateTags'], s['enableECSManagedTags']) == ('ACTIVE', 1, 'SERVICE', True), s
assert s['deployments'][0]['status'] == 'PRIMARY'
u = ecs.update_service(cluster='c', service='web', desiredCount=0)['service']
assert u['desiredCount'] == 0 and len(u['deployments']) == 1, u
ecs.get_waiter('services_stable').wait(cluster='c', services=['web'], WaiterConfig={'Delay': 1, 'MaxAttempts': 5})
try:
    ecs.update_service(cluster='c', service='ghost', desiredCount=1)
    raise SystemExit('expected ServiceNotFoundException')
except ecs.exceptions.ServiceNotFoundException:
    pass
try:
    ecs.list_services_by_namespace(namespace='ghost')
    raise SystemExit('expected NamespaceNotFoundException')
except ecs.exceptions.NamespaceNotFoundException:
    pass
d = ecs.delete_service(cluster='c', service='web')['service']
assert d['status'] == 'DRAINING', d
try:
    ecs.update_service(cluster='c', service='web', desiredCount=1)
    raise SystemExit('expected ServiceNotActiveException')
except ecs.exceptions.ServiceNotActiveException:
    pass
print('ok')
`;
  const r = await run(PYTHON3, ['-c', script, berth.endpoint], { env: awsEnv() });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), 'ok');
});
