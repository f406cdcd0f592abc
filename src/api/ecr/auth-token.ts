/** GetAuthorizationToken: the registry password, as `aws ecr get-login-password` prints it. */

import { REGISTRY_USERNAME } from '../../registry/auth.ts';
import { TOKEN_LIFETIME_MS } from '../../registry/tokens.ts';
import type { RequestContext } from '../aws/service.ts';
import { seconds, type EcrDeps } from './deps.ts';

export function authTokenOperations({ tokens }: EcrDeps) {
  return {
    GetAuthorizationToken(_input: { registryIds?: string[] }, ctx: RequestContext) {
      const expiresAt = ctx.now + TOKEN_LIFETIME_MS;
      const token = tokens.issue({ account: ctx.accountId, expiresAt });
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
