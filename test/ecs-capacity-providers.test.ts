// Capacity providers through the aws CLI v2 and boto3 against `berth up`: create, describe
// (with FARGATE and FARGATE_SPOT, include TAGS, pages), update, delete, tags;
// PutClusterCapacityProviders and what DescribeClusters answers; every bad input with
// AWS's exception and message, and nothing changed. An agent joining a provider:
// test/ecs-capacity-providers-agent.test.ts (needs root and the host lock).
// Debian's aws CLI v2 (2.9) predates managed draining, the provider `type` and
// describe-capacity-providers --cluster, and still requires autoScalingGroupProvider: it
// drops those members from answers and cannot send them, so boto3 checks them.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AWS_CLIS, aws, awsEnv, awsFails, PYTHON3 } from './support/aws-cli.ts';
import { sharedBerth } from './support/shared-berth.ts';
import { run } from './support/run.ts';

const berth = sharedBerth();

const cli = AWS_CLIS[1];
const ecs = <T = Record<string, unknown>>(...args: string[]) => aws<T>(cli, berth.endpoint, ['ecs', ...args]);
const fails = (...args: string[]) => awsFails(cli, berth.endpoint, ['ecs', ...args]);
const ASG = 'arn:aws:autoscaling:us-east-1:000000000000:autoScalingGroup:57ffcb94-11f0-4d6d-bf60-3bac5EXAMPLE:autoScalingGroupName/MyASG';
const ARN = (name: string) => `arn:aws:ecs:us-east-1:000000000000:capacity-provider/${name}`;

interface Provider { name: string; status: string; updateStatus?: string; updateStatusReason?: string; tags: { key: string; value: string }[]; autoScalingGroupProvider?: Record<string, unknown>; type?: string }
interface Cluster { capacityProviders: string[]; defaultCapacityProviderStrategy: { capacityProvider: string; weight: number; base: number }[] }

const describeAll = async () => (await ecs<{ capacityProviders: Provider[] }>('describe-capacity-providers')).capacityProviders;
const clusterOf = async (name: string) => (await ecs<{ clusters: Cluster[] }>('describe-clusters', '--clusters', name)).clusters[0]!;

