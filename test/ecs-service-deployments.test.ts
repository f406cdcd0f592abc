// Service deployments and revisions through both aws CLIs, boto3 and the AWS SDK for
// JavaScript, against `berth up` without an agent (no instance: a deployment stays in
// progress, which is what stopping one needs): CreateService and UpdateService open
// service deployments, ListServiceDeployments and DescribeServiceDeployments show them,
// DescribeServiceRevisions what each deploys, StopServiceDeployment rolls one back, and
// every refusal is AWS's exception.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { gunzipSync } from 'node:zlib';
import * as ecs from '@aws-sdk/client-ecs';
import { AWS_CLIS, awsEnv, type AwsCli, PYTHON3 } from './support/aws-cli.ts';
import { botocoreModel } from './support/aws-model.ts';
import { sharedBerth } from './support/shared-berth.ts';
import { checkAnswers, recordingEcsClient } from './support/recorded-answers.ts';
import { run } from './support/run.ts';
import { until } from './support/until.ts';

const berth = sharedBerth();
/**
 * Debian's aws CLI v2 (2.9.19) predates these operations (ECS added them in October 2024;
 * a current v2 has them). It is given the ECS model botocore has on this machine, as
 * `aws configure add-model` would, through AWS_DATA_PATH in a directory of the test's own.
 */
const modelDir = mkdtempSync(join(tmpdir(), 'berth-ecs-model-'));
before(async () => {
  const botocore = execFileSync(PYTHON3, ['-c', 'import botocore,os;print(os.path.dirname(botocore.__file__))'], { encoding: 'utf8' }).trim();
  mkdirSync(join(modelDir, 'ecs', '2014-11-13'), { recursive: true });
  writeFileSync(join(modelDir, 'ecs', '2014-11-13', 'service-2.json'), gunzipSync(readFileSync(join(botocore, 'data', 'ecs', '2014-11-13', 'service-2.json.gz'))));
});
after(() => { rmSync(modelDir, { recursive: true, force: true }); });

const ACCOUNT = '000000000000';
const arn = (resource: string) => `arn:aws:ecs:us-east-1:${ACCOUNT}:${resource}`;
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

async function cliRun(cli: AwsCli, args: readonly string[]) {
  return run(cli.bin, ['--endpoint-url', berth.endpoint, '--output', 'json', 'ecs', ...args], { env: { ...awsEnv(undefined, cli), AWS_DATA_PATH: `${modelDir}:${awsEnv(undefined, cli).AWS_DATA_PATH}` } });
}

