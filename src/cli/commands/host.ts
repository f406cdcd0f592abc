import { resolve } from 'node:path';
import { askHostControl, type HostRequest } from '../../hosts/control.ts';
import { parse } from '../args.ts';
import { CliError } from '../cli-error.ts';
import { defaultDataDir } from '../defaults.ts';
import type { Command } from './command.ts';

export const host: Command = {
  help: `Usage: berth host ls | kill NAME [--agent-only] | start NAME [--data-dir DIR]

Lists, kills or starts the simulated hosts of a running 'berth up --hosts N', for testing
what a cluster does when it loses a machine.

  ls          each host: name, state, address, zone, agent pid, container instance, and
              its instance in the Fargate pool when it offers Fargate capacity
  kill NAME   powers host NAME off: SIGKILL to its agent, its container monitors and its
              containers, then its network namespaces and run dir are removed, as a
              machine that lost power loses them. Its data dir (the disk) stays. The
              control plane sees the agent gone: agentConnected turns false after the
              agent's grace period.
  kill NAME --agent-only
              kills only its agent (SIGKILL); its containers run on, unwatched, as when
              an ECS agent dies or its host loses the network. 'start' then starts an
              agent that adopts them.
  start NAME  boots host NAME again: its namespace, and its agent, which rejoins as the
              same container instance and reports the tasks it had as stopped.

NAME is host-2 ... host-N (or just the number). host-1 is the machine itself, where the
control plane runs: 'berth up' stops it.

Options:
  --data-dir DIR   the data dir of that 'berth up' (default /var/lib/berth as root, or
                   $BERTH_DATA_DIR): its hosts.sock is how this command reaches it
`,
  async run(argv) {
    const { values, positionals } = parse('host', argv, { 'data-dir': { type: 'string' }, 'agent-only': { type: 'boolean' } }, true);
    const [op, name, ...rest] = positionals;
    let req: HostRequest;
    if (op === 'ls' && name === undefined) req = { op: 'ls' };
    else if (op === 'kill' && name !== undefined && rest.length === 0) req = { op, name, ...(values['agent-only'] && { agentOnly: true }) };
    else if (op === 'start' && name !== undefined && rest.length === 0 && !values['agent-only']) req = { op, name };
    else throw new CliError("say 'berth host ls', 'berth host kill NAME' or 'berth host start NAME'. Run 'berth host --help'.", 2);
    const dataDir = resolve(values['data-dir'] ?? defaultDataDir());
    const answer = await askHostControl(dataDir, req).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT' || e.code === 'ECONNREFUSED') throw new CliError(`no 'berth up --hosts N' runs with the data dir ${dataDir}: start one, or pass its --data-dir.`);
      if (e.code === 'EACCES') throw new CliError('only root may control the hosts: run it as root.');
      throw new CliError(e.message);
    });
    if ('error' in answer) throw new CliError(answer.error);
    if ('message' in answer) {
      process.stdout.write(`${answer.message}\n`);
      return 0;
    }
    // A host that offers Fargate capacity shows its instance in the pool last, marked "fargate".
    const rows = [['NAME', 'STATE', 'ADDRESS', 'ZONE', 'TYPE', 'PID', 'CONTAINER INSTANCE', 'FARGATE POOL INSTANCE'],
      ...answer.hosts.map((h) => [h.name, h.state, h.address, h.availabilityZone, h.instanceType, h.pid === null ? '-' : String(h.pid), h.containerInstanceArn ?? '-',
        h.poolInstanceArn ? `fargate:${h.poolInstanceArn}` : '-'])];
    const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
    process.stdout.write(rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n') + '\n');
    return 0;
  },
};
