import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TaskContainer } from '../runtime/sandbox/index.ts';
import { InteractiveExecs } from './interactive-execs.ts';

/** A container whose interactive commands echo their input and end when killed (exit 137). */
function fakeContainer(killed: string[]): TaskContainer {
  return {
    interactive(args: readonly string[], onOutput: (d: Buffer) => void) {
      let end!: (code: number) => void;
      const done = new Promise<number>((r) => { end = r; });
      return { write: (d: Buffer) => onOutput(d), resize: () => {}, kill: () => { killed.push(args.join(' ')); end(137); }, done };
    },
  } as unknown as TaskContainer;
}

test('input is echoed back as output; a cancel kills the command, which answers its exit', async () => {
  const killed: string[] = [];
  const execs = new InteractiveExecs();
  const answers: unknown[] = [];
  const c = fakeContainer(killed);
  execs.handle('s1', { type: 'execOpen', id: 'a', taskArn: 't', container: 'app', command: ['sh'] }, () => c, (m) => answers.push(m));
  execs.handle('s1', { type: 'execInput', id: 'a', data: Buffer.from('hi').toString('base64') }, () => c, (m) => answers.push(m));
  execs.handle('s1', { type: 'cancel', id: 'a' }, () => c, (m) => answers.push(m));
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(answers, [{ type: 'execOutput', id: 'a', data: Buffer.from('hi').toString('base64') }, { type: 'execExit', id: 'a', exitCode: 137 }]);
  assert.equal(execs.size, 0);
});

test('a session’s connection ending kills only the commands it opened', async () => {
  const killed: string[] = [];
  const execs = new InteractiveExecs();
  const c = fakeContainer(killed);
  execs.handle('s1', { type: 'execOpen', id: 'a', taskArn: 't', container: 'app', command: ['one'] }, () => c, () => {});
  execs.handle('s2', { type: 'execOpen', id: 'b', taskArn: 't', container: 'app', command: ['two'] }, () => c, () => {});
  execs.closeOwner('s1');
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(killed, ['one']);
  assert.equal(execs.size, 1);
  execs.closeAll();
});

test('a container not on this host, or one without a terminal, is answered with why', () => {
  const execs = new InteractiveExecs();
  const answers: { type: string; error?: string }[] = [];
  execs.handle('s', { type: 'execOpen', id: 'a', taskArn: 't', container: 'app', command: ['sh'] }, () => undefined, (m) => answers.push(m));
  execs.handle('s', { type: 'execOpen', id: 'b', taskArn: 't', container: 'app', command: ['sh'] }, () => ({}) as TaskContainer, (m) => answers.push(m));
  assert.match(answers[0]?.error ?? '', /app of t is not running on this host/);
  assert.match(answers[1]?.error ?? '', /no interactive exec/);
});

test('without a terminal, stderr is answered as its own stream and an input with eof ends stdin', async () => {
  const execs = new InteractiveExecs();
  const answers: unknown[] = [];
  const seen: { tty?: boolean; ended: boolean } = { ended: false };
  const c = {
    interactive(_args: readonly string[], onOutput: (d: Buffer, s: 'stdout' | 'stderr') => void, options?: { tty?: boolean }) {
      seen.tty = options?.tty;
      let end!: (code: number) => void;
      const done = new Promise<number>((r) => { end = r; });
      return {
        write: (d: Buffer) => { onOutput(d, 'stdout'); onOutput(Buffer.from('warn'), 'stderr'); },
        endInput: () => { seen.ended = true; end(0); },
        resize: () => {}, kill: () => end(137), done,
      };
    },
  } as unknown as TaskContainer;
  execs.handle('s', { type: 'execOpen', id: 'a', taskArn: 't', container: 'app', command: ['cat'], tty: false }, () => c, (m) => answers.push(m));
  execs.handle('s', { type: 'execInput', id: 'a', data: Buffer.from('x').toString('base64'), eof: true }, () => c, (m) => answers.push(m));
  await new Promise((r) => setImmediate(r));
  assert.equal(seen.tty, false);
  assert.equal(seen.ended, true);
  assert.deepEqual(answers, [
    { type: 'execOutput', id: 'a', data: Buffer.from('x').toString('base64') },
    { type: 'execOutput', id: 'a', data: Buffer.from('warn').toString('base64'), stream: 'stderr' },
    { type: 'execExit', id: 'a', exitCode: 0 },
  ]);
});

test('execOpen attach: the container\'s own process — input, terminal size, end of input and output relayed; cancel detaches and answers exit 0; a failed attach answers why', async () => {
  const execs = new InteractiveExecs();
  const answers: unknown[] = [];
  const events: string[] = [];
  let fail = false;
  const c = {
    attach(onOutput: (d: Buffer, s: 'stdout' | 'stderr') => void) {
      let settle!: (e?: Error) => void;
      const done = new Promise<void>((resolve, reject) => { settle = (e) => (e ? reject(e) : resolve()); });
      if (fail) queueMicrotask(() => settle(new Error('cannot attach: no socket')));
      return {
        write: (d: Buffer) => { events.push(`in:${d.toString()}`); onOutput(d, 'stderr'); },
        endInput: () => events.push('eof'),
        resize: (cols: number, rows: number) => events.push(`size:${cols}x${rows}`),
        close: () => { events.push('detached'); settle(); },
        done,
      };
    },
  } as unknown as TaskContainer;
  execs.handle('s', { type: 'execOpen', id: 'a', taskArn: 't', container: 'app', command: [], attach: true }, () => c, (m) => answers.push(m));
  execs.handle('s', { type: 'execResize', id: 'a', cols: 100, rows: 30 }, () => c, (m) => answers.push(m));
  execs.handle('s', { type: 'execInput', id: 'a', data: Buffer.from('hi').toString('base64'), eof: true }, () => c, (m) => answers.push(m));
  execs.handle('s', { type: 'cancel', id: 'a' }, () => c, (m) => answers.push(m));
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(events, ['size:100x30', 'in:hi', 'eof', 'detached']);
  assert.deepEqual([...answers], [{ type: 'execOutput', id: 'a', data: Buffer.from('hi').toString('base64'), stream: 'stderr' }, { type: 'execExit', id: 'a', exitCode: 0 }]);
  assert.equal(execs.size, 0);
  fail = true;
  answers.length = 0;
  execs.handle('s', { type: 'execOpen', id: 'b', taskArn: 't', container: 'app', command: [], attach: true }, () => c, (m) => answers.push(m));
  await new Promise((r) => setImmediate(r));
  assert.deepEqual([...answers], [{ type: 'execExit', id: 'b', error: 'cannot attach: no socket' }]);
  // A sandbox that cannot attach (gVisor's members have no conmon) says so.
  answers.length = 0;
  execs.handle('s', { type: 'execOpen', id: 'c', taskArn: 't', container: 'app', command: [], attach: true }, () => ({ interactive: () => undefined }) as unknown as TaskContainer, (m) => answers.push(m));
  assert.match((answers[0] as { error: string }).error, /app runs in a gVisor sandbox \(Fargate\), where Berth cannot attach: .*use kubectl exec -it/);
});
