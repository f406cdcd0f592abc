/**
 * The request side of an AWS service's API model (operations and input shapes), as
 * extracted from the AWS API reference by scripts/gen-aws-models.py. Validation walks it.
 */
export interface ServiceModel {
  readonly metadata: { readonly apiVersion: string; readonly targetPrefix?: string; readonly signingName?: string; readonly endpointPrefix: string; readonly protocol: string };
  readonly operations: Readonly<Record<string, { readonly input?: string }>>;
  readonly shapes: Readonly<Record<string, Shape>>;
}

export type Shape =
  | { readonly type: 'structure'; readonly members: Readonly<Record<string, string>>; readonly required?: readonly string[] }
  | { readonly type: 'list'; readonly member: string; readonly min?: number; readonly max?: number }
  | { readonly type: 'map'; readonly key: string; readonly value: string; readonly min?: number; readonly max?: number }
  | { readonly type: 'string'; readonly enum?: readonly string[]; readonly min?: number; readonly max?: number }
  | { readonly type: 'integer' | 'long' | 'double' | 'float'; readonly min?: number; readonly max?: number }
  | { readonly type: 'boolean' | 'timestamp' | 'blob' };
