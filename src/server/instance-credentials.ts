import { parseArn } from '../core/arn.ts';
import { formatInstanceSecret, matchesHash, secretHash, SECRET_BYTES } from '../core/agent-credentials.ts';
import type { ContainerInstanceRecord } from '../core/ecs/container-instance.ts';
import { keys } from '../core/ecs/keys.ts';
import type { Scope } from '../core/ecs/scope.ts';
import { getJson } from '../store/json.ts';
import type { Store } from '../store/store.ts';

/**
 * Instance secrets as the control plane keeps them: the SHA-256 of each, under a key of its
 * own beside the instance's record, not in it. The ECS views (DescribeContainerInstances,
 * the scheduler's snapshot) read `/ecs/` records, so no ECS answer can carry it.
 *
 *   /berth/instance-credentials/<account>/<region>/<cluster>/<instance id>
 *     → {"containerInstanceArn": …, "secretSha256": …, "issuedAt": <epoch ms>}
 */
const PREFIX = '/berth/instance-credentials/';

interface StoredCredential {
  containerInstanceArn: string;
  secretSha256: string;
  issuedAt: number;
}

/** Where a container instance ARN points: its scope, cluster and id. */
export interface InstanceRef {
  readonly scope: Scope;
  readonly cluster: string;
  readonly id: string;
}

/** The instance a container instance ARN names (with its cluster, as Berth's ARNs have), or undefined. */
export function instanceRefOf(arn: string): InstanceRef | undefined {
  const a = parseArn(arn);
  const m = a?.service === 'ecs' ? /^container-instance\/([A-Za-z0-9_-]{1,255})\/([a-f0-9]{32})$/.exec(a.resource) : undefined;
  return a && m ? { scope: { account: a.account, region: a.region }, cluster: m[1]!, id: m[2]! } : undefined;
}

const keyOf = (r: InstanceRef) => `${PREFIX}${r.scope.account}/${r.scope.region}/${r.cluster}/${r.id}`;

/**
 * Issues the secret of an instance that has none yet, and returns it (the only time it is
 * ever seen). Undefined when the instance already has one: a secret is never replaced, so
 * a holder of the join token cannot take over an instance that has joined.
 */
export async function issueSecret(store: Store, ref: InstanceRef, containerInstanceArn: string, random: Uint8Array, now: number): Promise<string | undefined> {
  if (random.length !== SECRET_BYTES) throw new RangeError(`an instance secret takes ${SECRET_BYTES} random bytes`);
  const secret = formatInstanceSecret(random);
  const record: StoredCredential = { containerInstanceArn, secretSha256: secretHash(secret), issuedAt: now };
  const key = keyOf(ref);
  const r = await store.txn({ if: [{ key, modRevision: 0 }], ops: [{ type: 'put', key, value: JSON.stringify(record) }] });
  return r.ok ? secret : undefined;
}

export async function hasSecret(store: Store, ref: InstanceRef): Promise<boolean> {
  return (await store.get(keyOf(ref))) !== undefined;
}

/**
 * Why a presented secret is refused, or 'ok'. An instance that is deregistered (INACTIVE)
 * or gone has its secret revoked here, the first time anyone presents it.
 */
export type SecretCheck = 'ok' | 'no-secret' | 'wrong-secret' | 'deregistered';

export async function checkSecret(store: Store, ref: InstanceRef, presented: string): Promise<SecretCheck> {
  const [stored, instance] = await Promise.all([
    getJson<StoredCredential>(store, keyOf(ref)),
    getJson<ContainerInstanceRecord>(store, keys.containerInstance(ref.scope, ref.cluster, ref.id)),
  ]);
  if (!stored) return 'no-secret';
  if (!matchesHash(presented, stored.value.secretSha256)) return 'wrong-secret';
  if (!instance || instance.value.status === 'INACTIVE') {
    await revokeSecret(store, ref);
    return 'deregistered';
  }
  return 'ok';
}

/** Forgets an instance's secret: its agent can no longer open a session or re-register. */
export async function revokeSecret(store: Store, ref: InstanceRef): Promise<void> {
  await store.txn({ ops: [{ type: 'delete', key: keyOf(ref) }] });
}
