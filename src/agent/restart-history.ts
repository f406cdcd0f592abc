/**
 * A task's containers' restarts, kept in `<task dir>/restarts.json` (task-layout.ts) and
 * written at each restart, so an agent restarted after kill -9 counts on from where the
 * last one was (its reports only raise the count: a lower one would be ignored).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { replaceFileSync } from '../lib/replace-file.ts';
import type { LastTermination } from '../core/workload/report.ts';
import type { RestartHistory } from './restart-policy.ts';

export const RESTARTS_FILE = 'restarts.json';

export interface ContainerRestarts {
  restarts: RestartHistory;
  lastTermination?: LastTermination;
}

/** What the file holds, by container name; empty when there is none (no restart yet) or it is unreadable. */
export function readRestarts(taskDir: string): Record<string, ContainerRestarts> {
  try {
    const parsed = JSON.parse(readFileSync(join(taskDir, RESTARTS_FILE), 'utf8')) as unknown;
    return parsed !== null && typeof parsed === 'object' ? parsed as Record<string, ContainerRestarts> : {};
  } catch {
    return {};
  }
}

export function writeRestarts(taskDir: string, all: Record<string, ContainerRestarts>): void {
  replaceFileSync(join(taskDir, RESTARTS_FILE), JSON.stringify(all));
}
