/**
 * The control plane's identity key: the 32 bytes that seal session tokens and derive
 * their secrets (session-credentials.ts). It lives in the Berth store, not in a data dir,
 * so that every control plane of one store (etcd, later) accepts what any of them issued;
 * the first to start makes it, with compare-and-set, and the others read that one.
 */
import { randomBytes } from 'node:crypto';
import type { Store } from '../store/store.ts';

export const IDENTITY_KEY = '/berth/identity/session-key';
const KEY_BYTES = 32;

export async function ensureIdentityKey(store: Store, random: () => Buffer = () => randomBytes(KEY_BYTES)): Promise<Buffer> {
  for (;;) {
    const kv = await store.get(IDENTITY_KEY);
    if (kv) {
      const key = Buffer.from(kv.value, 'base64');
      if (key.length !== KEY_BYTES) throw new Error(`the store's ${IDENTITY_KEY} is not a ${KEY_BYTES}-byte key: delete it to make a new one (credentials issued so far stop working)`);
      return key;
    }
    const made = random();
    const r = await store.txn({ if: [{ key: IDENTITY_KEY, modRevision: 0 }], ops: [{ type: 'put', key: IDENTITY_KEY, value: made.toString('base64') }] });
    if (r.ok) return made;
  }
}
