// EKS through both aws CLIs and @aws-sdk/client-eks against a control plane with EKS
// served (the test KubeApiHost stands in for src/api/kube's): create → wait cluster-active
// → describe → update-kubeconfig → kubectl with the CLI's token → delete → wait
// cluster-deleted; node groups, Fargate profiles, access entries; the errors EKS gives,
// nothing changed; a restart reopens each cluster where it was.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateClusterCommand, DeleteClusterCommand, DescribeClusterCommand, EKSClient, ListClustersCommand, waitUntilClusterActive, waitUntilClusterDeleted } from '@aws-sdk/client-eks';
import { AWS_CLIS, aws, awsEnv, awsFails } from './support/aws-cli.ts';
import { startEksBerth, type EksBerth } from './support/eks-berth.ts';
import { run } from './support/run.ts';
import { until } from './support/until.ts';

let berth: EksBerth;
before(async () => {
  berth = await startEksBerth();
});
after(async () => {
  await berth.stop();
});

const ROLE = 'arn:aws:iam::000000000000:role/eks-cluster';
const create = ['create-cluster', '--role-arn', ROLE, '--resources-vpc-config', 'subnetIds=subnet-a,subnet-b'];

interface Cluster {
  name: string; arn: string; status: string; endpoint?: string; version: string; platformVersion: string;
  certificateAuthority: { data: string }; identity?: { oidc: { issuer: string } };
  kubernetesNetworkConfig: { serviceIpv4Cidr: string }; accessConfig: { bootstrapClusterCreatorAdminPermissions: boolean; authenticationMode: string };
  resourcesVpcConfig: { subnetIds: string[] }; tags: Record<string, string>;
}

/** The certificate a TLS server presents. */
function servedCertificate(endpoint: string): Promise<X509Certificate> {
  const url = new URL(endpoint);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: url.hostname, port: Number(url.port), rejectUnauthorized: false }, () => {
      const cert = socket.getPeerX509Certificate();
      socket.end();
      if (cert) resolve(cert);
      else reject(new Error('no certificate'));
    });
    socket.on('error', reject);
  });
}

