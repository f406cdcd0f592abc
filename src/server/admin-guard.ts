import type { IncomingMessage, ServerResponse } from 'node:http';
import { bearerOf, callerOf, isLoopback, recordFailure, refuseBlocked, sendJson, type CallerAuth } from './caller-auth.ts';

interface Route {
  accepts(req: IncomingMessage): boolean;
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
}

/** Open to anyone: load balancers and the agents' own checks probe it. */
const OPEN_PATHS = new Set(['/_berth/health']);

/**
 * Puts Berth's admin endpoints (/_berth/reset, logs and exec of tasks, …) behind the join
 * token for callers on other hosts; processes on this host (loopback) are let through as
 * before. Logs and exec are the dangerous ones: they reach into running containers.
 *
 * One token, not an admin token of its own: whoever holds the join token can already join
 * a host and run what is placed on it, and until the AWS APIs check signatures anyone who
 * reaches the port can read task definitions and run tasks through them; a second secret
 * would add handling without protection.
 */
export function guardAdmin(route: Route, auth: CallerAuth): Route {
  return {
    accepts: (req) => route.accepts(req),
    async handle(req, res) {
      const caller = callerOf(req);
      if ((req.method === 'GET' && OPEN_PATHS.has(req.url!.split('?')[0]!)) || isLoopback(caller)) return route.handle(req, res);
      if (refuseBlocked(res, auth, caller)) return void req.resume();
      const bearer = bearerOf(req.headers.authorization);
      if (bearer !== undefined && auth.checkJoinToken(bearer)) return route.handle(req, res);
      req.resume();
      recordFailure(auth, caller, `${req.method} ${req.url!.split('?')[0]} (${bearer === undefined ? 'no token' : 'wrong token'})`);
      sendJson(res, bearer === undefined ? 401 : 403, {
        message: bearer === undefined
          ? "Berth's admin endpoints answer other hosts only with 'Authorization: Bearer <join token>' ('berth token' on the server's host shows it; berth commands send $BERTH_TOKEN)."
          : "That is not this Berth's join token: 'berth token' on the server's host shows the current one.",
      });
    },
  };
}
