import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { runSsmSession } from '../../test/support/ssm-client.ts';
import { createExecStream } from '../server/exec-stream.ts';
import { ExecSessions, TOKEN_TTL_MS, type ExecBinding } from './exec-sessions.ts';
import { auditLine, type AuditEntry } from './stream-session.ts';

const BINDING: ExecBinding = { caller: 'arn:aws:iam::000000000000:root', clusterArn: 'arn:aws:ecs:us-east-1:000000000000:cluster/default', taskArn: 'arn:aws:ecs:us-east-1:000000000000:task/default/0123456789abcdef0123456789abcdef', containerInstanceArn: 'arn:aws:ecs:us-east-1:000000000000:container-instance/default/00000000000000000000000000000000', containerName: 'app', command: '/bin/sh' };

/** A stand-in agent: a "shell" that runs `echo X` lines and ends at `exit N`. */
const opened: string[][] = [];
const audits: AuditEntry[] = [];
let clock = 1_000_000;
const sessions = new ExecSessions();
const stream = createExecStream({
  sessions, newId: randomUUID, now: () => clock,
  audit: (_b, e) => audits.push(e),
  open: (_b, command, io) => {
    opened.push(command);
    let buf = '';
    return {
      input(data) {
        buf += data.toString();
        for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          for (const cmd of line.split(';').map((s) => s.trim())) {
            if (cmd.startsWith('echo ')) io.output(Buffer.from(`${cmd.slice(5)}\r\n`));
            if (cmd.startsWith('exit ')) setImmediate(() => io.exit(Number(cmd.slice(5))));
          }
        }
      },
      resize() {},
      close() {},
    };
  },
});
let server: Server;
let base: string;
before(async () => {
  server = createServer();
  server.on('upgrade', (req, socket, head) => stream.handleUpgrade(req, socket, head));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/_berth/ssm/`;
});
after(async () => {
  stream.close();
  await new Promise<void>((r) => server.close(() => r()));
});

test('a protocol client runs a command interactively: output, exit code, channel_closed, audit', async () => {
  sessions.issue('ecs-execute-command-1', 'token-1', BINDING, clock);
  const r = await runSsmSession(`${base}ecs-execute-command-1`, 'token-1', 'echo hello; exit 3\n');
  assert.match(r.output, /hello/);
  assert.equal(r.exitCode, 3);
  assert.equal(r.closed, true);
  assert.equal(r.closeCode, 1000);
  // The handshake response (0), the size (1) and the keystrokes (2), each acknowledged.
  assert.deepEqual(r.acked, [0, 1, 2]);
  assert.deepEqual(opened.at(-1), ['/bin/sh']);
  assert.equal(audits.at(-1)?.exitCode, 3);
  assert.equal(audits.at(-1)?.sessionId, 'ecs-execute-command-1');
});

test('a forged, reused or expired token is refused before anything runs', async () => {
  const before = opened.length;
  sessions.issue('s-forged', 'right', BINDING, clock);
  const forged = await runSsmSession(`${base}s-forged`, 'wrong', 'echo no\n');
  assert.equal(forged.closeCode, 1008);
  assert.match(forged.closeReason, /wrong token/);

  sessions.issue('s-reused', 'tok', BINDING, clock);
  assert.equal((await runSsmSession(`${base}s-reused`, 'tok', 'exit 0\n')).exitCode, 0);
  const reused = await runSsmSession(`${base}s-reused`, 'tok', 'echo again\n');
  assert.equal(reused.closeCode, 1008);
  assert.match(reused.closeReason, /no such session/);

  sessions.issue('s-expired', 'tok', BINDING, clock);
  clock += TOKEN_TTL_MS + 1;
  const expired = await runSsmSession(`${base}s-expired`, 'tok', 'echo late\n');
  assert.equal(expired.closeCode, 1008);
  assert.match(expired.closeReason, /expired/);
  assert.equal(opened.length, before + 1); // only the reused session's first, rightful use ran
});

test('the audit line names who ran what where, and how it ended', () => {
  const line = JSON.parse(auditLine(BINDING, { sessionId: 's', startedAt: 0, endedAt: 1000, exitCode: 3 })) as Record<string, unknown>;
  assert.deepEqual(line, {
    sessionId: 's', caller: BINDING.caller, clusterArn: BINDING.clusterArn, taskArn: BINDING.taskArn, containerName: 'app',
    command: '/bin/sh', startedAt: '1970-01-01T00:00:00.000Z', endedAt: '1970-01-01T00:00:01.000Z', exitCode: 3,
  });
});
