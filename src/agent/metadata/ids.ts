/**
 * Endpoint ids: the `<id>` of `http://169.254.170.2/v4/<id>`. One per container, not the
 * task id (which other tasks of the account can list), and unguessable: an HMAC of the
 * task ARN and container name under a random key the agent keeps in its data dir. The same
 * container gets the same id from an agent restarted after kill -9, so containers that
 * outlived their agent keep a working ECS_CONTAINER_METADATA_URI_V4, with nothing stored
 * per task.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The link-local address ECS serves task metadata and credentials on (developer guide). */
export const METADATA_ADDRESS = '169.254.170.2';
/** And its port: plain HTTP on 80, as tasks' SDKs expect. */
export const METADATA_PORT = 80;
/** Key size: 256 bits, the HMAC's own strength. */
const KEY_BYTES = 32;
const KEY_FILE = 'metadata-key';

/** The agent's endpoint-id key: made once per data dir (0600), read after. */
export function endpointKey(dataDir: string): Buffer {
  const path = join(dataDir, KEY_FILE);
  if (!existsSync(path)) writeFileSync(path, randomBytes(KEY_BYTES).toString('hex'), { mode: 0o600, flag: 'wx' });
  return Buffer.from(readFileSync(path, 'utf8').trim(), 'hex');
}

/** A container's endpoint id, UUID-shaped as the ECS agent's are (128 bits of the HMAC). */
export function endpointId(key: Buffer, taskArn: string, container: string): string {
  const h = createHmac('sha256', key).update(`${taskArn}\n${container}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/**
 * What the agent puts in every container's environment (developer guide, task metadata
 * v3/v4, scale-in protection endpoint), and for a task with a role the relative URI the
 * SDKs' container credential providers read (task IAM roles).
 */
export function metadataEnvironment(id: string, hasRole = false): { name: string; value: string }[] {
  const base = `http://${METADATA_ADDRESS}`;
  return [
    { name: 'ECS_CONTAINER_METADATA_URI_V4', value: `${base}/v4/${id}` },
    { name: 'ECS_CONTAINER_METADATA_URI', value: `${base}/v3/${id}` },
    { name: 'ECS_AGENT_URI', value: `${base}/api/${id}` },
    ...(hasRole ? [{ name: 'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI', value: `/v2/credentials/${id}` }] : []),
  ];
}
