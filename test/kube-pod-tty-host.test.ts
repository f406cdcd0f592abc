// Touches the host: run under flock /tmp/berth-host.lock (bin/test runs host tests one at a time).
// A container on a terminal end to end (issue 17, `tty: true`): `berth up` with its agent, an
// EKS cluster whose node group claims the agent's host, real pods placed there, and kubectl
// 1.32 on a terminal of its own (util-linux `script` gives it a pty, as a person's shell
// would). `kubectl attach -it` to a pod `tty: true, stdin: true` running sh: a command's
// output comes back, the container's stdin is a tty with TERM=xterm, its size is kubectl's
// and follows kubectl's terminal when that is resized; `kubectl logs` shows what the terminal
// showed. `kubectl run -it --rm`: a shell, a command, `exit` ends the attach and the pod is
// deleted. No timing assertions: every wait is for a condition.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { startEksHostCluster, type EksHostCluster } from './support/eks-host-cluster.ts';
import { until } from './support/until.ts';
import { ptyOf, shellQuote } from '../src/runtime/container/interactive-exec.ts';

let eks: EksHostCluster | undefined;
const children: ChildProcess[] = [];
/** Pod start (image cached by `image samples`) and conmon's exit: minutes of slack for a loaded CI host. */
const WAIT_MS = 180_000;
/** A command typed at the shell is typed again this often until its answer shows (a resize may land after the first try). */
const RETYPE_MS = 2_000;
const kubectl = (args: string[], input?: string) => eks!.kubectlResult(args, input);
const ok = (args: string[], input?: string): Promise<string> => eks!.kubectl(args, input);
const phase = async (pod: string) => (await kubectl(['get', 'pod', pod, '-o', 'jsonpath={.status.phase}'])).stdout.trim();
const running = (pod: string) => until(`pod ${pod} Running`, async () => ((await phase(pod)) === 'Running' ? true : undefined), WAIT_MS);

/**
 * kubectl on a terminal of `rows` × `cols`: `script` makes a pty, the shell sets its size and
 * becomes kubectl. What is written to `type` reaches kubectl as keystrokes; `screen` is all
 * the terminal showed; `resize` changes the terminal's size as a window drag does (the kernel
 * sends kubectl SIGWINCH).
 */
function kubectlOnTerminal(args: string[], rows: number, cols: number) {
  const line = `stty rows ${rows} cols ${cols} && exec kubectl ${args.map(shellQuote).join(' ')}`;
  const child = spawn('script', ['-qfec', line, '/dev/null'], { env: { ...process.env, ...eks!.env(), SHELL: '/bin/sh' }, stdio: ['pipe', 'pipe', 'pipe'] });
  children.push(child);
  let screen = '';
  child.stdout.on('data', (c: Buffer) => (screen += c.toString()));
  child.stderr.on('data', (c: Buffer) => (screen += c.toString()));
  child.stdin.on('error', () => {});
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  return {
    get screen() { return screen; },
    exited,
    type: (text: string) => child.stdin.write(text),
    /** Types `command` (Enter included) until `answer` shows after the point where it was first typed. */
    ask: async (command: string, answer: RegExp): Promise<string> => {
      const from = screen.length;
      let typedAt = 0;
      return until(`${JSON.stringify(command)} answering ${answer}`, async () => {
        const m = screen.slice(from).match(answer);
        if (m) return m[0];
        if (Date.now() - typedAt >= RETYPE_MS) {
          typedAt = Date.now();
          child.stdin.write(`${command}\r`);
        }
        return undefined;
      }, WAIT_MS, 100);
    },
    resize: async (newRows: number, newCols: number) => {
      const tty = await until('kubectl\'s terminal', async () => (child.pid !== undefined ? ptyOf(child.pid) : undefined), WAIT_MS, 100);
      execFileSync('stty', ['-F', tty, 'rows', String(newRows), 'cols', String(newCols)]);
    },
    kill: () => child.kill('SIGKILL'),
  };
}

before(async () => {
  eks = await startEksHostCluster();
});

after(async () => {
  for (const c of children) c.kill('SIGKILL');
  await eks?.stop();
});

test('kubectl attach -it: a shell on the container\'s terminal, its size kubectl\'s and following a resize; kubectl logs shows the terminal', async () => {
  await ok(['apply', '-f', '-'], JSON.stringify({
    apiVersion: 'v1', kind: 'Pod', metadata: { name: 'term' },
    spec: { restartPolicy: 'Never', terminationGracePeriodSeconds: 1, containers: [{ name: 'term', image: 'busybox', command: ['sh'], stdin: true, tty: true }] },
  }));
  await running('term');
  const k = kubectlOnTerminal(['attach', '-it', 'term'], 30, 100);
  await k.ask('echo tty-$((6*7))', /tty-42\r\n/);
  // The shell's stdin is the container's pty, and the runtime set TERM as Docker does.
  await k.ask('tty; echo "term=$TERM"', /\/dev\/pts\/\d+\r\nterm=xterm\r\n/);
  // kubectl sent its terminal's size on the resize channel as it attached.
  await k.ask('stty size', /\r\n30 100\r\n/);
  await k.resize(40, 120);
  await k.ask('stty size', /\r\n40 120\r\n/);
  // Detaching leaves the container running.
  k.kill();
  await k.exited;
  assert.equal(await phase('term'), 'Running');
  // One stream, the terminal's: the echoed command and its output, with the pty's CRLF.
  const logs = await ok(['logs', 'term']);
  assert.match(logs, /tty-42\r\n/);
  assert.match(logs, /40 120\r\n/);
});

test('kubectl run -it --rm: a prompt, a command\'s output, exit ends the attach and the pod is deleted', async () => {
  const k = kubectlOnTerminal(['run', 'shell', '-it', '--rm', '--restart=Never', '--image=busybox', '--pod-running-timeout=3m', '--', 'sh'], 24, 80);
  await k.ask('echo run-$((2*3))', /run-6\r\n/);
  await k.ask('stty size', /\r\n24 80\r\n/);
  k.type('exit\r');
  assert.equal(await k.exited, 0, `kubectl run: ${k.screen}`);
  assert.match(k.screen, /pod "shell" deleted/);
  await until('pod shell gone', async () => ((await kubectl(['get', 'pod', 'shell'])).code !== 0 ? true : undefined), WAIT_MS);
});
