import { parseArn } from '../../core/arn.ts';
import type { ClusterRecord } from '../../core/ecs/cluster.ts';
import type { ContainerInstanceRecord } from '../../core/ecs/container-instance.ts';
import { checkExecuteCommand, type ExecuteCommandInput } from '../../core/ecs/execute-command.ts';
import { fail } from '../../core/errors.ts';
import { commandWords } from '../../exec/command-words.ts';
import { SSM_PATH } from '../../exec/stream-path.ts';
import { keys } from '../../core/ecs/keys.ts';
import type { TaskRecord } from '../../core/ecs/task.ts';
import { readTask } from '../../core/workload/task-store.ts';
import { getJson } from '../../store/json.ts';
import type { RequestContext } from '../aws/service.ts';
import { requireCluster } from './cluster-state.ts';
import { scopeOf, type EcsDeps, type ExecDeps } from './deps.ts';
import { taskRefId } from './tasks.ts';

/** What ExecuteCommand needs beyond the store: where sessions wait for their client, and fresh ids. */
/** ExecuteCommand (thin: the rule is src/core/ecs/execute-command.ts, the stream src/exec/). */
export function executeCommandOperations({ store }: EcsDeps, exec: ExecDeps) {
  return {
    async ExecuteCommand(input: ExecuteCommandInput & { cluster?: string; task: string }, ctx: RequestContext) {
      const scope = scopeOf(ctx);
      const clusterRecord = (await requireCluster(store, scope, input.cluster)).value;
      const cluster = clusterRecord.clusterName;
      const id = taskRefId(input.task, cluster);
      const task = (await readTask(store, { scope, cluster, id }))?.record;
      if (!task) fail('InvalidParameterException', `The referenced task was not found: '${input.task}' in cluster ${cluster}.`);
      const container = checkExecuteCommand(task, input);
      const words = commandWords(input.command);
      if (!Array.isArray(words)) fail('InvalidParameterException', `${words.error}: quote the command as a shell would.`);
      if (!(await agentConnected(task))) fail('TargetNotConnectedException', `The execute command failed due to an internal error: the agent of ${task.containerInstanceArn ?? 'this task'} is not connected. Try again once it reconnects.`);
      const sessionId = exec.newSessionId();
      const token = exec.newToken();
      const logGroup = auditLogGroupOf(clusterRecord);
      exec.sessions.issue(sessionId, token, {
        caller: ctx.principal.arn, clusterArn: task.clusterArn, taskArn: task.taskArn, containerInstanceArn: task.containerInstanceArn!, containerName: container.name, command: input.command,
        ...(logGroup !== undefined && { logGroup }),
      }, ctx.now);
      return {
        clusterArn: task.clusterArn,
        containerArn: container.containerArn,
        containerName: container.name,
        interactive: true,
        session: { sessionId, streamUrl: `ws://${ctx.host}${SSM_PATH}${sessionId}`, tokenValue: token },
        taskArn: task.taskArn,
      };
    },
  };

  async function agentConnected(task: TaskRecord): Promise<boolean> {
    const arn = task.containerInstanceArn !== undefined ? parseArn(task.containerInstanceArn) : undefined;
    const m = arn && /^container-instance\/([^/]+)\/([a-f0-9]{32})$/.exec(arn.resource);
    if (!arn || !m) return false;
    // The instance's own scope: a Fargate task's pool host may be another account's.
    const inst = await getJson<ContainerInstanceRecord>(store, keys.containerInstance({ account: arn.account, region: arn.region }, m[1]!, m[2]!));
    return inst?.value.agentConnected === true;
  }
}

/** The log group exec sessions are audited to: the cluster's executeCommandConfiguration, when it logs to CloudWatch. */
export function auditLogGroupOf(c: ClusterRecord): string | undefined {
  const conf = (c.configuration as { executeCommandConfiguration?: { logging?: string; logConfiguration?: { cloudWatchLogGroupName?: string } } } | undefined)?.executeCommandConfiguration;
  const group = conf?.logConfiguration?.cloudWatchLogGroupName;
  return conf?.logging === 'OVERRIDE' && group ? group : undefined;
}
