/** One `berth` subcommand's code: loaded only when that command runs (see index.ts). */
export interface Command {
  /** The whole `berth <command> --help` text. */
  readonly help: string;
  /** Runs with the arguments after the command name; resolves to the exit code. */
  run(argv: string[]): Promise<number>;
}
