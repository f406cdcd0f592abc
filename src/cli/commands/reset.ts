import { adminJson } from '../admin-client.ts';
import { parse } from '../args.ts';
import { CliError } from '../cli-error.ts';
import { defaultEndpoint } from '../defaults.ts';
import type { Command } from './command.ts';

export const reset: Command = {
  help: `Usage: berth reset --yes [--endpoint URL] [--output json]

Deletes every cluster, task definition, setting and other object of every account and
region in the running Berth, through its admin endpoint POST /_berth/reset. Meant for
test suites that need a clean slate between tests. There is no undo: --yes is required.

Options:
  --endpoint URL   Berth's endpoint (default $BERTH_ENDPOINT or http://127.0.0.1:8700)
  --yes            really do it
  --output json    print the answer as JSON

A Berth on another host needs its join token: set BERTH_TOKEN ('berth token' there shows it).
`,
  async run(argv) {
    const { values } = parse('reset', argv, { endpoint: { type: 'string' }, yes: { type: 'boolean' }, output: { type: 'string' } });
    if (!values.yes) throw new CliError('reset deletes all state and cannot be undone: pass --yes to go ahead.', 2);
    const endpoint = values.endpoint ?? defaultEndpoint();
    const body = await adminJson<{ revision: number }>(endpoint, '/_berth/reset', { method: 'POST' });
    process.stdout.write(values.output === 'json' ? `${JSON.stringify(body)}\n` : `All state wiped (store revision ${body.revision}).\n`);
    return 0;
  },
};
