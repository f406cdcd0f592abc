/** Berth's S3 service alone, in this process, on a loopback port: for tests of it and of its clients. */

import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStore } from '../../store/sqlite/sqlite-store.ts';
import type { Store } from '../../store/store.ts';
import { createS3Service, type S3Service } from './index.ts';

export interface S3TestServer {
  /** The data dir (objects under s3/) and the store's database. */
  readonly dir: string;
  readonly store: Store;
  readonly s3: S3Service;
  /** `http://127.0.0.1:<port>`, path-style. */
  readonly url: string;
  /** Stops the server and the service and removes the data dir. */
  close(): Promise<void>;
}

/**
 * A fresh S3 service (sweep off) over its own SQLite store and temp dir. Every request
 * reaches it, or with `onlyWhatItAccepts` only those Berth's server would route to it
 * (signed for s3), the rest answered 404.
 */
export async function startS3TestServer(o: { accountId?: string; onlyWhatItAccepts?: boolean } = {}): Promise<S3TestServer> {
  const dir = mkdtempSync(join(tmpdir(), 'berth-s3-'));
  const store = await openSqliteStore(join(dir, 'state.db'));
  const s3 = createS3Service({ store, dataDir: dir, accountId: o.accountId ?? '123456789012', defaultRegion: 'us-east-1', log: () => {}, sweep: false });
  const server = createServer((req, res) => void (!o.onlyWhatItAccepts || s3.accepts(req) ? s3.handle(req, res) : res.writeHead(404).end()));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    dir, store, s3,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await s3.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
