import { readFileSync } from 'node:fs';
import { coerceToModel } from '../../api/aws/coerce.ts';
import type { ServiceModel } from '../../api/aws/model.ts';
import ecsModel from '../../api/aws/models/ecs.json' with { type: 'json' };
import { apiClient } from '../api-client.ts';
import { parse } from '../args.ts';
import { CliError } from '../cli-error.ts';
import { defaultEndpoint } from '../defaults.ts';
import type { Command } from './command.ts';

const ECS = 'AmazonEC2ContainerServiceV20141113';

export const taskDefinition: Command = {
  help: `Usage: berth task-definition register FILE [--endpoint URL] [--output json]

Registers the task definition in FILE ('-' for standard input): the same JSON that
'aws ecs register-task-definition --cli-input-json' takes. Unlike the API, it forgives
numbers written as strings: a container's "memory": "100" is sent as 100, a task's
"cpu": 256 as "256". Each such change is noted on stderr so the file can be fixed.

Options:
  --endpoint URL   Berth's endpoint (default $BERTH_ENDPOINT or http://127.0.0.1:8700)
  --output json    print the registered task definition as JSON
`,
  async run(argv) {
    const { values, positionals } = parse('task-definition', argv, { endpoint: { type: 'string' }, output: { type: 'string' } }, true);
    const [action, file] = positionals;
    if (action !== 'register' || file === undefined || positionals.length > 2) {
      throw new CliError("usage: berth task-definition register FILE. Run 'berth task-definition --help'.", 2);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(file === '-' ? 0 : file, 'utf8'));
    } catch (err) {
      throw new CliError(`cannot read a task definition from ${file}: ${(err as Error).message}`);
    }
    const { value, notes } = coerceToModel(ecsModel as ServiceModel, 'RegisterTaskDefinitionRequest', parsed);
    for (const n of notes) process.stderr.write(`note: ${n}\n`);
    const out = await apiClient(values.endpoint ?? defaultEndpoint()).call<{ taskDefinition: { taskDefinitionArn: string; status: string } }>(`${ECS}.RegisterTaskDefinition`, value);
    if (values.output === 'json') process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
    else process.stdout.write(`registered ${out.taskDefinition.taskDefinitionArn}\n`);
    return 0;
  },
};
