/**
 * StartLiveTail on the wire: an event stream of sessionStart, then a sessionUpdate every
 * second with what the session's groups took meanwhile, until the client goes away or three
 * hours pass (SessionTimeoutException). Events reach a session once they are durable.
 */
import { randomUUID } from 'node:crypto';
import { fail } from '../../core/errors.ts';
import type { LogsDeps } from '../../logs/groups.ts';
import { LIVE_TAIL_MAX_MS, LIVE_TAIL_UPDATE_MS, LiveTailBuffer, MAX_LIVE_TAIL_SESSIONS, planLiveTail, type LiveTailRequest } from '../../logs/live-tail.ts';
import { EventStreamAnswer, type RequestContext } from '../aws/service.ts';
import { scopeOf } from './shapes.ts';

export function liveTail(deps: LogsDeps) {
  /** Open sessions per account and region. */
  const open = new Map<string, number>();
  return async function StartLiveTail(input: LiveTailRequest, ctx: RequestContext): Promise<EventStreamAnswer> {
    const s = scopeOf(ctx);
    const plan = await planLiveTail(deps, s, input);
    const scopeKey = `${s.account}/${s.region}`;
    if ((open.get(scopeKey) ?? 0) >= MAX_LIVE_TAIL_SESSIONS) {
      fail('LimitExceededException', `This account already has ${MAX_LIVE_TAIL_SESSIONS} Live Tail sessions open in ${s.region}; close one (end its stream) and try again.`);
    }
    open.set(scopeKey, (open.get(scopeKey) ?? 0) + 1);
    return new EventStreamAnswer((sink) => {
      const buffer = new LiveTailBuffer(plan);
      const unsubscribe = plan.groups.map(({ record, identifier }) =>
        deps.logs.subscribe(record.id, (_id, streamName, ingestionTime, events) => buffer.add(identifier, streamName, ingestionTime, events)));
      const tick = setInterval(() => sink.event('sessionUpdate', buffer.take()), LIVE_TAIL_UPDATE_MS);
      const timeout = setTimeout(() => sink.exception('SessionTimeoutException', 'The Live Tail session ended after 3 hours; start a new one to go on.'), LIVE_TAIL_MAX_MS);
      sink.onClose(() => {
        clearInterval(tick);
        clearTimeout(timeout);
        for (const u of unsubscribe) u();
        open.set(scopeKey, (open.get(scopeKey) ?? 1) - 1);
      });
      sink.event('sessionStart', {
        requestId: ctx.requestId,
        sessionId: randomUUID(),
        logGroupIdentifiers: plan.groups.map((g) => g.identifier),
        ...(input.logStreamNames ? { logStreamNames: input.logStreamNames } : {}),
        ...(input.logStreamNamePrefixes ? { logStreamNamePrefixes: input.logStreamNamePrefixes } : {}),
        logEventFilterPattern: input.logEventFilterPattern ?? '',
      });
    });
  };
}