for (const cli of AWS_CLIS) {
  describe(cli.name, () => {
    const eks = <T = Record<string, unknown>>(...args: string[]) => aws<T>(cli, berth.endpoint, ['eks', ...args]);
    const name = cli.name === 'aws CLI v1' ? 'one' : 'two';

    test('a cluster from create to delete: its CA, endpoint, kubeconfig and tokens', async () => {
      const created = await eks<{ cluster: Cluster }>(...create, '--name', name, '--tags', 'team=core');
      assert.equal(created.cluster.status, 'CREATING');
      assert.equal(created.cluster.arn, `arn:aws:eks:us-east-1:000000000000:cluster/${name}`);
      assert.equal(created.cluster.version, '1.32', 'the default version is the newest kubectl 1.32 speaks');
      assert.equal(created.cluster.kubernetesNetworkConfig.serviceIpv4Cidr, '10.100.0.0/16');
      // Debian's aws CLI v2 (2.9) has a model from before access entries: it drops accessConfig from what it prints.
      if (cli.name === 'aws CLI v1') assert.deepEqual(created.cluster.accessConfig, { bootstrapClusterCreatorAdminPermissions: true, authenticationMode: 'API_AND_CONFIG_MAP' });
      assert.deepEqual(created.cluster.resourcesVpcConfig.subnetIds, ['subnet-a', 'subnet-b']);
      // As on EKS, a cluster being created has no endpoint and no OIDC issuer yet.
      assert.equal(created.cluster.identity, undefined, 'no issuer while CREATING');
      assert.equal(created.cluster.endpoint, undefined, 'no endpoint while CREATING');

      await eks('wait', 'cluster-active', '--name', name);
      const { cluster } = await eks<{ cluster: Cluster }>('describe-cluster', '--name', name);
      assert.equal(cluster.status, 'ACTIVE');
      assert.match(cluster.endpoint!, /^https:\/\/127\.0\.0\.1:\d+$/);
      assert.equal(cluster.identity?.oidc.issuer, cluster.endpoint, 'the API server is the service account issuer');
      assert.deepEqual(cluster.tags, { team: 'core' });
      assert.equal(cluster.platformVersion, 'eks.1');

      // The CA is the cluster's own, and it signed what the endpoint serves, for the names clients dial.
      const ca = new X509Certificate(Buffer.from(cluster.certificateAuthority.data, 'base64'));
      assert.ok(ca.ca);
      const served = await servedCertificate(cluster.endpoint!);
      assert.ok(served.verify(ca.publicKey), 'the serving certificate is signed by the cluster CA');
      for (const san of ['IP Address:127.0.0.1', 'DNS:kubernetes', 'DNS:kubernetes.default.svc', 'IP Address:10.100.0.1']) assert.ok(served.subjectAltName!.includes(san), `${san} in ${served.subjectAltName}`);
      assert.ok(!JSON.stringify(cluster).includes('PRIVATE KEY'), 'keys never leave the store');

      // update-kubeconfig, then kubectl with nothing else: its exec plugin runs `aws eks get-token` (v1 on PATH).
      const dir = mkdtempSync(join(tmpdir(), 'berth-kubeconfig-'));
      try {
        const env = { ...awsEnv(), KUBECONFIG: join(dir, 'config'), AWS_ENDPOINT_URL: berth.endpoint };
        const up = await run(cli.bin, ['--endpoint-url', berth.endpoint, 'eks', 'update-kubeconfig', '--name', name], { env });
        assert.equal(up.code, 0, up.stderr);
        assert.match(readFileSync(join(dir, 'config'), 'utf8'), /get-token/);
        const before = berth.host.users.length;
        const version = await run('kubectl', ['version', '-o', 'json'], { env });
        assert.equal(version.code, 0, version.stderr);
        assert.equal((JSON.parse(version.stdout) as { serverVersion: { gitVersion: string } }).serverVersion.gitVersion, 'v1.32.0-eks-berth-test');
        const user = berth.host.users.at(-1)!;
        assert.ok(berth.host.users.length > before, 'the request came with a token the cluster accepted');
        assert.equal(user.username, 'arn:aws:iam::000000000000:root');
        assert.deepEqual(user.groups, ['system:authenticated'], 'in no privileged group, as on EKS');
        assert.deepEqual(user.accessPolicies, [{ clusterRole: 'cluster-admin' }], 'the creator is the cluster admin by its access policy');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }

      const deleting = await eks<{ cluster: Cluster }>('delete-cluster', '--name', name);
      assert.equal(deleting.cluster.status, 'DELETING');
      await eks('wait', 'cluster-deleted', '--name', name);
      assert.ok(!(await eks<{ clusters: string[] }>('list-clusters')).clusters.includes(name));
      assert.ok(![...berth.host.served.values()].some((s) => s.name === name), 'its API server is closed');
    });

    test('bad input gets EKS\'s exception and message, and changes nothing', async () => {
      const bad = await awsFails(cli, berth.endpoint, ['eks', ...create, '--name', 'bad.name']);
      assert.equal(bad.code, 'InvalidParameterException');
      assert.match(bad.message, /cluster name 'bad\.name' is not valid/);
      const version = await awsFails(cli, berth.endpoint, ['eks', ...create, '--name', `${name}-v`, '--kubernetes-version', '1.10']);
      assert.equal(version.code, 'InvalidParameterException');
      assert.match(version.message, /unsupported Kubernetes version 1\.10/);
      const missing = await awsFails(cli, berth.endpoint, ['eks', 'describe-cluster', '--name', 'nope']);
      assert.deepEqual([missing.code, missing.message], ['ResourceNotFoundException', 'No cluster found for name: nope.']);
      const missingDelete = await awsFails(cli, berth.endpoint, ['eks', 'delete-cluster', '--name', 'nope']);
      assert.equal(missingDelete.code, 'ResourceNotFoundException');
      assert.deepEqual((await eks<{ clusters: string[] }>('list-clusters')).clusters.filter((c) => c.startsWith(`${name}-`)), []);

      await eks(...create, '--name', `${name}-dup`);
      const dup = await awsFails(cli, berth.endpoint, ['eks', ...create, '--name', `${name}-dup`]);
      assert.deepEqual([dup.code, dup.message], ['ResourceInUseException', `Cluster already exists with name: ${name}-dup`]);
      await eks('wait', 'cluster-active', '--name', `${name}-dup`);

      // A node group holds the cluster: DeleteCluster refuses, the cluster stays ACTIVE. (No
      // hosts here: a node group of none is ACTIVE, one that wants hosts DEGRADED.)
      const ng = await eks<{ nodegroup: { status: string; scalingConfig: object } }>('create-nodegroup', '--cluster-name', `${name}-dup`, '--nodegroup-name', 'workers', '--subnets', 'subnet-a', '--node-role', 'arn:aws:iam::000000000000:role/node', '--scaling-config', 'minSize=0,maxSize=3,desiredSize=0');
      assert.equal(ng.nodegroup.status, 'CREATING');
      assert.deepEqual(ng.nodegroup.scalingConfig, { minSize: 0, maxSize: 3, desiredSize: 0 });
      const held = await awsFails(cli, berth.endpoint, ['eks', 'delete-cluster', '--name', `${name}-dup`]);
      assert.deepEqual([held.code, held.message], ['ResourceInUseException', 'Cluster has nodegroups attached']);
      assert.equal((await eks<{ cluster: Cluster }>('describe-cluster', '--name', `${name}-dup`)).cluster.status, 'ACTIVE');
      await eks('wait', 'nodegroup-active', '--cluster-name', `${name}-dup`, '--nodegroup-name', 'workers');
      const scaled = await eks<{ update: { status: string; type: string; id: string } }>('update-nodegroup-config', '--cluster-name', `${name}-dup`, '--nodegroup-name', 'workers', '--scaling-config', 'desiredSize=3');
      assert.deepEqual([scaled.update.status, scaled.update.type], ['Successful', 'ConfigUpdate']);
      const degraded = await until('the node group DEGRADED', async () => {
        const d = await eks<{ nodegroup: { status: string; health: { issues: { code: string; message: string }[] } } }>('describe-nodegroup', '--cluster-name', `${name}-dup`, '--nodegroup-name', 'workers');
        return d.nodegroup.status === 'DEGRADED' ? d.nodegroup : undefined;
      }, 30_000);
      assert.equal(degraded.health.issues[0]?.code, 'NodeCreationFailure');
      assert.match(degraded.health.issues[0]!.message, /wants 3 nodes and has 0/);
      const badScale = await awsFails(cli, berth.endpoint, ['eks', 'update-nodegroup-config', '--cluster-name', `${name}-dup`, '--nodegroup-name', 'workers', '--scaling-config', 'desiredSize=9']);
      assert.equal(badScale.code, 'InvalidParameterException');
      assert.deepEqual((await eks<{ updateIds: string[] }>('list-updates', '--name', `${name}-dup`, '--nodegroup-name', 'workers')).updateIds, [scaled.update.id]);
      await eks('delete-nodegroup', '--cluster-name', `${name}-dup`, '--nodegroup-name', 'workers');
      await eks('wait', 'nodegroup-deleted', '--cluster-name', `${name}-dup`, '--nodegroup-name', 'workers');
      await eks('delete-cluster', '--name', `${name}-dup`);
      await eks('wait', 'cluster-deleted', '--name', `${name}-dup`);
    });
  });
}

