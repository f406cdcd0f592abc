import { VERSION } from '../../version.ts';
import { parse } from '../args.ts';
import type { Command } from './command.ts';

export const version: Command = {
  help: `Usage: berth version [--output json]

Prints Berth's version and the Node.js it runs on.
`,
  async run(argv) {
    const { values } = parse('version', argv, { output: { type: 'string' } });
    if (values.output === 'json') process.stdout.write(`${JSON.stringify({ version: VERSION, node: process.versions.node })}\n`);
    else process.stdout.write(`berth ${VERSION} (node ${process.versions.node})\n`);
    return 0;
  },
};
