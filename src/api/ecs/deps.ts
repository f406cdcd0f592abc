import type { ClusterState } from '../../cluster/types.ts';
import type { Placer } from '../../scheduler/launch.ts';
import type { Store } from '../../store/store.ts';
import type { RequestContext } from '../aws/service.ts';
import type { Scope } from '../../core/ecs/scope.ts';
import type { ExecSessions } from '../../exec/exec-sessions.ts';

/** What the ECS operation modules need from the server. */
export interface EcsDeps {
  readonly store: Store;
  /** What placing, ListTasks, cluster counts and instance views read: never a scan of the store. */
  readonly state: ClusterState;
  /** Where RunTask and StartTask submit their launches. */
  readonly placer: Placer;
  /** ECS Exec's sessions (ExecuteCommand); without it ExecuteCommand is not offered. */
  readonly exec?: ExecDeps;
}

export function scopeOf(ctx: RequestContext): Scope {
  return { account: ctx.accountId, region: ctx.region };
}

/** Wire timestamps of AWS JSON protocols are epoch seconds. */
export function seconds(ctx: RequestContext): number {
  return ctx.now / 1000;
}

/** What ExecuteCommand needs (execute-command.ts): the sessions the stream endpoint opens, and their ids and tokens. */
export interface ExecDeps {
  readonly sessions: ExecSessions;
  /** A session id (AWS's look like `ecs-execute-command-<hex>`). */
  newSessionId(): string;
  /** A single-use secret of at least 128 random bits. */
  newToken(): string;
}
