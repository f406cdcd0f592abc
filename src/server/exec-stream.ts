/**
 * The ECS Exec stream endpoint: ExecuteCommand's streamUrl (`ws://<host>/_berth/ssm/<sessionId>`)
 * upgrades here; each connection is one session (src/exec/stream-session.ts) relayed to the
 * task's agent through its agent session, and audited to the cluster's log group at its end.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import type { ExecBinding, ExecSessions } from '../exec/exec-sessions.ts';
import { serveExecStream, type AuditEntry, type Relay } from '../exec/stream-session.ts';
import { SSM_PATH } from '../exec/stream-path.ts';

/** A plugin frame carries at most a few KiB of keystrokes or output; anything larger is refused. */
const MAX_FRAME_BYTES = 256 * 1024;
/** Exec connections open at once on this control plane; more are refused until one ends. */
export const MAX_OPEN_STREAMS = 1024;
const SESSION_ID = /^[A-Za-z0-9-]{1,128}$/;

export function createExecStream({ sessions, open, audit, now = Date.now, newId }: {
  sessions: ExecSessions;
  /** The task's agent runs the command (agent-gateway.ts interactiveExec). */
  open(binding: ExecBinding, command: string[], io: { output(data: Buffer): void; exit(exitCode: number | undefined, error?: string): void }): Relay;
  audit(binding: ExecBinding, entry: AuditEntry): void;
  now?: () => number;
  newId(): string;
}) {
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES });
  let open_ = 0;
  return {
    accepts: (req: IncomingMessage) => (req.url ?? '').startsWith(SSM_PATH),
    handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
      const sessionId = (req.url ?? '').slice(SSM_PATH.length).split('?')[0]!;
      if (!SESSION_ID.test(sessionId) || open_ >= MAX_OPEN_STREAMS) {
        socket.end(`HTTP/1.1 ${open_ >= MAX_OPEN_STREAMS ? '503 Service Unavailable' : '404 Not Found'}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
        return;
      }
      wss.handleUpgrade(req, socket, head, (ws) => {
        open_++;
        ws.on('close', () => { open_--; });
        serveExecStream(ws, sessionId, { claim: (id, token, at) => sessions.claim(id, token, at), open, audit, now, newId });
      });
    },
    close(): void {
      for (const c of wss.clients) c.terminate();
      wss.close();
    },
  };
}
