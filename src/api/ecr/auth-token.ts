/** GetAuthorizationToken: the registry password, as `aws ecr get-login-password` prints it. */

import { REGISTRY_USERNAME } from '../../registry/auth.ts';
import { TOKEN_LIFETIME_MS } from '../../registry/tokens.ts';
import type { RequestContext } from '../aws/service.ts';
import { seconds, type EcrDeps } from './deps.ts';

export function authTokenOperations({ tokens }: EcrDeps) {
  return {
    GetAuthorizationToken(_input: { registryIds?: string[] }, ctx: RequestContext) {
      const expiresAt = ctx.now + TOKEN_LIFETIME_MS;
      // The caller rides in the token: the registry's pulls with it are the caller's (a task execution role's, for an agent).
      const token = tokens.issue({ account: ctx.accountId, expiresAt, principal: ctx.principal.arn });
      return {
        authorizationData: [{
          authorizationToken: Buffer.from(`${REGISTRY_USERNAME}:${token}`).toString('base64'),
          // Whole seconds, as ECR answers.
          expiresAt: Math.floor(seconds(expiresAt)),
          // Berth serves the registry over plain HTTP on its own endpoint.
          proxyEndpoint: `http://${ctx.host}`,
        }],
      };
    },
  };
}
