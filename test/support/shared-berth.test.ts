// sharedBerth(): one `berth up --no-agent` for a suite, wiped before each of its tests,
// stopped and its data dir gone after the suite.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { AWS_CLIS, aws } from './aws-cli.ts';
import { sharedBerth } from './shared-berth.ts';

const seen: { endpoint?: string; dataDir?: string; pid?: number } = {};
const clusters = async (endpoint: string) => (await aws<{ clusterArns: string[] }>(AWS_CLIS[1], endpoint, ['ecs', 'list-clusters'])).clusterArns;

describe('a suite with a shared Berth', () => {
  const berth = sharedBerth();

  test('is served once the suite runs, with no agent', async () => {
    seen.endpoint = berth.endpoint;
    seen.dataDir = berth.dataDir;
    seen.pid = berth.pid();
    assert.equal((await fetch(`${berth.endpoint}/_berth/health`)).status, 200);
    await aws(AWS_CLIS[1], berth.endpoint, ['ecs', 'create-cluster', '--cluster-name', 'left-behind']);
    assert.equal((await clusters(berth.endpoint)).length, 1);
    // `berth up --no-agent` registers no instance of its own host.
    assert.deepEqual((await aws<{ containerInstanceArns: string[] }>(AWS_CLIS[1], berth.endpoint, ['ecs', 'list-container-instances', '--cluster', 'left-behind'])).containerInstanceArns, []);
  });

  test('the next test finds the same Berth with nothing of the last one\'s left', async () => {
    assert.equal(berth.endpoint, seen.endpoint);
    assert.equal(berth.pid(), seen.pid, 'not started again');
    assert.deepEqual(await clusters(berth.endpoint), []);
  });
});

test('after its suite, the shared Berth is stopped and its data dir removed', async () => {
  assert.ok(seen.endpoint && seen.dataDir, 'the suite ran first');
  await assert.rejects(fetch(`${seen.endpoint}/_berth/health`), 'nothing answers');
  assert.equal(existsSync(seen.dataDir), false);
});
