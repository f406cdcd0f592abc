import { resolve } from 'node:path';
import { joinTokenPath, readJoinToken, rotateJoinToken } from '../../server/join-token.ts';
import { parse } from '../args.ts';
import { CliError } from '../cli-error.ts';
import { defaultDataDir } from '../defaults.ts';
import type { Command } from './command.ts';

export const token: Command = {
  help: `Usage: berth token [--rotate] [--data-dir DIR]

Prints the join token of the Berth whose data dir this is: what 'berth agent --join URL
--token TOKEN' presents to join another host, and what callers on other hosts send to
Berth's own endpoints (Authorization: Bearer TOKEN). Run it on the control plane's host,
as the user that runs 'berth up' (the token file is readable by that user only).

Options:
  --rotate          replace the token with a new one and print it. The old one stops
                    working at once, in a running 'berth up' too; hosts that already
                    joined keep working (each has its own secret)
  --data-dir DIR    Berth's data dir (default /var/lib/berth as root, else
                    ~/.local/share/berth; or $BERTH_DATA_DIR)
`,
  async run(argv) {
    const { values } = parse('token', argv, { rotate: { type: 'boolean' }, 'data-dir': { type: 'string' } });
    const dataDir = resolve(values['data-dir'] ?? defaultDataDir());
    let current: string | undefined;
    try {
      current = readJoinToken(dataDir);
      if (values.rotate) {
        if (current === undefined) throw new CliError(`${dataDir} has no join token to rotate: 'berth up --data-dir ${dataDir}' makes one at its first start.`);
        current = rotateJoinToken(dataDir);
      }
    } catch (err) {
      if (err instanceof CliError) throw err;
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EACCES' || code === 'EPERM') throw new CliError(`cannot read ${joinTokenPath(dataDir)} (${code}): run this as the user that runs 'berth up'.`);
      throw new CliError((err as Error).message);
    }
    if (current === undefined) throw new CliError(`${dataDir} has no join token: 'berth up' makes one at its first start (pass --data-dir if it keeps its state elsewhere).`);
    process.stdout.write(`${current}\n`);
    return 0;
  },
};
