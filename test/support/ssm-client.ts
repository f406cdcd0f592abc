/**
 * A Session Manager plugin stand-in, written to the plugin's protocol (src/exec/agent-message.ts
 * for the frame): the real `session-manager-plugin` is not installable here (not in Debian,
 * npm or PyPI). It does what the plugin does for an interactive command: opens the data
 * channel with the token, answers the handshake, acknowledges every output message, sends
 * keystrokes as input_stream_data, and ends at channel_closed.
 */
import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import { acknowledgeOf, decodeMessage, encodeMessage, MessageType, PayloadType } from '../../src/exec/agent-message.ts';

export interface SsmSessionResult {
  /** Everything the terminal printed. */
  output: string;
  /** The exit code Berth sent (payload type ExitCode), when it sent one. */
  exitCode?: number;
  /** channel_closed arrived. */
  closed: boolean;
  /** The WebSocket's close code and reason. */
  closeCode: number;
  closeReason: string;
  /** Acknowledges Berth sent for this client's input messages (their sequence numbers). */
  acked: number[];
}

/** Opens `streamUrl` with `token`, types `input` once the handshake is done, and answers at the session's end (or after `timeoutMs`). */
export function runSsmSession(streamUrl: string, token: string, input: string, timeoutMs = 30_000): Promise<SsmSessionResult> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(streamUrl);
    const r: SsmSessionResult = { output: '', closed: false, closeCode: 0, closeReason: '', acked: [] };
    let seq = 0;
    const send = (payloadType: number, payload: Buffer) => ws.send(encodeMessage({
      messageType: MessageType.input, schemaVersion: 1, createdDate: Date.now(), sequenceNumber: seq++, flags: 0, messageId: randomUUID(), payloadType, payload,
    }));
    const timer = setTimeout(() => { ws.terminate(); reject(new Error(`session not over after ${timeoutMs} ms; output so far: ${JSON.stringify(r.output)}`)); }, timeoutMs);
    ws.on('open', () => ws.send(JSON.stringify({ MessageSchemaVersion: '1.0', RequestId: randomUUID(), TokenValue: token, ClientId: randomUUID(), ClientVersion: '1.2.0.0' })));
    ws.on('message', (data) => {
      const m = decodeMessage(data as Buffer);
      if (m.messageType === MessageType.acknowledge) {
        r.acked.push((JSON.parse(m.payload.toString()) as { AcknowledgedMessageSequenceNumber: number }).AcknowledgedMessageSequenceNumber);
        return;
      }
      if (m.messageType === MessageType.channelClosed) { r.closed = true; return; }
      if (m.messageType !== MessageType.output) return;
      ws.send(encodeMessage(acknowledgeOf(m, Date.now(), randomUUID())));
      if (m.payloadType === PayloadType.handshakeRequest) {
        send(PayloadType.handshakeResponse, Buffer.from(JSON.stringify({ ClientVersion: '1.2.0.0', ProcessedClientActions: [{ ActionType: 'SessionType', ActionStatus: 1 }], Errors: [] })));
      } else if (m.payloadType === PayloadType.handshakeComplete) {
        send(PayloadType.size, Buffer.from(JSON.stringify({ cols: 120, rows: 40 })));
        send(PayloadType.output, Buffer.from(input));
      } else if (m.payloadType === PayloadType.output) {
        r.output += m.payload.toString();
      } else if (m.payloadType === PayloadType.exitCode) {
        r.exitCode = Number(m.payload.toString());
      }
    });
    ws.on('close', (code, reason) => {
      clearTimeout(timer);
      r.closeCode = code;
      r.closeReason = reason.toString();
      resolve(r);
    });
    ws.on('error', (e) => { clearTimeout(timer); reject(e); });
  });
}