for (const cli of AWS_CLIS) {
  describe(cli.name, () => {
    const call = async <T = Json>(...args: string[]): Promise<T> => {
      const r = await cliRun(cli, args);
      if (r.code !== 0) throw new Error(`${cli.name} ecs ${args.join(' ')} failed: ${r.stderr}`);
      return (r.stdout.trim() ? JSON.parse(r.stdout) : {}) as T;
    };
    const fails = async (...args: string[]): Promise<{ code: string; message: string }> => {
      const r = await cliRun(cli, args);
      assert.notEqual(r.code, 0, `expected ${args.join(' ')} to fail; it answered ${r.stdout}`);
      const m = /An error occurred \(([^)]+)\) when calling the \w+ operation: (.*)/s.exec(r.stderr);
      return { code: m?.[1] ?? r.stderr, message: m?.[2]?.trim() ?? '' };
    };
    const list = async (...extra: string[]) => (await call<{ serviceDeployments: Json[] }>('list-service-deployments', '--cluster', 'c', '--service', 'web', ...extra)).serviceDeployments;
    const describeOne = async (sd: string) => (await call<{ serviceDeployments: Json[] }>('describe-service-deployments', '--service-deployment-arns', sd)).serviceDeployments[0]!;

    test('create and update open service deployments; list, describe, revisions; a stop rolls back; refusals', async () => {
      await call('create-cluster', '--cluster-name', 'c');
      await call('register-task-definition', '--family', 'web', '--container-definitions', '[{"name":"web","image":"busybox","memory":64}]');
      await call('register-task-definition', '--family', 'web', '--container-definitions', '[{"name":"web","image":"busybox:2","memory":64}]');
      await call('create-service', '--cluster', 'c', '--service-name', 'web', '--task-definition', 'web:1', '--desired-count', '1');
      const [first] = await list();
      assert.match(first!.serviceDeploymentArn, /^arn:aws:ecs:us-east-1:000000000000:service-deployment\/c\/web\/[A-Za-z0-9_-]{22}$/);
      assert.match(first!.targetServiceRevisionArn, /^arn:aws:ecs:us-east-1:000000000000:service-revision\/c\/web\/\d{19}$/);
      assert.equal(first!.serviceArn, arn('service/c/web'));
      assert.equal(first!.clusterArn, arn('cluster/c'));
      // The service scheduler takes it up: IN_PROGRESS (no instance to place on, so it stays so).
      await until('the first deployment IN_PROGRESS', async () => ((await list())[0]!.status === 'IN_PROGRESS' ? true : undefined), 15_000);

      await call('update-service', '--cluster', 'c', '--service', 'web', '--task-definition', 'web:2');
      const [second, stopped] = await list();
      assert.equal(stopped!.serviceDeploymentArn, first!.serviceDeploymentArn);
      assert.equal(stopped!.status, 'STOPPED');
      assert.deepEqual((await list('--status', 'STOPPED')).map((d) => d.serviceDeploymentArn), [first!.serviceDeploymentArn]);
      const page = await call<{ serviceDeployments: Json[]; nextToken?: string }>('list-service-deployments', '--cluster', 'c', '--service', 'web', '--max-results', '1');
      assert.deepEqual(page.serviceDeployments.map((d) => d.serviceDeploymentArn), [second!.serviceDeploymentArn]);
      assert.ok(page.nextToken);

      const sd = await describeOne(second!.serviceDeploymentArn);
      assert.deepEqual(sd.sourceServiceRevisions.map((r: Json) => r.arn), [first!.targetServiceRevisionArn]);
      assert.deepEqual(sd.targetServiceRevision, { arn: second!.targetServiceRevisionArn, requestedTaskCount: 1, runningTaskCount: 0, pendingTaskCount: 0 });
      assert.deepEqual(sd.deploymentCircuitBreaker, { status: 'DISABLED', failureCount: 0, threshold: 3 });
      assert.deepEqual(sd.deploymentConfiguration.deploymentCircuitBreaker, { enable: false, rollback: false });
      const revisions = await call<{ serviceRevisions: Json[]; failures: Json[] }>('describe-service-revisions', '--service-revision-arns', first!.targetServiceRevisionArn, second!.targetServiceRevisionArn);
      assert.deepEqual(revisions.serviceRevisions.map((r) => [r.taskDefinition, r.containerImages]), [
        [arn('task-definition/web:1'), [{ containerName: 'web', image: 'busybox' }]],
        [arn('task-definition/web:2'), [{ containerName: 'web', image: 'busybox:2' }]],
      ]);
      assert.deepEqual(revisions.failures, []);

      // Refusals, each AWS's exception, changing nothing.
      const stopFirst = await fails('stop-service-deployment', '--service-deployment-arn', first!.serviceDeploymentArn, '--stop-type', 'ROLLBACK');
      assert.equal(stopFirst.code, 'ConflictException');
      assert.match(stopFirst.message, /is STOPPED and cannot be stopped/);
      const ghost = arn('service-deployment/c/web/ghost');
      assert.equal((await fails('stop-service-deployment', '--service-deployment-arn', ghost)).code, 'ServiceDeploymentNotFoundException');
      assert.equal((await fails('continue-service-deployment', '--service-deployment-arn', second!.serviceDeploymentArn, '--hook-id', 'h')).code, 'InvalidParameterException');
      assert.equal((await fails('list-service-deployments', '--cluster', 'c', '--service', 'ghost')).code, 'ServiceNotFoundException');
      assert.equal((await describeOne(second!.serviceDeploymentArn)).status, 'IN_PROGRESS');

      const stop = await call('stop-service-deployment', '--service-deployment-arn', second!.serviceDeploymentArn, '--stop-type', 'ROLLBACK');
      assert.deepEqual(stop, { serviceDeploymentArn: second!.serviceDeploymentArn });
      await until('the rollback in progress', async () => ((await describeOne(second!.serviceDeploymentArn)).status === 'ROLLBACK_IN_PROGRESS' ? true : undefined), 15_000);
      const rolling = await describeOne(second!.serviceDeploymentArn);
      assert.equal(rolling.rollback.serviceRevisionArn, first!.targetServiceRevisionArn);
      assert.equal(rolling.statusReason, 'Rollback requested with StopServiceDeployment.');
      const svc = (await call<{ services: Json[] }>('describe-services', '--cluster', 'c', '--services', 'web')).services[0]!;
      assert.equal(svc.taskDefinition, arn('task-definition/web:1'));
      assert.deepEqual(svc.deployments.map((d: Json) => [d.status, d.taskDefinition]), [['PRIMARY', arn('task-definition/web:1')], ['ACTIVE', arn('task-definition/web:2')], ['ACTIVE', arn('task-definition/web:1')]]);
    });
  });
}

