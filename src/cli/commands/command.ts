/** One `berth` subcommand. */
export interface Command {
  /** One line for `berth --help`. */
  readonly summary: string;
  /** The whole `berth <command> --help` text. */
  readonly help: string;
  /** Runs with the arguments after the command name; resolves to the exit code. */
  run(argv: string[]): Promise<number>;
}
