import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { runSsmSession } from '../../test/support/ssm-client.ts';
import { createExecStream } from '../server/exec-stream.ts';
import { ExecSessions, TOKEN_TTL_MS, type ExecBinding } from './exec-sessions.ts';
import WebSocket from 'ws';
import { encodeMessage, PayloadType } from './agent-message.ts';
import { auditLine, MAX_BUFFERED_OUTPUT_BYTES, type AuditEntry } from './stream-session.ts';

const BINDING: ExecBinding = { caller: 'arn:aws:iam::000000000000:root', clusterArn: 'arn:aws:ecs:us-east-1:000000000000:cluster/default', taskArn: 'arn:aws:ecs:us-east-1:000000000000:task/default/0123456789abcdef0123456789abcdef', containerInstanceArn: 'arn:aws:ecs:us-east-1:000000000000:container-instance/default/00000000000000000000000000000000', containerName: 'app', command: '/bin/sh' };

/** A stand-in agent: a "shell" that runs `echo X` lines and ends at `exit N`. */
const opened: string[][] = [];
const audits: AuditEntry[] = [];
let clock = 1_000_000;
const sessions = new ExecSessions();
const stream = createExecStream({
  sessions, newId: randomUUID, now: () => clock,
  audit: (_b, e) => audits.push(e),
  open: (b, command, io) => {
    opened.push(command);
    if (b.command === 'flood') {
      // A command that writes without end, until the session closes it.
      let on = true;
      const chunk = Buffer.alloc(64 * 1024, 'x');
      const pump = () => { if (on) { io.output(chunk); setImmediate(pump); } };
      setImmediate(pump);
      return { input() {}, resize() {}, close() { on = false; } };
    }
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

test('a client that stops reading is let go once the output waiting for it passes the bound', async () => {
  sessions.issue('s-flood', 'tok', { ...BINDING, command: 'flood' }, clock);
  const ws = new WebSocket(`${base}s-flood`);
  await new Promise((r) => ws.once('open', r));
  ws.send(JSON.stringify({ MessageSchemaVersion: '1.0', RequestId: randomUUID(), TokenValue: 'tok', ClientId: 'c', ClientVersion: '1' }));
  // Answer the handshake, then read nothing more.
  await new Promise<void>((resolve) => ws.once('message', () => {
    ws.send(encodeMessage({ messageType: 'input_stream_data', schemaVersion: 1, createdDate: 0, sequenceNumber: 0, flags: 0, messageId: randomUUID(), payloadType: PayloadType.handshakeResponse, payload: Buffer.from('{}') }));
    (ws as unknown as { _socket: { pause(): void } })._socket.pause();
    resolve();
  }));
  const deadline = Date.now() + 60_000;
  while (!audits.some((a) => a.sessionId === 's-flood') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  ws.terminate();
  assert.match(audits.find((a) => a.sessionId === 's-flood')?.error ?? '', new RegExp(`fell ${MAX_BUFFERED_OUTPUT_BYTES} bytes behind`));
});

test('the audit line names who ran what where, and how it ended', () => {
  const line = JSON.parse(auditLine(BINDING, { sessionId: 's', startedAt: 0, endedAt: 1000, exitCode: 3 })) as Record<string, unknown>;
  assert.deepEqual(line, {
    sessionId: 's', caller: BINDING.caller, clusterArn: BINDING.clusterArn, taskArn: BINDING.taskArn, containerName: 'app',
    command: '/bin/sh', startedAt: '1970-01-01T00:00:00.000Z', endedAt: '1970-01-01T00:00:01.000Z', exitCode: 3,
  });
});
