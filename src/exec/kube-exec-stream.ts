/**
 * One `kubectl exec` (or attach) connection: the channel protocol (kube-channel.ts) on a
 * WebSocket, relayed to the command in the pod's container. The API server's route checks
 * who may exec where, opens the relay and hands the upgraded socket here.
 *
 *   kubectl ══ ws (v5.channel.k8s.io) ══▶ serveKubeExec ──▶ KubeExecRelay (the task's agent)
 *     [0 stdin] [4 resize] [255 0] ─────────▶ input / resize / endInput
 *     ◀── [1 stdout] [2 stderr] ◀──────────── output
 *     ◀── [3 Status], close 1000 ◀─────────── exit
 */
import type { WebSocket } from 'ws';
import { decodeClientFrame, encodeFrame, exitStatus, STREAM, type ChannelProtocol } from './kube-channel.ts';

/** What the client asked for (the exec request's query). */
export interface ExecStreams {
  readonly stdin: boolean;
  readonly stdout: boolean;
  readonly stderr: boolean;
  /** A terminal: stdout and stderr are one stream (stdout), and resizes apply. */
  readonly tty: boolean;
}

export interface KubeExecIo {
  output(stream: 'stdout' | 'stderr', data: Buffer): void;
  /** The command ended (its exit code), or could not run / was lost (`error`). */
  exit(exitCode: number | undefined, error?: string): void;
}

export interface KubeExecRelay {
  input(data: Buffer): void;
  /** stdin reached its end of file. */
  endInput(): void;
  resize(cols: number, rows: number): void;
  /** The client went away: end the command. */
  close(): void;
}

/** The client may fall this far behind the command's output before the session is ended (memory bound). */
export const MAX_BUFFERED_OUTPUT_BYTES = 8 * 1024 * 1024;

export function serveKubeExec(ws: WebSocket, protocol: ChannelProtocol, command: readonly string[], streams: ExecStreams,
  open: (io: KubeExecIo) => KubeExecRelay): void {
  let ended = false;
  const send = (stream: number, data: Buffer | string) => { if (ws.readyState === ws.OPEN) ws.send(encodeFrame(stream, data)); };

  const finish = (exitCode: number | undefined, error?: string) => {
    if (ended) return;
    ended = true;
    send(STREAM.error, JSON.stringify(exitStatus(command, exitCode, error)));
    ws.close(1000);
  };

  const relay = open({
    output(stream, data) {
      if (ended) return;
      if (ws.bufferedAmount > MAX_BUFFERED_OUTPUT_BYTES) {
        relay.close();
        return finish(undefined, `the client fell ${MAX_BUFFERED_OUTPUT_BYTES} bytes behind the command's output`);
      }
      // On a terminal there is one output stream; without one, each goes where the client asked.
      const target = streams.tty || stream === 'stdout' ? 'stdout' : 'stderr';
      if (streams[target]) send(STREAM[target], data);
    },
    exit: finish,
  });
  if (!streams.stdin) relay.endInput();

  ws.on('message', (data, isBinary) => {
    if (ended || !isBinary) return;
    const frame = decodeClientFrame(protocol, Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer));
    if (frame.kind === 'stdin' && streams.stdin) relay.input(frame.data);
    else if (frame.kind === 'resize' && streams.tty) relay.resize(frame.cols, frame.rows);
    else if (frame.kind === 'close' && frame.stream === STREAM.stdin) relay.endInput();
  });
  ws.on('close', () => {
    if (ended) return;
    ended = true;
    relay.close();
  });
  ws.on('error', () => undefined);
}