describe('@aws-sdk/client-eks', () => {
  const sdk = () => new EKSClient({ endpoint: berth.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'AKIDBERTHTEST', secretAccessKey: 'berth-test-secret' } });

  test('create, wait, list in pages, delete, wait', async () => {
    const eks = sdk();
    try {
      for (const n of ['sdk-a', 'sdk-b', 'sdk-c']) {
        await eks.send(new CreateClusterCommand({ name: n, roleArn: ROLE, resourcesVpcConfig: { subnetIds: ['subnet-a'] }, version: '1.31', kubernetesNetworkConfig: { serviceIpv4Cidr: '172.20.0.0/16' } }));
      }
      await waitUntilClusterActive({ client: eks, maxWaitTime: 60, minDelay: 1, maxDelay: 1 }, { name: 'sdk-a' });
      const described = await eks.send(new DescribeClusterCommand({ name: 'sdk-a' }));
      assert.equal(described.cluster?.version, '1.31');
      assert.ok(described.cluster?.createdAt instanceof Date);
      assert.equal(described.cluster?.kubernetesNetworkConfig?.serviceIpv4Cidr, '172.20.0.0/16');
      const served = await servedCertificate(described.cluster!.endpoint!);
      assert.ok(served.subjectAltName!.includes('IP Address:172.20.0.1'));

      const first = await eks.send(new ListClustersCommand({ maxResults: 2 }));
      assert.equal(first.clusters?.length, 2);
      assert.ok(first.nextToken);
      const rest = await eks.send(new ListClustersCommand({ nextToken: first.nextToken }));
      assert.deepEqual([...first.clusters!, ...rest.clusters!].filter((c) => c.startsWith('sdk-')), ['sdk-a', 'sdk-b', 'sdk-c']);

      for (const n of ['sdk-a', 'sdk-b', 'sdk-c']) {
        await waitUntilClusterActive({ client: eks, maxWaitTime: 60, minDelay: 1, maxDelay: 1 }, { name: n });
        await eks.send(new DeleteClusterCommand({ name: n }));
      }
      await waitUntilClusterDeleted({ client: eks, maxWaitTime: 60, minDelay: 1, maxDelay: 1 }, { name: 'sdk-c' });
      const err = await eks.send(new DescribeClusterCommand({ name: 'sdk-c' })).catch((e: unknown) => e as { name: string; $metadata: { httpStatusCode: number }; clusterName?: string });
      assert.equal((err as { name: string }).name, 'ResourceNotFoundException');
      assert.equal((err as { $metadata: { httpStatusCode: number } }).$metadata.httpStatusCode, 404, "EKS's model status");
      assert.equal((err as { clusterName?: string }).clusterName, 'sdk-c');
    } finally {
      eks.destroy();
    }
  });
});

