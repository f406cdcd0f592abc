/**
 * Who made a request, as AWS names the caller (`aws sts get-caller-identity`): the
 * account, the principal's ARN and its `aws:userid`.
 */
export interface Principal {
  readonly kind: 'root' | 'assumed-role';
  readonly account: string;
  /** `arn:aws:iam::<account>:root`, or `arn:aws:sts::<account>:assumed-role/<role>/<session>`. */
  readonly arn: string;
  /** The account id for root; `<role id>:<session>` for an assumed role. */
  readonly userId: string;
  /** The role an assumed-role principal acts as (`arn:aws:iam::<account>:role/<path><name>`). */
  readonly roleArn?: string;
}

/** The account's root: whoever signs with long-term keys while Berth does not check them. */
export function rootPrincipal(account: string): Principal {
  return { kind: 'root', account, arn: `arn:aws:iam::${account}:root`, userId: account };
}

const ROLE_ARN = /^arn:aws:iam::(\d{12}):role\/(?:[\w+=,.@-]+\/)*([\w+=,.@-]{1,64})$/;

/** The account and name of a role ARN (its path dropped, as an assumed-role ARN drops it), or undefined. */
export function parseRoleArn(arn: string): { account: string; name: string } | undefined {
  const m = ROLE_ARN.exec(arn);
  return m ? { account: m[1]!, name: m[2]! } : undefined;
}