describe(cli.name, () => {
  test('create, describe (with FARGATE and FARGATE_SPOT), update, tag and delete a provider: AWS\'s shapes', async () => {
    const created = await ecs<{ capacityProvider: Provider }>('create-capacity-provider', '--name', 'MyCapacityProvider', '--tags', 'key=team,value=core',
      '--auto-scaling-group-provider', `autoScalingGroupArn=${ASG},managedScaling={status=ENABLED,targetCapacity=90},managedTerminationProtection=ENABLED`);
    assert.deepEqual(created.capacityProvider, {
      capacityProviderArn: ARN('MyCapacityProvider'), name: 'MyCapacityProvider', status: 'ACTIVE',
      autoScalingGroupProvider: {
        autoScalingGroupArn: ASG,
        managedScaling: { status: 'ENABLED', targetCapacity: 90, minimumScalingStepSize: 1, maximumScalingStepSize: 10000, instanceWarmupPeriod: 300 },
        managedTerminationProtection: 'ENABLED',
      },
      tags: [{ key: 'team', value: 'core' }],
    });

    const all = await describeAll();
    assert.deepEqual(all.map((p) => p.name), ['MyCapacityProvider', 'FARGATE', 'FARGATE_SPOT'], 'every account has FARGATE and FARGATE_SPOT, listed after its own');
    assert.deepEqual(all[1], { capacityProviderArn: ARN('FARGATE'), name: 'FARGATE', status: 'ACTIVE', tags: [] });
    assert.deepEqual(all[0]!.tags, [], 'tags only with --include TAGS');
    const tagged = await ecs<{ capacityProviders: Provider[]; failures: unknown[] }>('describe-capacity-providers', '--capacity-providers', ARN('MyCapacityProvider'), 'ghost', '--include', 'TAGS');
    assert.deepEqual(tagged.capacityProviders[0]!.tags, [{ key: 'team', value: 'core' }]);
    assert.deepEqual(tagged.failures, [{ arn: ARN('ghost'), reason: 'MISSING' }]);

    const updated = await ecs<{ capacityProvider: Provider }>('update-capacity-provider', '--name', 'MyCapacityProvider',
      '--auto-scaling-group-provider', 'managedScaling={status=DISABLED,targetCapacity=50,minimumScalingStepSize=2,maximumScalingStepSize=30,instanceWarmupPeriod=200}');
    assert.equal(updated.capacityProvider.updateStatus, 'UPDATE_IN_PROGRESS', "AWS's answer: the update has begun");
    const [after] = (await ecs<{ capacityProviders: Provider[] }>('describe-capacity-providers', '--capacity-providers', 'MyCapacityProvider')).capacityProviders;
    assert.equal(after!.updateStatus, 'UPDATE_COMPLETE');
    assert.deepEqual(after!.autoScalingGroupProvider, {
      autoScalingGroupArn: ASG,
      managedScaling: { status: 'DISABLED', targetCapacity: 50, minimumScalingStepSize: 2, maximumScalingStepSize: 30, instanceWarmupPeriod: 200 },
      managedTerminationProtection: 'ENABLED',
    }, 'what the update left out keeps its value');

    await ecs('tag-resource', '--resource-arn', ARN('MyCapacityProvider'), '--tags', 'key=env,value=prod');
    await ecs('untag-resource', '--resource-arn', ARN('MyCapacityProvider'), '--tag-keys', 'team');
    assert.deepEqual((await ecs<{ tags: unknown[] }>('list-tags-for-resource', '--resource-arn', ARN('MyCapacityProvider'))).tags, [{ key: 'env', value: 'prod' }]);

    const deleted = await ecs<{ capacityProvider: Provider }>('delete-capacity-provider', '--capacity-provider', ARN('MyCapacityProvider'));
    assert.deepEqual([deleted.capacityProvider.status, deleted.capacityProvider.updateStatus], ['ACTIVE', 'DELETE_IN_PROGRESS']);
    const gone = (await ecs<{ capacityProviders: Provider[] }>('describe-capacity-providers', '--capacity-providers', 'MyCapacityProvider')).capacityProviders[0]!;
    assert.deepEqual([gone.status, gone.updateStatus], ['INACTIVE', 'DELETE_COMPLETE'], 'a deleted provider stays describable');
    assert.deepEqual((await describeAll()).map((p) => p.name), ['FARGATE', 'FARGATE_SPOT']);
    // Its name can be used again.
    await ecs('create-capacity-provider', '--name', 'MyCapacityProvider', '--auto-scaling-group-provider', `autoScalingGroupArn=${ASG}`);
  });

  test('bad providers are refused with AWS\'s exception and message, and nothing is made or changed', async () => {
    await ecs('create-capacity-provider', '--name', 'hosts', '--auto-scaling-group-provider', `autoScalingGroupArn=${ASG}`);
    const before = await describeAll();
    const invalidName = 'The specified capacity provider name is invalid. Up to 255 characters are allowed, including letters (upper and lowercase), numbers, underscores, and hyphens. The name cannot be prefixed with "aws", "ecs", or "fargate". Specify a valid name and try again.';
    for (const name of ['aws-hosts', 'ECSpool', 'fargate2', 'bad name', 'x'.repeat(256)]) {
      const e = await fails('create-capacity-provider', '--name', name, '--auto-scaling-group-provider', `autoScalingGroupArn=${ASG}-${name.length}`);
      assert.deepEqual([e.code, e.message], ['InvalidParameterException', invalidName], name);
    }
    const dup = await fails('create-capacity-provider', '--name', 'hosts', '--auto-scaling-group-provider', 'autoScalingGroupArn=other');
    assert.deepEqual([dup.code, dup.message], ['ClientException', 'The specified capacity provider already exists. To change the configuration of an existing capacity provider, update the capacity provider.']);
    const sameGroup = await fails('create-capacity-provider', '--name', 'hosts2', '--auto-scaling-group-provider', `autoScalingGroupArn=${ASG}`);
    assert.equal(sameGroup.code, 'ClientException');
    assert.match(sameGroup.message, /^The specified Auto Scaling group ARN is already being used by another capacity provider/);
    const target = await fails('create-capacity-provider', '--name', 'big', '--auto-scaling-group-provider', 'autoScalingGroupArn=big,managedScaling={targetCapacity=101}');
    assert.deepEqual([target.code, target.message], ['InvalidParameterException', 'autoScalingGroupProvider.managedScaling.targetCapacity must be between 1 and 100; it was 101.']);
    const steps = await fails('update-capacity-provider', '--name', 'hosts', '--auto-scaling-group-provider', 'managedScaling={minimumScalingStepSize=20,maximumScalingStepSize=10}');
    assert.equal(steps.code, 'InvalidParameterException');
    const missing = 'The specified capacity provider does not exist. Specify a valid name or ARN and try again.';
    for (const args of [['update-capacity-provider', '--name', 'ghost', '--auto-scaling-group-provider', 'managedTerminationProtection=ENABLED'], ['delete-capacity-provider', '--capacity-provider', 'ghost']]) {
      const e = await fails(...args);
      assert.deepEqual([e.code, e.message], ['ClientException', missing], args[0]);
    }
    const reserved = await fails('delete-capacity-provider', '--capacity-provider', 'FARGATE');
    assert.equal(reserved.code, 'ClientException');
    assert.match(reserved.message, /FARGATE capacity provider is reserved and cannot be deleted/);
    assert.deepEqual(await describeAll(), before, 'nothing was made or changed');
  });

  test('put-cluster-capacity-providers associates providers and sets the default strategy; describe-clusters answers them', async () => {
    await ecs('create-cluster', '--cluster-name', 'MyCluster');
    assert.deepEqual(await clusterOf('MyCluster'), { ...(await clusterOf('MyCluster')), capacityProviders: [], defaultCapacityProviderStrategy: [] });
    for (const n of ['MyCapacityProvider1', 'MyCapacityProvider2']) await ecs('create-capacity-provider', '--name', n, '--auto-scaling-group-provider', `autoScalingGroupArn=${n}`);
    const put = await ecs<{ cluster: Cluster }>('put-cluster-capacity-providers', '--cluster', 'MyCluster', '--capacity-providers', 'MyCapacityProvider1', 'MyCapacityProvider2', 'FARGATE',
      '--default-capacity-provider-strategy', 'capacityProvider=MyCapacityProvider1,weight=1,base=2', 'capacityProvider=MyCapacityProvider2,weight=1');
    const expected = {
      capacityProviders: ['MyCapacityProvider1', 'MyCapacityProvider2', 'FARGATE'],
      defaultCapacityProviderStrategy: [{ capacityProvider: 'MyCapacityProvider1', weight: 1, base: 2 }, { capacityProvider: 'MyCapacityProvider2', weight: 1, base: 0 }],
    };
    assert.deepEqual({ capacityProviders: put.cluster.capacityProviders, defaultCapacityProviderStrategy: put.cluster.defaultCapacityProviderStrategy }, expected);
    const described = await clusterOf('MyCluster');
    assert.deepEqual({ capacityProviders: described.capacityProviders, defaultCapacityProviderStrategy: described.defaultCapacityProviderStrategy }, expected);

    // Associated: a delete does not happen, and the provider says why.
    const refused = await ecs<{ capacityProvider: Provider }>('delete-capacity-provider', '--capacity-provider', 'MyCapacityProvider2');
    assert.deepEqual([refused.capacityProvider.status, refused.capacityProvider.updateStatus, refused.capacityProvider.updateStatusReason],
      ['ACTIVE', 'DELETE_FAILED', 'The capacity provider cannot be deleted because it is associated with cluster: MyCluster. Remove the capacity provider from the cluster and try again.']);

    // Taken away from the cluster, it can be deleted.
    const removed = await ecs<{ cluster: Cluster }>('put-cluster-capacity-providers', '--cluster', 'MyCluster', '--capacity-providers', 'MyCapacityProvider1',
      '--default-capacity-provider-strategy', 'capacityProvider=MyCapacityProvider1,weight=1');
    assert.deepEqual(removed.cluster.capacityProviders, ['MyCapacityProvider1']);
    assert.equal((await ecs<{ capacityProvider: Provider }>('delete-capacity-provider', '--capacity-provider', 'MyCapacityProvider2')).capacityProvider.updateStatus, 'DELETE_IN_PROGRESS');

    // An empty list and strategy clear both, and answer them empty.
    const cleared = await ecs<{ cluster: Cluster }>('put-cluster-capacity-providers', '--cluster', 'MyCluster', '--capacity-providers', '[]', '--default-capacity-provider-strategy', '[]');
    assert.deepEqual([cleared.cluster.capacityProviders, cleared.cluster.defaultCapacityProviderStrategy], [[], []]);
  });

  test('create-cluster with providers and a default strategy, and every bad put refused with nothing changed', async () => {
    await ecs('create-capacity-provider', '--name', 'cp1', '--auto-scaling-group-provider', 'autoScalingGroupArn=g1');
    await ecs('create-capacity-provider', '--name', 'cp2', '--auto-scaling-group-provider', 'autoScalingGroupArn=g2');
    await ecs('create-cluster', '--cluster-name', 'c', '--capacity-providers', 'cp1', '--default-capacity-provider-strategy', 'capacityProvider=cp1,weight=3');
    const start = await clusterOf('c');
    assert.deepEqual(start.defaultCapacityProviderStrategy, [{ capacityProvider: 'cp1', weight: 3, base: 0 }]);

    const put = (providers: string[], ...strategy: string[]) => fails('put-cluster-capacity-providers', '--cluster', 'c', '--capacity-providers', ...(providers.length ? providers : ['[]']),
      '--default-capacity-provider-strategy', ...(strategy.length ? strategy : ['[]']));
    const cases: [string, Promise<{ code: string; message: string }>, string, string | RegExp][] = [
      ['a default strategy naming a provider the cluster will not have', put(['cp1'], 'capacityProvider=cp2,weight=1'), 'InvalidParameterException',
        'The specified capacity provider strategy cannot contain a capacity provider that is not associated with the cluster. Associate the capacity provider with the cluster or specify a valid capacity provider and try again.'],
      ['a provider that does not exist', put(['cp1', 'nope']), 'InvalidParameterException', /^The specified capacity provider was not found\. Specify a valid capacity provider and try again\./],
      ['a base on two providers', put(['cp1', 'cp2'], 'capacityProvider=cp1,weight=1,base=1', 'capacityProvider=cp2,weight=1,base=2'), 'InvalidParameterException', /only one capacity provider in a strategy can have a base/],
      ['a provider twice in the strategy', put(['cp1'], 'capacityProvider=cp1,weight=1', 'capacityProvider=cp1,weight=2'), 'InvalidParameterException', /cannot contain duplicate capacity providers/],
      ['a weight over 1000', put(['cp1'], 'capacityProvider=cp1,weight=1001'), 'InvalidParameterException', /weight of capacity provider cp1 .* between 0 and 1000/],
      ['more than 20 providers', put(Array.from({ length: 21 }, (_, n) => `cp${n}`)), 'InvalidParameterException', /^The maximum number of capacity providers per cluster has been exceeded/],
      ['a missing cluster', fails('put-cluster-capacity-providers', '--cluster', 'ghost', '--capacity-providers', 'cp1', '--default-capacity-provider-strategy', '[]'), 'ClusterNotFoundException', /^Cluster not found/],
    ];
    for (const [what, p, code, message] of cases) {
      const e = await p;
      assert.equal(e.code, code, what);
      if (typeof message === 'string') assert.equal(e.message, message, what);
      else assert.match(e.message, message, what);
    }
    assert.deepEqual(await clusterOf('c'), start, 'the cluster is unchanged');
    const again = await fails('create-cluster', '--cluster-name', 'c', '--capacity-providers', 'cp1', 'cp2', '--default-capacity-provider-strategy', 'capacityProvider=cp1,weight=3');
    assert.equal(again.code, 'InvalidParameterException');
    assert.match(again.message, /^Arguments on this idempotent request are inconsistent with arguments used in previous request\(s\)\./);
    await ecs('create-cluster', '--cluster-name', 'c', '--capacity-providers', 'cp1', '--default-capacity-provider-strategy', 'capacityProvider=cp1,weight=3');
    const created = await fails('create-cluster', '--cluster-name', 'd', '--capacity-providers', 'cp1', '--default-capacity-provider-strategy', 'capacityProvider=cp2,weight=1');
    assert.equal(created.code, 'InvalidParameterException');
    assert.deepEqual((await ecs<{ clusterArns: string[] }>('list-clusters')).clusterArns.map((a) => a.split('/')[1]), ['c'], 'no cluster was made');
  });
});

