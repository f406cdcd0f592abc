import { homedir } from 'node:os';
import { join } from 'node:path';

/** The port `berth up` listens on unless told otherwise (BERTH_PORT or --port). */
export const DEFAULT_PORT = 8700;
/** Loopback only by default: exposing the control plane to a network is an explicit choice. */
export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_ACCOUNT = '000000000000';
export const DEFAULT_REGION = 'us-east-1';

/** /var/lib/berth for root, else the XDG data home: where state lives without --data-dir. */
export function defaultDataDir(): string {
  if (process.env.BERTH_DATA_DIR) return process.env.BERTH_DATA_DIR;
  if (process.getuid?.() === 0) return '/var/lib/berth';
  return join(process.env.XDG_DATA_HOME ?? join(homedir(), '.local', 'share'), 'berth');
}

/** The endpoint commands talk to: --endpoint, BERTH_ENDPOINT, or the local default. */
export function defaultEndpoint(): string {
  return process.env.BERTH_ENDPOINT ?? `http://${DEFAULT_HOST}:${process.env.BERTH_PORT ?? DEFAULT_PORT}`;
}
