import type { Store } from '../../store/store.ts';
import type { RequestContext } from '../aws/service.ts';
import type { Scope } from '../../core/ecs/scope.ts';

/** What the ECS operation modules need from the server. */
export interface EcsDeps {
  readonly store: Store;
}

export function scopeOf(ctx: RequestContext): Scope {
  return { account: ctx.accountId, region: ctx.region };
}

/** Wire timestamps of AWS JSON protocols are epoch seconds. */
export function seconds(ctx: RequestContext): number {
  return ctx.now / 1000;
}
