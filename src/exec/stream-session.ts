/**
 * One ECS Exec client connection, speaking the Session Manager plugin's protocol
 * (agent-message.ts) on a WebSocket and relaying to the task's agent:
 *
 *   client (plugin)                             Berth
 *     │── text {TokenValue, …} ─────────────────▶│ claims the session (single-use token)
 *     │◀── output_stream_data #0 HandshakeRequest │ SessionType InteractiveCommands
 *     │── acknowledge, input_stream_data #0 ────▶│ HandshakeResponse (acknowledged)
 *     │◀── output_stream_data #1 HandshakeComplete│ then the command opens on the agent
 *     │── input_stream_data #n Output / Size ───▶│ keystrokes / terminal size (acknowledged)
 *     │◀── output_stream_data #n Output ──────────│ the terminal's bytes (acknowledged)
 *     │◀── output_stream_data ExitCode, channel_closed, close 1000
 *
 * The socket is TCP: nothing is resent. A client message already applied (a resend whose
 * acknowledge was lost) is acknowledged again and not applied twice; one ahead of its turn
 * is dropped unacknowledged, so the client sends it again in order.
 */
import type { WebSocket } from 'ws';
import { acknowledgeOf, decodeMessage, encodeMessage, MessageType, parseOpenDataChannel, PayloadType, type AgentMessage } from './agent-message.ts';
import { commandWords } from './command-words.ts';
import type { ClaimRefusal, ExecBinding } from './exec-sessions.ts';

/** The client sends its opening frame at once; a connection silent this long is closed. */
export const OPEN_TIMEOUT_MS = 10_000;
/** A session with no input or output this long ends, as ECS Exec's idle timeout (20 minutes). */
export const IDLE_TIMEOUT_MS = 20 * 60_000;
/** Keystrokes typed before the command is open are kept up to this many bytes; more are dropped. */
export const MAX_EARLY_INPUT_BYTES = 64 * 1024;
/**
 * Output waiting in the socket for a client that reads slower than the command writes; past
 * this the session ends (a terminal's reader is a person: megabytes behind is a stuck client).
 */
export const MAX_BUFFERED_OUTPUT_BYTES = 8 * 1024 * 1024;
const POLICY_VIOLATION = 1008;
const REFUSED: Readonly<Record<ClaimRefusal | 'bad-open' | 'no-open', string>> = {
  'unknown-session': 'no such session: call ExecuteCommand for a new one',
  'wrong-token': 'wrong token for this session',
  expired: 'session token expired: call ExecuteCommand again and connect at once',
  'bad-open': 'the first frame must be the JSON open-data-channel message with a TokenValue',
  'no-open': 'no open-data-channel message in time',
};

export interface Relay {
  input(data: Buffer): void;
  resize(cols: number, rows: number): void;
  close(): void;
}

export interface StreamDeps {
  claim(sessionId: string, token: string, now: number): ExecBinding | ClaimRefusal;
  /** Opens the command on the task's agent; output and the end come to `io`. */
  open(binding: ExecBinding, command: string[], io: { output(data: Buffer): void; exit(exitCode: number | undefined, error?: string): void }): Relay;
  /** The session's audit line, at its end. */
  audit(binding: ExecBinding, entry: AuditEntry): void;
  now(): number;
  /** A fresh UUID, for message ids. */
  newId(): string;
}

export interface AuditEntry { sessionId: string; startedAt: number; endedAt: number; exitCode?: number; error?: string }

/** The audit line of one session: who ran what where, when, and how it ended. */
export function auditLine(b: ExecBinding, e: AuditEntry): string {
  return JSON.stringify({
    sessionId: e.sessionId, caller: b.caller, clusterArn: b.clusterArn, taskArn: b.taskArn, containerName: b.containerName,
    command: b.command, startedAt: new Date(e.startedAt).toISOString(), endedAt: new Date(e.endedAt).toISOString(),
    ...(e.exitCode !== undefined && { exitCode: e.exitCode }), ...(e.error !== undefined && { error: e.error }),
  });
}

