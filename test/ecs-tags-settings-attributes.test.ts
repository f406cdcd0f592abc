// Tags, account settings, container instances and attributes through both aws CLIs,
// and the same calls through the AWS SDK for JavaScript v3.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ECSClient, ListAccountSettingsCommand, PutAccountSettingDefaultCommand, TagResourceCommand, ListTagsForResourceCommand, CreateClusterCommand } from '@aws-sdk/client-ecs';
import { AWS_CLIS, aws, awsFails } from './support/aws-cli.ts';
import { sharedBerth } from './support/shared-berth.ts';

const berth = sharedBerth();

const ARN = 'arn:aws:ecs:us-east-1:000000000000';

for (const cli of AWS_CLIS) {
  describe(cli.name, () => {
    const ecs = <T = Record<string, unknown>>(...args: string[]) => aws<T>(cli, berth.endpoint, ['ecs', ...args]);
    const fails = (...args: string[]) => awsFails(cli, berth.endpoint, ['ecs', ...args]);

    test('tag, list and untag clusters and task definitions', async () => {
      await ecs('create-cluster', '--cluster-name', 't');
      await ecs('tag-resource', '--resource-arn', `${ARN}:cluster/t`, '--tags', 'key=a,value=1', 'key=b,value=2');
      await ecs('tag-resource', '--resource-arn', `${ARN}:cluster/t`, '--tags', 'key=a,value=3');
      assert.deepEqual((await ecs<{ tags: unknown[] }>('list-tags-for-resource', '--resource-arn', `${ARN}:cluster/t`)).tags, [{ key: 'a', value: '3' }, { key: 'b', value: '2' }]);
      await ecs('untag-resource', '--resource-arn', `${ARN}:cluster/t`, '--tag-keys', 'a');
      assert.deepEqual((await ecs<{ tags: unknown[] }>('list-tags-for-resource', '--resource-arn', `${ARN}:cluster/t`)).tags, [{ key: 'b', value: '2' }]);

      await ecs('register-task-definition', '--family', 'tagged', '--container-definitions', '[{"name":"c","image":"busybox","memory":32}]');
      await ecs('tag-resource', '--resource-arn', `${ARN}:task-definition/tagged:1`, '--tags', 'key=env,value=test');
      assert.deepEqual((await ecs<{ tags: unknown[] }>('list-tags-for-resource', '--resource-arn', `${ARN}:task-definition/tagged:1`)).tags, [{ key: 'env', value: 'test' }]);
    });

    test('tag errors: reserved prefix, too many tags, unknown resource', async () => {
      await ecs('create-cluster', '--cluster-name', 't');
      assert.equal((await fails('tag-resource', '--resource-arn', `${ARN}:cluster/t`, '--tags', 'key=aws:x,value=1')).code, 'InvalidParameterException');
      const many = Array.from({ length: 51 }, (_, i) => `key=k${i},value=v`);
      assert.equal((await fails('tag-resource', '--resource-arn', `${ARN}:cluster/t`, '--tags', ...many)).code, 'InvalidParameterException');
      assert.equal((await fails('list-tags-for-resource', '--resource-arn', `${ARN}:cluster/ghost`)).code, 'ResourceNotFoundException');
      assert.deepEqual((await ecs<{ tags: unknown[] }>('list-tags-for-resource', '--resource-arn', `${ARN}:cluster/t`)).tags, [], 'refused tags change nothing');
    });

    test('account settings: put, default, effective, delete', async () => {
      const put = await ecs<{ setting: { name: string; value: string; principalArn: string } }>('put-account-setting', '--name', 'containerInsights', '--value', 'enabled');
      // Debian's CLI v2 (2.9) predates the `type` member and drops it from the output.
      const { type, ...setting } = put.setting as typeof put.setting & { type?: string };
      assert.deepEqual(setting, { name: 'containerInsights', value: 'enabled', principalArn: 'arn:aws:iam::000000000000:root' });
      if (cli.name === 'aws CLI v1') assert.equal(type, 'user');
      await ecs('put-account-setting-default', '--name', 'awsvpcTrunking', '--value', 'enabled');
      const own = await ecs<{ settings: { name: string; value: string }[] }>('list-account-settings');
      assert.deepEqual(own.settings.map((s) => [s.name, s.value]), [['containerInsights', 'enabled']]);
      const eff = await ecs<{ settings: { name: string; value: string }[] }>('list-account-settings', '--effective-settings');
      const byName = Object.fromEntries(eff.settings.map((s) => [s.name, s.value]));
      assert.equal(byName.containerInsights, 'enabled');
      assert.equal(byName.awsvpcTrunking, 'enabled');
      assert.equal(byName.serviceLongArnFormat, 'enabled');
      assert.ok(eff.settings.length >= 10, 'the CLI pages through every setting');
      // A cluster created now takes its containerInsights from the setting.
      const c = await ecs<{ cluster: { settings: { value: string }[] } }>('create-cluster', '--cluster-name', 'ci');
      assert.equal(c.cluster.settings[0]!.value, 'enabled');
      await ecs('delete-account-setting', '--name', 'containerInsights');
      assert.deepEqual((await ecs<{ settings: unknown[] }>('list-account-settings', '--name', 'containerInsights')).settings, []);
      assert.equal((await fails('put-account-setting', '--name', 'serviceLongArnFormat', '--value', 'sometimes')).code, 'InvalidParameterException');
    });

    test('container instances and attributes: register, put, list, filter, delete', async () => {
      await ecs('create-cluster', '--cluster-name', 'attrs');
      const doc = JSON.stringify({ instanceId: 'i-0123456789abcdef0', availabilityZone: 'us-east-1a', instanceType: 'm5.large' });
      const reg = await ecs<{ containerInstance: { containerInstanceArn: string; ec2InstanceId: string; attributes: { name: string; value?: string }[]; registeredResources: { name: string }[] } }>(
        'register-container-instance', '--cluster', 'attrs', '--instance-identity-document', doc,
        '--total-resources', 'name=CPU,type=INTEGER,integerValue=2048', 'name=MEMORY,type=INTEGER,integerValue=4096');
      const arn = reg.containerInstance.containerInstanceArn;
      assert.match(arn, /^arn:aws:ecs:us-east-1:000000000000:container-instance\/attrs\/[0-9a-f]{32}$/);
      assert.equal(reg.containerInstance.ec2InstanceId, 'i-0123456789abcdef0');
      assert.ok(reg.containerInstance.attributes.some((a) => a.name === 'ecs.availability-zone' && a.value === 'us-east-1a'));
      assert.deepEqual(reg.containerInstance.registeredResources.map((r) => r.name).sort(), ['CPU', 'MEMORY', 'PORTS', 'PORTS_UDP']);

      await ecs('put-attributes', '--cluster', 'attrs', '--attributes', `name=stack,value=prod,targetId=${arn}`, `name=gpu,targetId=${arn}`);
      const listed = await ecs<{ attributes: { name: string; value?: string; targetId: string }[] }>('list-attributes', '--cluster', 'attrs', '--target-type', 'container-instance', '--attribute-name', 'stack');
      assert.deepEqual(listed.attributes, [{ name: 'stack', value: 'prod', targetId: arn }]);
      const all = await ecs<{ attributes: unknown[] }>('list-attributes', '--cluster', 'attrs', '--target-type', 'container-instance', '--page-size', '2');
      assert.ok(all.attributes.length >= 4, 'built-in and custom attributes, across pages');
      await ecs('delete-attributes', '--cluster', 'attrs', '--attributes', `name=stack,targetId=${arn}`);
      assert.deepEqual((await ecs<{ attributes: unknown[] }>('list-attributes', '--cluster', 'attrs', '--target-type', 'container-instance', '--attribute-name', 'stack')).attributes, []);

      const described = await ecs<{ containerInstances: { attributes: { name: string }[]; status: string }[] }>('describe-container-instances', '--cluster', 'attrs', '--container-instances', arn);
      assert.ok(described.containerInstances[0]!.attributes.some((a) => a.name === 'gpu'));
      const drained = await ecs<{ containerInstances: { status: string }[] }>('update-container-instances-state', '--cluster', 'attrs', '--container-instances', arn, '--status', 'DRAINING');
      assert.equal(drained.containerInstances[0]!.status, 'DRAINING');
      assert.deepEqual((await ecs<{ containerInstanceArns: string[] }>('list-container-instances', '--cluster', 'attrs', '--status', 'DRAINING')).containerInstanceArns, [arn]);
    });

    test('attribute errors: unknown target, bad name, too many custom attributes', async () => {
      await ecs('create-cluster', '--cluster-name', 'attrs');
      const reg = await ecs<{ containerInstance: { containerInstanceArn: string } }>('register-container-instance', '--cluster', 'attrs', '--total-resources', 'name=CPU,type=INTEGER,integerValue=1024');
      const arn = reg.containerInstance.containerInstanceArn;
      assert.equal((await fails('put-attributes', '--cluster', 'attrs', '--attributes', 'name=a,value=b,targetId=0123456789abcdef0123456789abcdef')).code, 'TargetNotFoundException');
      assert.equal((await fails('put-attributes', '--cluster', 'attrs', '--attributes', `name=bad name!,targetId=${arn}`)).code, 'InvalidParameterException');
      const ten = Array.from({ length: 10 }, (_, i) => `name=a${i},value=v,targetId=${arn}`);
      await ecs('put-attributes', '--cluster', 'attrs', '--attributes', ...ten);
      assert.equal((await fails('put-attributes', '--cluster', 'attrs', '--attributes', `name=one-more,targetId=${arn}`)).code, 'AttributeLimitExceededException');
      assert.equal((await fails('list-attributes', '--cluster', 'ghost', '--target-type', 'container-instance')).code, 'ClusterNotFoundException');
    });
  });
}

