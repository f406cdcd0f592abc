/**
 * The task role credentials this agent holds, by task: the control plane sends them with
 * a task's assignment and again before they expire (protocol.ts `credentials`); the task's
 * credentials endpoint (169.254.170.2/v2/credentials/<id>) answers with them. Each task's
 * entry has an unguessable id, the one its containers get in
 * AWS_CONTAINER_CREDENTIALS_RELATIVE_URI, so a container can ask only for its own task's.
 * Bounded by the tasks on the host: an entry leaves when its task stops.
 */
import { randomUUID } from 'node:crypto';
import type { RoleCredentials } from './protocol.ts';

export class TaskCredentials {
  readonly #byTask = new Map<string, { id: string; credentials: RoleCredentials }>();
  readonly #byId = new Map<string, string>();
  readonly #newId: () => string;

  constructor(newId: () => string = randomUUID) {
    this.#newId = newId;
  }

  /** Keeps a task's newest credentials; the task keeps the id it got first. */
  set(taskArn: string, credentials: RoleCredentials): void {
    const known = this.#byTask.get(taskArn);
    if (known) {
      // Only ever forward: a rotation sent before a reconnect's snapshot may arrive after it.
      if (credentials.expiration >= known.credentials.expiration) known.credentials = credentials;
      return;
    }
    const id = this.#newId();
    this.#byTask.set(taskArn, { id, credentials });
    this.#byId.set(id, taskArn);
  }

  /** The relative URI a task's containers are given, when the task has a role. */
  relativeUri(taskArn: string): string | undefined {
    const e = this.#byTask.get(taskArn);
    return e && `/v2/credentials/${e.id}`;
  }

  /** The task and its credentials for an id from a request path. */
  byId(id: string): { taskArn: string; credentials: RoleCredentials } | undefined {
    const taskArn = this.#byId.get(id);
    const e = taskArn === undefined ? undefined : this.#byTask.get(taskArn);
    return e && { taskArn: taskArn!, credentials: e.credentials };
  }

  delete(taskArn: string): void {
    const e = this.#byTask.get(taskArn);
    if (!e) return;
    this.#byTask.delete(taskArn);
    this.#byId.delete(e.id);
  }

  get size(): number {
    return this.#byTask.size;
  }
}

/** The JSON AWS's credentials endpoint answers (what the SDKs' container credential providers read). */
export function credentialsAnswer(c: RoleCredentials): Record<string, string> {
  return {
    RoleArn: c.roleArn,
    AccessKeyId: c.accessKeyId,
    SecretAccessKey: c.secretAccessKey,
    Token: c.sessionToken,
    Expiration: new Date(c.expiration).toISOString().replace(/\.\d{3}Z$/, 'Z'),
  };
}