describe('a restart', () => {
  test('reopens every ACTIVE cluster on the port it had', async () => {
    await aws(AWS_CLIS[0], berth.endpoint, ['eks', ...create, '--name', 'kept']);
    await aws(AWS_CLIS[0], berth.endpoint, ['eks', 'wait', 'cluster-active', '--name', 'kept']);
    const before = (await aws<{ cluster: Cluster }>(AWS_CLIS[0], berth.endpoint, ['eks', 'describe-cluster', '--name', 'kept'])).cluster;
    const ca = before.certificateAuthority.data;
    await berth.restart();
    const after = (await aws<{ cluster: Cluster }>(AWS_CLIS[0], berth.endpoint, ['eks', 'describe-cluster', '--name', 'kept'])).cluster;
    assert.equal(after.status, 'ACTIVE');
    assert.equal(after.endpoint, before.endpoint);
    assert.equal(after.certificateAuthority.data, ca);
    const served = await servedCertificate(after.endpoint!);
    assert.ok(served.verify(new X509Certificate(Buffer.from(ca, 'base64')).publicKey), 'served again with the same CA');
    await aws(AWS_CLIS[0], berth.endpoint, ['eks', 'delete-cluster', '--name', 'kept']);
    await aws(AWS_CLIS[0], berth.endpoint, ['eks', 'wait', 'cluster-deleted', '--name', 'kept']);
  });
});
