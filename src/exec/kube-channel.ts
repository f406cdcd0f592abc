/**
 * The Kubernetes remote-command WebSocket sub-protocols (`kubectl exec` and `attach`, 1.30+):
 * every message is binary, its first byte the stream it belongs to. Pure.
 *
 *   0 stdin  (client → server)     3 error  (server → client: one Status JSON, the end)
 *   1 stdout (server → client)     4 resize (client → server: {"Width":80,"Height":24})
 *   2 stderr (server → client)     255 close (v5: [255, stream] — that stream is done, stdin's EOF)
 *
 * v4.channel.k8s.io is the same without the close signal (stdin then ends with the connection).
 */

/** Sub-protocols served, best first: the one kubectl asks for first, and the one before it. */
export const CHANNEL_PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io'] as const;
export type ChannelProtocol = typeof CHANNEL_PROTOCOLS[number];

export const STREAM = { stdin: 0, stdout: 1, stderr: 2, error: 3, resize: 4, close: 255 } as const;

export type ClientFrame =
  | { readonly kind: 'stdin'; readonly data: Buffer }
  | { readonly kind: 'resize'; readonly cols: number; readonly rows: number }
  /** v5: the client will send nothing more on this stream (0: stdin's end of file). */
  | { readonly kind: 'close'; readonly stream: number }
  /** Not something a client sends (an unknown stream, a bad resize): ignored, as the API server's demux does. */
  | { readonly kind: 'ignored' };

/** The protocol to answer with: the first of ours the client offered, or undefined (refuse the upgrade). */
export function chooseProtocol(offered: Iterable<string>): ChannelProtocol | undefined {
  const set = new Set(offered);
  return CHANNEL_PROTOCOLS.find((p) => set.has(p));
}

export function decodeClientFrame(protocol: ChannelProtocol, message: Buffer): ClientFrame {
  if (message.length === 0) return { kind: 'ignored' };
  const stream = message[0]!;
  const body = message.subarray(1);
  if (stream === STREAM.stdin) return { kind: 'stdin', data: body };
  if (stream === STREAM.resize) {
    try {
      const size = JSON.parse(body.toString('utf8')) as { Width?: unknown; Height?: unknown };
      if (Number.isInteger(size.Width) && Number.isInteger(size.Height) && (size.Width as number) > 0 && (size.Height as number) > 0) {
        return { kind: 'resize', cols: size.Width as number, rows: size.Height as number };
      }
    } catch {
      // a resize that is not JSON changes nothing
    }
    return { kind: 'ignored' };
  }
  if (stream === STREAM.close && protocol === 'v5.channel.k8s.io' && body.length === 1) return { kind: 'close', stream: body[0]! };
  return { kind: 'ignored' };
}

/** A message on stream `stream`: its id, then the bytes. */
export function encodeFrame(stream: number, data: Buffer | string): Buffer {
  const bytes = typeof data === 'string' ? Buffer.from(data) : data;
  const out = Buffer.allocUnsafe(bytes.length + 1);
  out[0] = stream;
  bytes.copy(out, 1);
  return out;
}

/**
 * The Status that ends a command on the error stream, as the kubelet writes it: Success for
 * exit code 0; NonZeroExitCode with the code as an ExitCode cause (kubectl exits with it);
 * InternalError when the command could not run or its end is unknown.
 */
export function exitStatus(command: readonly string[], exitCode: number | undefined, error?: string): object {
  if (error === undefined && exitCode === 0) return { metadata: {}, status: 'Success' };
  if (error === undefined && exitCode !== undefined) {
    return {
      metadata: {},
      status: 'Failure',
      message: `command terminated with non-zero exit code: error executing command [${command.join(' ')}], exit code ${exitCode}`,
      reason: 'NonZeroExitCode',
      details: { causes: [{ reason: 'ExitCode', message: String(exitCode) }] },
    };
  }
  return { metadata: {}, status: 'Failure', message: error ?? 'the command ended without an exit code', reason: 'InternalError', code: 500 };
}
