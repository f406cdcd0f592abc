// Clusters through both aws CLIs against `berth up`: create, describe (with include),
// list with pagination, update, delete, and the errors AWS gives.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AWS_CLIS, aws, awsFails } from './support/aws-cli.ts';
import { sharedBerth } from './support/shared-berth.ts';

const berth = sharedBerth();

interface Cluster { clusterArn: string; clusterName: string; status: string; tags?: { key: string; value: string }[]; settings?: { name: string; value: string }[]; statistics?: unknown[] }

for (const cli of AWS_CLIS) {
  describe(cli.name, () => {
    const ecs = <T = Record<string, unknown>>(...args: string[]) => aws<T>(cli, berth.endpoint, ['ecs', ...args]);

    test('create, describe with include, and delete a cluster', async () => {
      const created = await ecs<{ cluster: Cluster }>('create-cluster', '--cluster-name', 'demo', '--tags', 'key=team,value=core', '--settings', 'name=containerInsights,value=enabled');
      assert.equal(created.cluster.clusterArn, 'arn:aws:ecs:us-east-1:000000000000:cluster/demo');
      assert.equal(created.cluster.status, 'ACTIVE');

      const plain = await ecs<{ clusters: Cluster[]; failures: unknown[] }>('describe-clusters', '--clusters', 'demo');
      // Unasked, AWS sends these members empty rather than leaving them out.
      assert.deepEqual(plain.clusters[0]!.tags, [], 'tags only with --include TAGS');
      assert.deepEqual(plain.clusters[0]!.settings, [], 'settings only with --include SETTINGS');
      assert.deepEqual(plain.clusters[0]!.statistics, [], 'statistics only with --include STATISTICS');

      const full = await ecs<{ clusters: Cluster[] }>('describe-clusters', '--clusters', created.cluster.clusterArn, '--include', 'TAGS', 'SETTINGS', 'STATISTICS');
      assert.deepEqual(full.clusters[0]!.tags, [{ key: 'team', value: 'core' }]);
      assert.deepEqual(full.clusters[0]!.settings, [{ name: 'containerInsights', value: 'enabled' }]);
      assert.ok(full.clusters[0]!.statistics!.length > 0);

      const deleted = await ecs<{ cluster: Cluster }>('delete-cluster', '--cluster', 'demo');
      assert.equal(deleted.cluster.status, 'INACTIVE');
      const afterDelete = await ecs<{ clusters: Cluster[] }>('describe-clusters', '--clusters', 'demo');
      assert.equal(afterDelete.clusters[0]!.status, 'INACTIVE', 'a deleted cluster stays describable as INACTIVE');
      assert.deepEqual((await ecs<{ clusterArns: string[] }>('list-clusters')).clusterArns, []);
    });

    test('creating an existing cluster answers with it, unchanged', async () => {
      await ecs('create-cluster', '--cluster-name', 'same', '--tags', 'key=a,value=1');
      const again = await ecs<{ cluster: Cluster }>('create-cluster', '--cluster-name', 'same');
      assert.deepEqual(again.cluster.tags, [{ key: 'a', value: '1' }]);
      assert.equal((await ecs<{ clusterArns: string[] }>('list-clusters')).clusterArns.length, 1);
    });

    test('describing a missing cluster gives a MISSING failure; the default cluster is the default', async () => {
      const out = await ecs<{ clusters: Cluster[]; failures: { arn: string; reason: string }[] }>('describe-clusters', '--clusters', 'nope');
      assert.deepEqual(out.failures, [{ arn: 'arn:aws:ecs:us-east-1:000000000000:cluster/nope', reason: 'MISSING' }]);
      await ecs('create-cluster');
      const dflt = await ecs<{ clusters: Cluster[] }>('describe-clusters');
      assert.equal(dflt.clusters[0]!.clusterName, 'default');
    });

    test('list-clusters pages with max-items and starting-token', async () => {
      for (const n of ['c1', 'c2', 'c3', 'c4', 'c5']) await ecs('create-cluster', '--cluster-name', n);
      const first = await ecs<{ clusterArns: string[]; NextToken?: string }>('list-clusters', '--max-items', '2');
      assert.equal(first.clusterArns.length, 2);
      assert.ok(first.NextToken);
      const rest = await ecs<{ clusterArns: string[] }>('list-clusters', '--starting-token', first.NextToken!);
      assert.deepEqual([...first.clusterArns, ...rest.clusterArns].map((a) => a.split('/')[1]), ['c1', 'c2', 'c3', 'c4', 'c5']);
      const paged = await ecs<{ clusterArns: string[] }>('list-clusters', '--page-size', '2');
      assert.equal(paged.clusterArns.length, 5, 'the CLI follows nextToken across pages of 2');
    });

    test('update-cluster-settings and update-cluster change settings', async () => {
      await ecs('create-cluster', '--cluster-name', 'u');
      const s = await ecs<{ cluster: Cluster }>('update-cluster-settings', '--cluster', 'u', '--settings', 'name=containerInsights,value=enhanced');
      assert.deepEqual(s.cluster.settings, [{ name: 'containerInsights', value: 'enhanced' }]);
      const u = await ecs<{ cluster: Cluster }>('update-cluster', '--cluster', 'u', '--settings', 'name=containerInsights,value=disabled');
      assert.deepEqual(u.cluster.settings, [{ name: 'containerInsights', value: 'disabled' }]);
    });

    test('errors: missing cluster, bad name, bad setting, page size out of range', async () => {
      const missing = await awsFails(cli, berth.endpoint, ['ecs', 'delete-cluster', '--cluster', 'ghost']);
      assert.equal(missing.code, 'ClusterNotFoundException');
      const badName = await awsFails(cli, berth.endpoint, ['ecs', 'create-cluster', '--cluster-name', 'bad name!']);
      assert.equal(badName.code, 'InvalidParameterException');
      await ecs('create-cluster', '--cluster-name', 'x');
      const badSetting = await awsFails(cli, berth.endpoint, ['ecs', 'update-cluster-settings', '--cluster', 'x', '--settings', 'name=containerInsights,value=maybe']);
      assert.equal(badSetting.code, 'InvalidParameterException');
      assert.match(badSetting.message, /enabled, disabled, enhanced/);
      const badPage = await awsFails(cli, berth.endpoint, ['ecs', 'list-clusters', '--page-size', '101']);
      assert.equal(badPage.code, 'InvalidParameterException');
    });

    test('a cluster with a registered container instance cannot be deleted', async () => {
      await ecs('create-cluster', '--cluster-name', 'busy');
      const reg = await ecs<{ containerInstance: { containerInstanceArn: string } }>('register-container-instance', '--cluster', 'busy',
        '--total-resources', 'name=CPU,type=INTEGER,integerValue=2048', 'name=MEMORY,type=INTEGER,integerValue=4096');
      const refused = await awsFails(cli, berth.endpoint, ['ecs', 'delete-cluster', '--cluster', 'busy']);
      assert.equal(refused.code, 'ClusterContainsContainerInstancesException');
      await ecs('deregister-container-instance', '--cluster', 'busy', '--container-instance', reg.containerInstance.containerInstanceArn);
      assert.equal((await ecs<{ cluster: Cluster }>('delete-cluster', '--cluster', 'busy')).cluster.status, 'INACTIVE');
    });
  });
}
