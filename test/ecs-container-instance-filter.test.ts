// ListContainerInstances --filter: the cluster query language over registered instances,
// through both aws CLIs and the AWS SDK for JavaScript v3. No agent: instances are
// registered through the API with their identity documents and attributes.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ECSClient, ListContainerInstancesCommand } from '@aws-sdk/client-ecs';
import { AWS_CLIS, aws, awsFails } from './support/aws-cli.ts';
import { sharedBerth } from './support/shared-berth.ts';

const berth = sharedBerth();

const hosts = [
  { name: 'a', doc: { instanceId: 'i-0000000000000000a', availabilityZone: 'us-east-1a', instanceType: 't2.small', imageId: 'ami-1' }, attrs: ['name=stack,value=prod'] },
  { name: 'b', doc: { instanceId: 'i-0000000000000000b', availabilityZone: 'us-east-1b', instanceType: 't2.micro', imageId: 'ami-1' }, attrs: ['name=stack,value=dev'] },
  { name: 'c', doc: { instanceId: 'i-0000000000000000c', availabilityZone: 'us-east-1c', instanceType: 'm5.large', imageId: 'ami-2' }, attrs: [] },
];

for (const cli of AWS_CLIS) {
  describe(cli.name, () => {
    const ecs = <T = Record<string, unknown>>(...args: string[]) => aws<T>(cli, berth.endpoint, ['ecs', ...args]);
    const fails = (...args: string[]) => awsFails(cli, berth.endpoint, ['ecs', ...args]);

    /** Registers the three hosts; returns name → ARN. */
    const cluster = async (): Promise<Map<string, string>> => {
      await ecs('create-cluster', '--cluster-name', 'q');
      const arns = new Map<string, string>();
      for (const h of hosts) {
        const reg = await ecs<{ containerInstance: { containerInstanceArn: string } }>('register-container-instance', '--cluster', 'q',
          '--instance-identity-document', JSON.stringify(h.doc), '--total-resources', 'name=CPU,type=INTEGER,integerValue=1024',
          ...(h.attrs.length > 0 ? ['--attributes', ...h.attrs] : []));
        arns.set(h.name, reg.containerInstance.containerInstanceArn);
      }
      return arns;
    };
    const listed = async (arns: Map<string, string>, ...args: string[]) => {
      const out = await ecs<{ containerInstanceArns: string[] }>('list-container-instances', '--cluster', 'q', ...args);
      return out.containerInstanceArns.map((arn) => [...arns].find(([, a]) => a === arn)![0]).sort();
    };

    test('filters with built-in and custom attributes, lists, patterns and compound expressions', async () => {
      const arns = await cluster();
      assert.deepEqual(await listed(arns, '--filter', 'attribute:ecs.instance-type == t2.small'), ['a']);
      assert.deepEqual(await listed(arns, '--filter', 'attribute:ecs.instance-type =~ t2.*'), ['a', 'b']);
      assert.deepEqual(await listed(arns, '--filter', 'attribute:ecs.availability-zone in [us-east-1a, us-east-1c]'), ['a', 'c']);
      assert.deepEqual(await listed(arns, '--filter', 'attribute:stack exists and attribute:stack != dev'), ['a']);
      assert.deepEqual(await listed(arns, '--filter', 'not(attribute:stack exists) or attribute:ecs.ami-id == ami-2'), ['c']);
      assert.deepEqual(await listed(arns, '--filter', "ec2InstanceId in ['i-0000000000000000b']"), ['b']);
      assert.deepEqual(await listed(arns, '--filter', 'runningTasksCount == 0 and task:group !exists'), ['a', 'b', 'c']);
      assert.deepEqual(await listed(arns, '--filter', 'registeredAt > 2018-06-18'), ['a', 'b', 'c']);
    });

    test('the filter and the status combine', async () => {
      const arns = await cluster();
      await ecs('update-container-instances-state', '--cluster', 'q', '--container-instances', arns.get('b')!, '--status', 'DRAINING');
      assert.deepEqual(await listed(arns, '--filter', 'attribute:ecs.instance-type =~ t2.*', '--status', 'DRAINING'), ['b']);
      assert.deepEqual(await listed(arns, '--filter', 'attribute:ecs.instance-type =~ t2.*', '--status', 'ACTIVE'), ['a']);
    });

    test('an invalid expression is InvalidParameterException, even for a missing cluster', async () => {
      const e = await fails('list-container-instances', '--cluster', 'ghost', '--filter', 'attribute:stack ==');
      assert.equal(e.code, 'InvalidParameterException');
      assert.match(e.message, /cluster query language expression 'attribute:stack ==' is invalid at position 19: expected a value/);
      assert.equal((await fails('list-container-instances', '--cluster', 'ghost', '--filter', 'attribute:stack == prod')).code, 'ClusterNotFoundException');
    });
  });
}

test('the SDK for JavaScript v3 pages through a filtered list', async () => {
  const ecs = (...args: string[]) => aws(AWS_CLIS[0]!, berth.endpoint, ['ecs', ...args]);
  await ecs('create-cluster', '--cluster-name', 'sdk');
  for (let k = 0; k < 5; k++) {
    await ecs('register-container-instance', '--cluster', 'sdk', '--total-resources', 'name=CPU,type=INTEGER,integerValue=1024',
      '--attributes', `name=rack,value=r${k % 2}`);
  }
  const client = new ECSClient({ endpoint: berth.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'AKID', secretAccessKey: 'secret' }, maxAttempts: 1 });
  const seen: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await client.send(new ListContainerInstancesCommand({ cluster: 'sdk', filter: 'attribute:rack == r0', maxResults: 2, ...(nextToken && { nextToken }) }));
    seen.push(...page.containerInstanceArns!);
    nextToken = page.nextToken;
  } while (nextToken);
  assert.equal(seen.length, 3);
  assert.equal(new Set(seen).size, 3);
});
