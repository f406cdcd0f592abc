/**
 * Every ECS resource belongs to one account in one region: the scope of a request.
 * ARNs and store keys are both derived from it.
 */
export interface Scope {
  readonly account: string;
  readonly region: string;
}

export const PARTITION = 'aws';

export function ecsArn(scope: Scope, resource: string): string {
  return `arn:${PARTITION}:ecs:${scope.region}:${scope.account}:${resource}`;
}

/** The principal a request acts as, until IAM is wired in: the account's root user. */
export function rootPrincipal(scope: Scope): string {
  return `arn:${PARTITION}:iam::${scope.account}:root`;
}
