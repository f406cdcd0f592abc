import { adminJson, region } from '../admin-client.ts';
import { parse } from '../args.ts';
import { CliError } from '../cli-error.ts';
import { defaultEndpoint } from '../defaults.ts';
import type { Command } from './command.ts';
import { resolveTaskId } from './logs.ts';

export const exec: Command = {
  help: `Usage: berth exec TASK [--container NAME] [--cluster NAME] [--timeout SECONDS] -- COMMAND [ARG...]

Runs COMMAND inside a running task's container (its namespaces, cgroup, user and
environment) and prints its output; berth exits with the command's exit code.
Not interactive: standard input is not passed on.

Options:
  --container NAME   which container (default: the task's first container)
  --cluster NAME     the task's cluster (default: default)
  --timeout SECONDS  kill the command after this long (default 60)
  --endpoint URL     Berth's endpoint (default $BERTH_ENDPOINT or http://127.0.0.1:8700)

A Berth on another host needs its join token: set BERTH_TOKEN ('berth token' there shows it).
`,
  async run(argv) {
    const dash = argv.indexOf('--');
    if (dash < 0 || dash === argv.length - 1) throw new CliError("usage: berth exec TASK -- COMMAND [ARG...]. Run 'berth exec --help'.", 2);
    const { values, positionals } = parse('exec', argv.slice(0, dash), {
      container: { type: 'string' }, cluster: { type: 'string' }, timeout: { type: 'string' }, endpoint: { type: 'string' },
    }, true);
    if (positionals.length !== 1) throw new CliError("usage: berth exec TASK -- COMMAND [ARG...]. Run 'berth exec --help'.", 2);
    const endpoint = values.endpoint ?? defaultEndpoint();
    const task = await resolveTaskId(endpoint, positionals[0]!, values.cluster);
    const timeoutSeconds = values.timeout === undefined ? undefined : Number(values.timeout);
    if (timeoutSeconds !== undefined && !(timeoutSeconds > 0)) throw new CliError('--timeout must be a positive number of seconds.', 2);
    const body = await adminJson<{ exitCode?: number; stdout?: string; stderr?: string }>(endpoint, '/_berth/tasks/exec', {
      method: 'POST',
      body: {
        task, command: argv.slice(dash + 1),
        ...(values.cluster && { cluster: values.cluster }), ...(values.container && { container: values.container }),
        ...(timeoutSeconds && { timeoutSeconds }), region: region(),
      },
    });
    process.stdout.write(body.stdout ?? '');
    process.stderr.write(body.stderr ?? '');
    return body.exitCode ?? 1;
  },
};
