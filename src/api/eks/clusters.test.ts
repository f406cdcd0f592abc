import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiError } from '../../core/errors.ts';
import { MAX_CLUSTERS_PER_REGION } from '../../core/eks/cluster.ts';
import { eksKeys } from '../../core/eks/keys.ts';
import { rootPrincipal } from '../../identity/principal.ts';
import { openSqliteStore } from '../../store/sqlite/sqlite-store.ts';
import type { RequestContext } from '../aws/service.ts';
import { newClusterKeys } from './cluster-keys.ts';
import { newSigningKey } from '../../identity/service-account-token.ts';
import { clusterOperations } from './clusters.ts';

const ctx: RequestContext = { region: 'us-east-1', accountId: '000000000000', requestId: 'r', now: Date.UTC(2026, 11, 7), accessKeyId: 'AKID', principal: rootPrincipal('000000000000'), host: 'localhost' };
const scope = { account: '000000000000', region: 'us-east-1' };
const input = (name: string, token?: string) => ({ name, roleArn: 'arn:aws:iam::000000000000:role/eks', resourcesVpcConfig: {}, ...(token && { clientRequestToken: token }) });

async function withOps(f: (ops: ReturnType<typeof clusterOperations>, store: Awaited<ReturnType<typeof openSqliteStore>>) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'berth-eks-clusters-'));
  const store = await openSqliteStore(join(dir, 'state.db'));
  let n = 0;
  try {
    await f(clusterOperations({ store, apiHosts: ['127.0.0.1'], newClusterKeys, newServiceAccountKey: newSigningKey, newId: () => `id-${++n}`, newHex: () => 'ab'.repeat(16) }), store);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

test('the same clientRequestToken is the same request; another is a duplicate', async () => {
  await withOps(async (ops) => {
    const first = await ops.CreateCluster(input('c', 'tok'), ctx);
    const again = await ops.CreateCluster(input('c', 'tok'), ctx);
    assert.deepEqual(again, first);
    await assert.rejects(ops.CreateCluster(input('c', 'other'), ctx), (e: unknown) => e instanceof ApiError && e.code === 'ResourceInUseException');
  });
});

test(`the ${MAX_CLUSTERS_PER_REGION + 1}th cluster of a region is refused, and nothing is written`, async () => {
  await withOps(async (ops, store) => {
    await store.txn({ ops: Array.from({ length: MAX_CLUSTERS_PER_REGION }, (_, i) => ({ type: 'put' as const, key: eksKeys.cluster(scope, `c${i}`), value: '{}' })) });
    const before = await store.revision();
    await assert.rejects(ops.CreateCluster(input('one-more'), ctx), (e: unknown) => e instanceof ApiError && e.code === 'ResourceLimitExceededException' && e.message === 'Cluster limit exceeded for account.');
    assert.equal(await store.revision(), before);
    assert.equal(await store.get(eksKeys.secrets(scope, 'one-more')), undefined);
  });
});
