import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStore } from '../store/sqlite/sqlite-store.ts';
import { createRegistry, openTokenAuthority } from './index.ts';

// Spec v1.1 "Listing Referrers": a registry that supports the referrers API MUST NOT answer
// 404 to a referrers request; with nothing referring to the subject (or nothing pushed to
// the repository yet) the answer is 200 and an empty OCI index. The distribution-spec
// conformance suite checks this first, on a fresh registry.
test('referrers of a repository nothing was pushed to: 200 and an empty index, never 404', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'berth-referrers-'));
  const store = await openSqliteStore(join(dir, 'state.db'));
  const tokens = await openTokenAuthority(dir);
  const registry = createRegistry({ store, dataDir: dir, accountId: '000000000000', gcInterval: false, auth: { tokens, required: false } });
  const server = createServer((req, res) => void registry.handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(async () => {
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
    await registry.close();
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const subject = `sha256:${createHash('sha256').update('no such manifest').digest('hex')}`;

  const r = await fetch(`${url}/v2/never/pushed/referrers/${subject}`);
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('content-type'), 'application/vnd.oci.image.index.v1+json');
  assert.deepEqual(await r.json(), { schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [] });

  assert.equal((await fetch(`${url}/v2/never/pushed/referrers/sha256:nothex`)).status, 400, 'an invalid digest is still a 400');
});