test('boto3: the members the old CLI drops, pages of describe_capacity_providers, a cluster\'s providers, and the errors as botocore raises them', async () => {
  const script = `
import boto3, botocore, sys
ecs = boto3.client('ecs', endpoint_url=sys.argv[1])
for n in ['p1', 'p2', 'p3']:
    ecs.create_capacity_provider(name=n, autoScalingGroupProvider={'autoScalingGroupArn': 'group-' + n}, tags=[{'key': 'n', 'value': n}])
p = ecs.describe_capacity_providers(capacityProviders=['p1', 'FARGATE'])['capacityProviders']
assert p[0]['type'] == 'EC2_AUTOSCALING' and p[0]['autoScalingGroupProvider']['managedDraining'] == 'ENABLED' and p[1]['type'] == 'FARGATE', p
ecs.update_capacity_provider(name='p1', autoScalingGroupProvider={'managedDraining': 'DISABLED'})
assert ecs.describe_capacity_providers(capacityProviders=['p1'])['capacityProviders'][0]['autoScalingGroupProvider']['managedDraining'] == 'DISABLED'
names, token = [], None
while True:
    page = ecs.describe_capacity_providers(maxResults=2, include=['TAGS'], **({'nextToken': token} if token else {}))
    assert len(page['capacityProviders']) <= 2, page
    names += [p['name'] for p in page['capacityProviders']]
    token = page.get('nextToken')
    if not token: break
assert names == ['p1', 'p2', 'p3', 'FARGATE', 'FARGATE_SPOT'], names
ecs.create_cluster(clusterName='b3', capacityProviders=['p1', 'FARGATE_SPOT'], defaultCapacityProviderStrategy=[{'capacityProvider': 'p1', 'weight': 1, 'base': 1}])
c = ecs.describe_clusters(clusters=['b3'])['clusters'][0]
assert c['capacityProviders'] == ['p1', 'FARGATE_SPOT'] and c['defaultCapacityProviderStrategy'] == [{'capacityProvider': 'p1', 'weight': 1, 'base': 1}], c
assert [p['name'] for p in ecs.describe_capacity_providers(cluster='b3')['capacityProviders']] == ['p1', 'FARGATE_SPOT']
def code(f):
    try:
        f()
    except botocore.exceptions.ClientError as e:
        return e.response['Error']['Code'], e.response['Error']['Message']
    raise AssertionError('expected an error')
assert code(lambda: ecs.create_capacity_provider(name='awsx', autoScalingGroupProvider={'autoScalingGroupArn': 'g'}))[0] == 'InvalidParameterException'
assert code(lambda: ecs.put_cluster_capacity_providers(cluster='b3', capacityProviders=['p2'], defaultCapacityProviderStrategy=[{'capacityProvider': 'p1', 'weight': 1}])) == ('InvalidParameterException', 'The specified capacity provider strategy cannot contain a capacity provider that is not associated with the cluster. Associate the capacity provider with the cluster or specify a valid capacity provider and try again.')
assert code(lambda: ecs.delete_capacity_provider(capacityProvider='FARGATE_SPOT'))[0] == 'ClientException'
assert code(lambda: ecs.create_capacity_provider(name='nogroup'))[0] == 'InvalidParameterException'
assert [p['name'] for p in ecs.describe_capacity_providers()['capacityProviders']] == ['p1', 'p2', 'p3', 'FARGATE', 'FARGATE_SPOT'], 'nothing made'
r = ecs.delete_capacity_provider(capacityProvider='p1')['capacityProvider']
assert r['updateStatus'] == 'DELETE_FAILED' and r['status'] == 'ACTIVE', r
ecs.delete_cluster(cluster='b3')
assert ecs.delete_capacity_provider(capacityProvider='p1')['capacityProvider']['updateStatus'] == 'DELETE_IN_PROGRESS'
`;
  const r = await run(PYTHON3, ['-c', script, berth.endpoint], { env: awsEnv() });
  assert.equal(r.code, 0, r.stderr);
});