test('boto3: the same, with its exception classes and paging', async () => {
  const script = `
import boto3, sys, time
ecs = boto3.client('ecs', endpoint_url=sys.argv[1])
ecs.create_cluster(clusterName='c')
ecs.register_task_definition(family='web', containerDefinitions=[{'name': 'web', 'image': 'busybox', 'memory': 64}])
ecs.create_service(cluster='c', serviceName='web', taskDefinition='web', desiredCount=1)
for i in range(3):
    ecs.update_service(cluster='c', service='web', forceNewDeployment=True)
page = ecs.list_service_deployments(cluster='c', service='web', maxResults=3)
assert len(page['serviceDeployments']) == 3 and 'nextToken' in page, page
rest = ecs.list_service_deployments(cluster='c', service='web', maxResults=3, nextToken=page['nextToken'])
assert len(rest['serviceDeployments']) == 1 and 'nextToken' not in rest, rest
newest = page['serviceDeployments'][0]['serviceDeploymentArn']
oldest = rest['serviceDeployments'][0]['serviceDeploymentArn']
assert [d['status'] for d in page['serviceDeployments'][1:] + rest['serviceDeployments']] == ['STOPPED'] * 3
future = ecs.list_service_deployments(cluster='c', service='web', createdAt={'after': time.time() + 3600})
assert future['serviceDeployments'] == [], future
d = ecs.describe_service_deployments(serviceDeploymentArns=[newest, newest.rsplit('/', 1)[0] + '/ghost'])
assert d['failures'][0]['reason'] == 'MISSING', d
target = d['serviceDeployments'][0]['targetServiceRevision']['arn']
r = ecs.describe_service_revisions(serviceRevisionArns=[target])['serviceRevisions'][0]
assert r['taskDefinition'].endswith(':task-definition/web:1') and r['guardDutyEnabled'] is False, r
for arn, exc in [(oldest, ecs.exceptions.ConflictException), (newest.rsplit('/', 1)[0] + '/ghost', ecs.exceptions.ServiceDeploymentNotFoundException)]:
    try:
        ecs.stop_service_deployment(serviceDeploymentArn=arn, stopType='ROLLBACK')
        raise SystemExit('expected a refusal for ' + arn)
    except exc:
        pass
try:
    ecs.stop_service_deployment(serviceDeploymentArn=newest, stopType='ABORT')
    raise SystemExit('expected UnsupportedFeatureException')
except ecs.exceptions.UnsupportedFeatureException:
    pass
assert ecs.stop_service_deployment(serviceDeploymentArn=newest)['serviceDeploymentArn'] == newest
s = ecs.describe_service_deployments(serviceDeploymentArns=[newest])['serviceDeployments'][0]
assert s['status'] in ('ROLLBACK_REQUESTED', 'ROLLBACK_IN_PROGRESS') and s['rollback']['serviceRevisionArn'], s
print('ok')
`;
  const r = await run(PYTHON3, ['-c', script, berth.endpoint], { env: awsEnv() });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), 'ok');
});

test('AWS SDK for JavaScript: every answer has the members and types of the ECS model', async () => {
  const { client, answers } = recordingEcsClient(berth.endpoint);
  try {
    await client.send(new ecs.CreateClusterCommand({ clusterName: 'c' }));
    await client.send(new ecs.RegisterTaskDefinitionCommand({ family: 'web', containerDefinitions: [{ name: 'web', image: 'busybox', memory: 64 }] }));
    await client.send(new ecs.CreateServiceCommand({ cluster: 'c', serviceName: 'web', taskDefinition: 'web', desiredCount: 1, deploymentConfiguration: { deploymentCircuitBreaker: { enable: true, rollback: true } } }));
    await client.send(new ecs.UpdateServiceCommand({ cluster: 'c', service: 'web', forceNewDeployment: true }));
    const listed = await client.send(new ecs.ListServiceDeploymentsCommand({ cluster: 'c', service: 'web' }));
    const arns = listed.serviceDeployments!.map((d) => d.serviceDeploymentArn!);
    assert.equal(arns.length, 2);
    const described = await client.send(new ecs.DescribeServiceDeploymentsCommand({ serviceDeploymentArns: arns }));
    assert.deepEqual(described.serviceDeployments!.map((d) => d.deploymentCircuitBreaker?.status), ['MONITORING', 'MONITORING_COMPLETE']);
    const revisions = described.serviceDeployments!.map((d) => d.targetServiceRevision!.arn!);
    await client.send(new ecs.DescribeServiceRevisionsCommand({ serviceRevisionArns: revisions }));
    await client.send(new ecs.StopServiceDeploymentCommand({ serviceDeploymentArn: arns[0]!, stopType: 'ROLLBACK' }));
    const after = await client.send(new ecs.DescribeServiceDeploymentsCommand({ serviceDeploymentArns: [arns[0]!] }));
    assert.ok(after.serviceDeployments![0]!.rollback?.startedAt instanceof Date);
    await assert.rejects(client.send(new ecs.DescribeServiceDeploymentsCommand({ serviceDeploymentArns: Array.from({ length: 21 }, () => arns[0]!) })), (e: Error) => e.name === 'InvalidParameterException');
    assert.deepEqual(checkAnswers(botocoreModel('ecs'), answers), []);
  } finally {
    client.destroy();
  }
});
