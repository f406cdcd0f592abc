import { parseArgs, type ParseArgsOptionsConfig } from 'node:util';
import { CliError } from './cli-error.ts';

/** parseArgs with Berth's error style: an unknown or malformed option is a one-line usage error. */
export function parse<T extends ParseArgsOptionsConfig>(command: string, argv: string[], options: T, allowPositionals = false) {
  try {
    return parseArgs({ args: argv, options, allowPositionals, strict: true });
  } catch (err) {
    throw new CliError(`${(err as Error).message.replace(/\. To specify a positional argument.*$/, '')}. Run 'berth ${command} --help'.`, 2);
  }
}

export function intOption(command: string, name: string, value: string | undefined, dflt: number, min = 0, max = 65535): number {
  if (value === undefined) return dflt;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new CliError(`--${name} must be a whole number from ${min} to ${max}, not '${value}'. Run 'berth ${command} --help'.`, 2);
  return n;
}