describe('AWS SDK for JavaScript v3', () => {
  test('creates, tags and reads settings like any AWS client', async () => {
    const client = new ECSClient({ endpoint: berth.endpoint, region: 'eu-central-1', credentials: { accessKeyId: 'AKID', secretAccessKey: 'secret' } });
    try {
      const { cluster } = await client.send(new CreateClusterCommand({ clusterName: 'sdk', tags: [{ key: 'a', value: '1' }] }));
      assert.equal(cluster?.clusterArn, 'arn:aws:ecs:eu-central-1:000000000000:cluster/sdk', 'the region comes from the SigV4 scope');
      await client.send(new TagResourceCommand({ resourceArn: cluster!.clusterArn, tags: [{ key: 'b', value: '2' }] }));
      const tags = await client.send(new ListTagsForResourceCommand({ resourceArn: cluster!.clusterArn }));
      assert.deepEqual(tags.tags, [{ key: 'a', value: '1' }, { key: 'b', value: '2' }]);
      await client.send(new PutAccountSettingDefaultCommand({ name: 'containerInsights', value: 'enhanced' }));
      const s = await client.send(new ListAccountSettingsCommand({ effectiveSettings: true, name: 'containerInsights' }));
      assert.equal(s.settings?.[0]?.value, 'enhanced');
    } finally {
      client.destroy();
    }
  });
});