export function serveExecStream(ws: WebSocket, sessionId: string, deps: StreamDeps): void {
  let binding: ExecBinding | undefined;
  let relay: Relay | undefined;
  let startedAt = 0;
  let outSeq = 0;
  let expectedIn = 0;
  let early: Buffer[] = [];
  let earlyBytes = 0;
  let ended = false;
  const openTimer = setTimeout(() => ws.close(POLICY_VIOLATION, REFUSED['no-open']), OPEN_TIMEOUT_MS);
  openTimer.unref();
  let idle: NodeJS.Timeout | undefined;
  const touch = () => {
    clearTimeout(idle);
    idle = setTimeout(() => finish(undefined, 'idle timeout'), IDLE_TIMEOUT_MS);
    idle.unref();
  };

  const sendFrame = (m: AgentMessage) => { if (ws.readyState === ws.OPEN) ws.send(encodeMessage(m)); };
  const output = (payloadType: number, payload: Buffer) => sendFrame({
    messageType: MessageType.output, schemaVersion: 1, createdDate: deps.now(), sequenceNumber: outSeq++, flags: 0, messageId: deps.newId(), payloadType, payload,
  });

  function finish(exitCode: number | undefined, error?: string): void {
    if (ended) return;
    ended = true;
    clearTimeout(idle);
    relay?.close();
    if (error !== undefined) output(PayloadType.output, Buffer.from(`\r\n${error}\r\n`));
    if (exitCode !== undefined) output(PayloadType.exitCode, Buffer.from(String(exitCode)));
    sendFrame({
      messageType: MessageType.channelClosed, schemaVersion: 1, createdDate: deps.now(), sequenceNumber: 0, flags: 0, messageId: deps.newId(), payloadType: 0,
      payload: Buffer.from(JSON.stringify({ MessageId: deps.newId(), CreatedDate: new Date(deps.now()).toISOString(), DestinationId: binding?.taskArn ?? '', SessionId: sessionId, MessageType: MessageType.channelClosed, SchemaVersion: 1, Output: '' })),
    });
    if (binding) deps.audit(binding, { sessionId, startedAt, endedAt: deps.now(), ...(exitCode !== undefined && { exitCode }), ...(error !== undefined && { error }) });
    ws.close(1000, 'session ended');
  }

  function openCommand(b: ExecBinding): void {
    const words = commandWords(b.command);
    if (!Array.isArray(words) || words.length === 0) return finish(undefined, Array.isArray(words) ? 'empty command' : words.error);
    relay = deps.open(b, words, {
      output: (data) => {
        if (ended) return;
        if (ws.bufferedAmount > MAX_BUFFERED_OUTPUT_BYTES) return finish(undefined, `the client fell ${MAX_BUFFERED_OUTPUT_BYTES} bytes behind the command's output`);
        touch();
        output(PayloadType.output, data);
      },
      exit: (code, error) => finish(code, error),
    });
    for (const d of early) relay.input(d);
    early = [];
  }

  function fromClient(m: AgentMessage): void {
    if (m.messageType === MessageType.acknowledge || m.messageType !== MessageType.input) return;
    if (m.sequenceNumber > expectedIn) return; // ahead of its turn: the client sends it again
    sendFrame(acknowledgeOf(m, deps.now(), deps.newId()));
    if (m.sequenceNumber < expectedIn) return; // a resend of one applied
    expectedIn++;
    touch();
    if (m.payloadType === PayloadType.handshakeResponse) {
      output(PayloadType.handshakeComplete, Buffer.from(JSON.stringify({ HandshakeTimeToComplete: 0, CustomerMessage: '' })));
      if (!relay) openCommand(binding!);
    } else if (m.payloadType === PayloadType.output) {
      if (relay) relay.input(m.payload);
      else if (earlyBytes + m.payload.length <= MAX_EARLY_INPUT_BYTES) { early.push(m.payload); earlyBytes += m.payload.length; }
    } else if (m.payloadType === PayloadType.size) {
      const size = parseSize(m.payload);
      if (size) relay?.resize(size.cols, size.rows);
    } else if (m.payloadType === PayloadType.flag && m.payload.length >= 4 && m.payload.readUInt32BE(0) === 2) {
      finish(undefined, 'session terminated by the client'); // TerminateSession
    }
  }

  ws.on('message', (data, isBinary) => {
    if (ended) return;
    const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
    if (!binding) {
      clearTimeout(openTimer);
      const open = isBinary ? undefined : parseOpenDataChannel(buf.toString('utf8'));
      if (!open) return void ws.close(POLICY_VIOLATION, REFUSED['bad-open']);
      const claimed = deps.claim(sessionId, open.TokenValue, deps.now());
      if (typeof claimed === 'string') return void ws.close(POLICY_VIOLATION, REFUSED[claimed]);
      binding = claimed;
      startedAt = deps.now();
      touch();
      output(PayloadType.handshakeRequest, Buffer.from(JSON.stringify({
        AgentVersion: 'berth',
        RequestedClientActions: [{ ActionType: 'SessionType', ActionParameters: { SessionType: 'InteractiveCommands', Properties: {} } }],
      })));
      return;
    }
    let m: AgentMessage;
    try {
      m = decodeMessage(buf);
    } catch {
      return; // the plugin drops what it cannot read too
    }
    fromClient(m);
  });
  ws.on('close', () => {
    clearTimeout(openTimer);
    if (binding && !ended) finish(undefined, 'the client went away');
  });
}

function parseSize(payload: Buffer): { cols: number; rows: number } | undefined {
  try {
    const v = JSON.parse(payload.toString()) as { cols?: unknown; rows?: unknown };
    const ok = (n: unknown): n is number => Number.isInteger(n) && (n as number) > 0 && (n as number) < 10_000;
    return ok(v.cols) && ok(v.rows) ? { cols: v.cols, rows: v.rows } : undefined;
  } catch {
    return undefined;
  }
}
