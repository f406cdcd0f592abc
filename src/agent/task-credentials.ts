/**
 * The task role credentials this agent holds, by task: the control plane sends them with
 * a task's assignment and again before they expire (protocol.ts `credentials`); the
 * task's endpoint (169.254.170.2/v2/credentials/<endpoint id>, metadata/server.ts) answers
 * with them, to the task's own containers only (the endpoint's caller check). Bounded by
 * the tasks on the host: an entry leaves when its task stops.
 */
import type { RoleCredentials } from './protocol.ts';

export class TaskCredentials {
  readonly #byTask = new Map<string, RoleCredentials>();

  /** Keeps a task's newest credentials: a rotation sent before a reconnect's snapshot may arrive after it. */
  set(taskArn: string, credentials: RoleCredentials): void {
    const known = this.#byTask.get(taskArn);
    if (!known || credentials.expiration >= known.expiration) this.#byTask.set(taskArn, credentials);
  }

  get(taskArn: string): RoleCredentials | undefined {
    return this.#byTask.get(taskArn);
  }

  delete(taskArn: string): void {
    this.#byTask.delete(taskArn);
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
