/**
 * Who an agent acts as for a task with an execution role: on ECS the agent pulls the
 * task's images and ships its awslogs with the execution role's credentials, so CloudTrail
 * shows that role's session. Berth's agent presents the session (access key and token,
 * issued to it with the task's assignment) with each awslogs message; the control plane
 * opens it with its identity key and accepts it only when it is current, was issued for
 * this task, and is of the task's execution role. There is no IAM policy engine yet: the
 * role's permissions are not checked, only that the principal is the right one.
 */
import type { SessionProof } from '../agent/protocol.ts';
import type { Opened } from '../identity/session-credentials.ts';

export type CredentialsOpener = (accessKeyId: string, sessionToken: string, now: number) => Opened;

export type ExecutionPrincipal = { ok: true; principal: string } | { ok: false; message: string };

/** Pure but for `open` (an HMAC): the principal `proof` stands for, if it is `executionRole`'s session for `taskArn`. */
export function executionPrincipal(open: CredentialsOpener | undefined, proof: SessionProof | undefined, taskArn: string, executionRole: string, now: number): ExecutionPrincipal {
  if (!open) return { ok: false, message: 'this control plane cannot check execution role credentials' };
  if (!proof || typeof proof.accessKeyId !== 'string' || typeof proof.sessionToken !== 'string') {
    return { ok: false, message: `task ${taskArn} has the execution role ${executionRole}: send its logs with that role's credentials (the agent got them with the task)` };
  }
  const opened = open(proof.accessKeyId, proof.sessionToken, now);
  if (!opened.ok) return { ok: false, message: opened.reason === 'expired' ? 'The security token included in the request is expired' : 'The security token included in the request is invalid.' };
  if (opened.facts.taskArn !== taskArn || opened.facts.roleArn !== executionRole) {
    return { ok: false, message: `User: ${opened.principal.arn} is not the execution role ${executionRole} of task ${taskArn}` };
  }
  return { ok: true, principal: opened.principal.arn };
}
