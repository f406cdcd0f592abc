import { commands, printHelp } from './commands/index.ts';
import { CliError } from './cli-error.ts';

/**
 * `berth <command> [options]`. Each command parses its own options and has its own
 * --help; errors are one line on stderr that says what to do, with exit code 1
 * (2 for a command line that could not be understood).
 */
async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    printHelp();
    return name === undefined ? 2 : 0;
  }
  if (name === '--version') return (await commands.version!.load()).run([]);
  const entry = Object.hasOwn(commands, name) ? commands[name] : undefined;
  if (!entry) {
    process.stderr.write(`berth: unknown command '${name}'. Run 'berth --help' for the list of commands.\n`);
    return 2;
  }
  const command = await entry.load();
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(command.help);
    return 0;
  }
  return command.run(rest);
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err: unknown) => {
    if (err instanceof CliError) {
      process.stderr.write(`berth: ${err.message}\n`);
      process.exitCode = err.exitCode;
    } else {
      process.stderr.write(`berth: ${err instanceof Error ? err.stack : String(err)}\n`);
      process.exitCode = 1;
    }
  },
);
