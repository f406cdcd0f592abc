/**
 * `berth events --follow --output json` in the background, each event kept with the time it
 * arrived, for tests that check how soon an ECS event follows a change.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from './berth.ts';

export interface EcsEvent {
  'detail-type': string;
  source: string;
  resources: string[];
  detail: { taskArn: string; lastStatus: string; desiredStatus: string; stopCode?: string; version: number; [k: string]: unknown };
}

export interface EventFollower {
  /** Every event seen so far, in arrival order. */
  readonly lines: { at: number; event: EcsEvent }[];
  stop(): void;
}

export function followEvents(endpoint: string): EventFollower {
  const lines: { at: number; event: EcsEvent }[] = [];
  const child: ChildProcess = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', join(ROOT, 'src/cli/main.ts'), 'events', '--follow', '--output', 'json', '--endpoint', endpoint], { stdio: ['ignore', 'pipe', 'inherit'] });
  let partial = '';
  child.stdout!.on('data', (c: Buffer) => {
    const parts = (partial + c.toString()).split('\n');
    partial = parts.pop()!;
    for (const line of parts) if (line) lines.push({ at: Date.now(), event: JSON.parse(line) as EcsEvent });
  });
  return { lines, stop: () => void child.kill('SIGTERM') };
}
