import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { ptyOf, shellQuote, spawnOnPipes } from './interactive-exec.ts';

test('shellQuote keeps every byte of a word for sh -c', async () => {
  const words = ['plain', 'two words', `it's`, '$HOME', '"q"', ''];
  const child = spawn('sh', ['-c', `printf '%s\\n' ${words.map(shellQuote).join(' ')}`]);
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  await new Promise((r) => child.on('close', r));
  assert.equal(out, words.map((w) => `${w}\n`).join(''));
});

test('ptyOf finds the terminal script gave its child, and nothing once it is gone', async (t) => {
  const child = spawn('script', ['-qfec', 'sleep 5', '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
  t.after(() => child.kill('SIGKILL'));
  let tty: string | undefined;
  for (let i = 0; i < 100 && !tty; i++) {
    tty = ptyOf(child.pid!);
    if (!tty) await sleep(20);
  }
  assert.match(tty ?? '', /^\/dev\/pts\/\d+$/);
  child.kill('SIGKILL');
  await new Promise((r) => child.on('close', r));
  assert.equal(ptyOf(child.pid!), undefined);
});

test('on pipes, stdout and stderr stay apart, the input ends on endInput, and the exit code comes back', async () => {
  const out: [string, string][] = [];
  const proc = spawnOnPipes(['sh', '-c', 'cat; echo oops >&2; exit 4'], (d, stream) => out.push([stream, d.toString()]));
  proc.write(Buffer.from('line\n'));
  proc.endInput();
  assert.equal(await proc.done, 4);
  assert.deepEqual(out.filter(([s]) => s === 'stdout').map(([, d]) => d).join(''), 'line\n');
  assert.deepEqual(out.filter(([s]) => s === 'stderr').map(([, d]) => d).join(''), 'oops\n');
});
