// DiscoverPollEndpoint, the first call of an ECS agent, through both aws CLIs, boto3 and
// the AWS SDK for JavaScript v3: Berth answers with its own endpoint, as each client
// reached it, and refuses malformed clusters and container instances as AWS does.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DiscoverPollEndpointCommand, ECSClient } from '@aws-sdk/client-ecs';
import { AWS_CLIS, aws, awsEnv, awsFails, PYTHON3 } from './support/aws-cli.ts';
import { startBerth, type BerthProcess } from './support/berth.ts';
import { run } from './support/run.ts';

let berth: BerthProcess;
before(async () => { berth = await startBerth(); });
after(async () => { await berth.stop(); });

const INSTANCE = 'arn:aws:ecs:us-east-1:000000000000:container-instance/web/0123456789abcdef0123456789abcdef';

for (const cli of AWS_CLIS) {
  describe(cli.name, () => {
    test('answers Berth\'s endpoint for the agent, telemetry and Service Connect sessions', async () => {
      const out = await aws(cli, berth.endpoint, ['ecs', 'discover-poll-endpoint', '--cluster', 'web', '--container-instance', INSTANCE]);
      const own = `${berth.endpoint}/`;
      const expected = { endpoint: own, telemetryEndpoint: own, serviceConnectEndpoint: own };
      assert.deepEqual(out, expected);
      assert.deepEqual(await aws(cli, berth.endpoint, ['ecs', 'discover-poll-endpoint']), expected, 'every member is optional');
    });

    test('a malformed cluster or container instance is an InvalidParameterException', async () => {
      const badCluster = await awsFails(cli, berth.endpoint, ['ecs', 'discover-poll-endpoint', '--cluster', 'no spaces']);
      assert.equal(badCluster.code, 'InvalidParameterException');
      const badInstance = await awsFails(cli, berth.endpoint, ['ecs', 'discover-poll-endpoint', '--container-instance', 'arn:aws:ecs:us-east-1:000000000000:task/web/1']);
      assert.equal(badInstance.code, 'InvalidParameterException');
      assert.match(badInstance.message, /is not a container instance ARN/);
      const otherCluster = await awsFails(cli, berth.endpoint, ['ecs', 'discover-poll-endpoint', '--cluster', 'db', '--container-instance', INSTANCE]);
      assert.equal(otherCluster.code, 'InvalidParameterException');
      assert.match(otherCluster.message, /belongs to cluster web, not db/);
    });
  });
}

test('boto3: the endpoint follows the host the client used', async () => {
  const script = `
import boto3, sys
for ep in sys.argv[1:]:
    r = boto3.client('ecs', endpoint_url=ep).discover_poll_endpoint(cluster='web', containerInstance='${INSTANCE}')
    assert (r['endpoint'], r['telemetryEndpoint'], r['serviceConnectEndpoint']) == (ep + '/',) * 3, r
`;
  const localhost = `http://localhost:${berth.port}`;
  const r = await run(PYTHON3, ['-c', script, berth.endpoint, localhost], { env: awsEnv() });
  assert.equal(r.code, 0, r.stderr);
});

test('AWS SDK for JavaScript v3: the answer, and a wrongly typed member refused before any handler', async () => {
  const client = new ECSClient({ endpoint: `http://localhost:${berth.port}`, region: 'eu-west-1', credentials: { accessKeyId: 'AKID', secretAccessKey: 'secret' } });
  try {
    const out = await client.send(new DiscoverPollEndpointCommand({ containerInstance: '0123456789abcdef0123456789abcdef' }));
    assert.deepEqual([out.endpoint, out.telemetryEndpoint, out.serviceConnectEndpoint], Array(3).fill(`http://localhost:${berth.port}/`));
  } finally {
    client.destroy();
  }
  const res = await fetch(berth.endpoint, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-amz-json-1.1', 'X-Amz-Target': 'AmazonEC2ContainerServiceV20141113.DiscoverPollEndpoint' },
    body: JSON.stringify({ cluster: 7 }),
  });
  assert.equal(res.status, 400);
  assert.equal(((await res.json()) as { __type: string }).__type, 'SerializationException');
});
