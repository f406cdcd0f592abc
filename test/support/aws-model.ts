import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { Shape } from '../../src/api/aws/model.ts';
import type { ShapeModel } from '../../src/api/aws/validate-output.ts';
import { PYTHON3 } from './aws-cli.ts';

/** A whole AWS service model, output shapes included: what answers are checked against. */
export interface FullModel extends ShapeModel {
  readonly operations: Readonly<Record<string, { readonly input?: string; readonly output?: string }>>;
}

interface BotocoreShape {
  type: Shape['type'];
  members?: Record<string, { shape: string }>;
  member?: { shape: string };
  key?: { shape: string };
  value?: { shape: string };
  required?: string[];
  enum?: string[];
  min?: number;
  max?: number;
}

interface BotocoreModel {
  operations: Record<string, { input?: { shape: string }; output?: { shape: string } }>;
  shapes: Record<string, BotocoreShape>;
}

/**
 * The service's model as botocore (the aws CLI v1 and boto3 on this machine) ships it:
 * the machine-readable AWS API reference. Berth's src/api/aws/models keep only the
 * request side; tests read the answers' side from here, in Berth's Shape form.
 */
export function botocoreModel(service: string): FullModel {
  const botocore = execFileSync(PYTHON3, ['-c', 'import botocore,os;print(os.path.dirname(botocore.__file__))'], { encoding: 'utf8' }).trim();
  const dir = join(botocore, 'data', service);
  const version = readdirSync(dir).sort().at(-1)!;
  const raw = JSON.parse(gunzipSync(readFileSync(join(dir, version, 'service-2.json.gz'))).toString('utf8')) as BotocoreModel;
  const operations = Object.fromEntries(Object.entries(raw.operations).map(([name, op]) => [name, {
    ...(op.input && { input: op.input.shape }),
    ...(op.output && { output: op.output.shape }),
  }]));
  const shapes = Object.fromEntries(Object.entries(raw.shapes).map(([name, s]) => [name, toShape(s)]));
  return { operations, shapes };
}

function toShape(s: BotocoreShape): Shape {
  const bounds = { ...(s.min !== undefined && { min: s.min }), ...(s.max !== undefined && { max: s.max }) };
  switch (s.type) {
    case 'structure':
      return { type: 'structure', members: Object.fromEntries(Object.entries(s.members ?? {}).map(([m, v]) => [m, v.shape])), ...(s.required && { required: s.required }) };
    case 'list':
      return { type: 'list', member: s.member!.shape, ...bounds };
    case 'map':
      return { type: 'map', key: s.key!.shape, value: s.value!.shape, ...bounds };
    case 'string':
      return { type: 'string', ...(s.enum && { enum: s.enum }), ...bounds };
    case 'integer': case 'long': case 'double': case 'float':
      return { type: s.type, ...bounds };
    default:
      return { type: s.type as 'boolean' | 'timestamp' | 'blob' };
  }
}
