/**
 * Attaching to a running container's own process (`kubectl attach -i`): its stdin in, its
 * output out, through conmon's attach socket. conmon (started with `-i`, conmon.ts) holds the
 * write end of the container's stdin pipe and listens on `<bundle>/attach`, a SOCK_SEQPACKET
 * socket (conmon src/conn_sock.c, v2.1.6):
 *
 *   agent ──[raw stdin bytes, ≤ 32 KiB a packet]──────────▶ conmon ──▶ container stdin pipe
 *   agent ◀──[1 byte stream id (2 stdout, 3 stderr) + chunk]── conmon ◀── container stdout/stderr
 *   agent ──shutdown(SHUT_WR)──▶ conmon: read() = 0 → stdin closed, unless --leave-stdin-open
 *
 * Output is the container's from the moment of attaching (conmon copies each read of the
 * container's pipes to every attached client as well as to the log); earlier output is the
 * log's. When the container ends conmon exits, and the socket's end is the attach's end.
 *
 * On a terminal (conmon -t) the socket carries the pty: input is keystrokes to its master
 * side, output is its one stream (stream id 2, with the pty's CRLF line ends), and the
 * window size goes through conmon's `ctl` FIFO in the bundle (conmon src/ctrl.c):
 *
 *   agent ──"1 <rows> <cols>\n"──▶ <bundle>/ctl ──▶ conmon: TIOCSWINSZ on the master ──▶ SIGWINCH
 */
import { closeSync, constants, existsSync, openSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type * as UnixSocket from 'node-unix-socket';
import type { OnOutput, OutputStream } from './interactive-exec.ts';

/**
 * conmon's attach socket is SOCK_SEQPACKET, which Node's `net` cannot dial (it speaks
 * SOCK_STREAM only); node-unix-socket (napi-rs, prebuilt for linux-x64-gnu) is the library
 * made for SOCK_SEQPACKET in Node. Loaded on the first attach, not with the runtime: a host
 * where its native addon cannot load still runs containers, and only attach says why.
 */
let seqpacket: typeof UnixSocket | undefined;
const require = createRequire(import.meta.url);
const loadSeqpacket = () => (seqpacket ??= require('node-unix-socket') as typeof UnixSocket);

/**
 * The largest stdin packet: conmon reads the attach socket with read(fd, buf,
 * CONN_SOCK_BUF_SIZE = 32768), and a longer SEQPACKET message would be cut there, the rest lost.
 */
export const ATTACH_STDIN_PACKET_BYTES = 32 * 1024;
/**
 * Stdin bytes handed to the socket and not yet taken by the kernel. conmon stops reading
 * while the container does not read its stdin; past this the attach ends with why rather
 * than holding more in memory.
 */
export const MAX_ATTACH_PENDING_STDIN_BYTES = 1024 * 1024;
/** The receive buffer per packet: conmon sends at most 1 + STDIO_BUF_SIZE (8192) bytes at a time; a longer one would be cut. */
export const ATTACH_READ_BUFFER_BYTES = 64 * 1024;

/** conmon's stream ids (utils.h stdpipe_t: NO_PIPE, STDIN_PIPE, STDOUT_PIPE, STDERR_PIPE). */
const STREAM_OF_ID: Readonly<Record<number, OutputStream>> = { 2: 'stdout', 3: 'stderr' };

/** One packet conmon sent: the container's output and which stream; undefined for an empty or unknown one. */
export function parseOutputPacket(packet: Buffer): { stream: OutputStream; data: Buffer } | undefined {
  if (packet.length < 2) return undefined;
  const stream = STREAM_OF_ID[packet[0]!];
  return stream && { stream, data: packet.subarray(1) };
}

/** Stdin bytes as the packets conmon reads whole (each at most {@link ATTACH_STDIN_PACKET_BYTES}). */
export function stdinPackets(data: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at < data.length; at += ATTACH_STDIN_PACKET_BYTES) out.push(data.subarray(at, at + ATTACH_STDIN_PACKET_BYTES));
  return out;
}

/** The attach socket conmon made for the container whose bundle (state directory) is `stateDir`. */
export const attachSocketPath = (stateDir: string): string => join(stateDir, 'attach');
/** conmon's control FIFO in the bundle: window sizes (and log reopening) for the container's terminal. */
export const controlFifoPath = (stateDir: string): string => join(stateDir, 'ctl');

/** conmon's ctl message types (src/ctrl.h: WIN_RESIZE_EVENT = 1, REOPEN_LOGS_EVENT = 2). */
const WIN_RESIZE_EVENT = 1;
/** A terminal dimension as the kernel's struct winsize holds it (unsigned short). */
const MAX_TERMINAL_DIMENSION = 0xffff;
/**
 * Sizes are written at least this far apart, the latest one winning: conmon 2.1.x parses
 * only the first line of what one read of the FIFO returns (read_from_ctrl_buffer hands the
 * buffer's start to every line), so two sizes read together would apply the first twice.
 * A resize is a person dragging a window: 50 ms is well under what they notice.
 */
export const RESIZE_SPACING_MS = 50;

/**
 * The ctl line that sets the terminal to `cols` × `rows` (conmon reads `<type> <height>
 * <width>`); undefined for a size the kernel cannot hold or that means nothing (0 × 0, as
 * a client without a terminal may send).
 */
export function windowSizeMessage(cols: number, rows: number): string | undefined {
  const ok = (n: number) => Number.isInteger(n) && n >= 0 && n <= MAX_TERMINAL_DIMENSION;
  if (!ok(cols) || !ok(rows) || (cols === 0 && rows === 0)) return undefined;
  return `${WIN_RESIZE_EVENT} ${rows} ${cols}\n`;
}

/**
 * Writes one message to conmon's ctl FIFO without blocking: a FIFO nobody reads (conmon has
 * exited with the container) refuses the open (ENXIO), and the size has nowhere to go.
 * One line is far below PIPE_BUF, so it arrives whole.
 */
function writeControl(stateDir: string, message: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(controlFifoPath(stateDir), constants.O_WRONLY | constants.O_NONBLOCK);
    writeSync(fd, message);
  } catch {
    // conmon is gone (the container ended): the attach ends with it.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

export interface Attached {
  /** Bytes to the container's stdin. */
  write(data: Buffer): void;
  /** The client's end of input: the socket's write side is shut (conmon closes stdin when the container is stdinOnce). */
  endInput(): void;
  /** The client's terminal size, for a container on a terminal (a no-op otherwise). */
  resize(cols: number, rows: number): void;
  /** Detaches (the container keeps running). */
  close(): void;
  /** Settles when the attach ends: the container ended (conmon closed the socket) or {@link close}; rejects when it could not attach. */
  readonly done: Promise<void>;
}

/**
 * Attaches to the container whose state directory is `stateDir`. The socket is dialled
 * through `/proc/self/fd/<dir>/attach`, as conmon binds it, so a long state path does not
 * meet sun_path's 108 bytes. `terminal`: the container was started on one (sizes go to it).
 */
export function attach(stateDir: string, onOutput: OnOutput, options: { terminal?: boolean } = {}): Attached {
  const socket = new (loadSeqpacket().SeqpacketSocket)();
  socket.setInternalReadBufferSize(ATTACH_READ_BUFFER_BYTES);
  let pending = 0;
  let inputEnded = false;
  let closed = false;
  let settle!: (error?: Error) => void;
  const resizer = options.terminal ? spacedResizer(stateDir) : undefined;
  const done = new Promise<void>((resolve, reject) => {
    settle = (error) => {
      if (closed) return;
      closed = true;
      resizer?.stop();
      try {
        socket.destroy();
      } catch {
        // already destroyed by the library (the peer closed it)
      }
      if (error) reject(error);
      else resolve();
    };
  });
  socket.on('data', (packet: Buffer) => {
    const out = parseOutputPacket(packet);
    if (out) onOutput(out.data, out.stream);
  });
  let connected = false;
  // The library emits 'close' (synchronously, before connect throws) when the connection
  // cannot be made: that is a failure to attach, not an end.
  const ended = () => {
    if (connected) settle();
    else queueMicrotask(() => settle(new Error(`cannot attach to the container in ${stateDir}: its attach socket closed before the connection was made`)));
  };
  socket.on('end', ended);
  socket.on('close', ended);
  socket.on('error', (e: Error) => settle(new Error(`attach socket of ${stateDir}: ${e.message}`)));

  // Writes before the connection is made wait here (bounded by the same limit as pending ones).
  let queued: Buffer[] | undefined = [];
  let endQueued = false;
  const send = (data: Buffer) => {
    for (const p of stdinPackets(data)) {
      pending += p.length;
      socket.write(p, 0, p.length, () => { pending -= p.length; });
    }
  };
  let dir: number | undefined;
  try {
    if (!existsSync(attachSocketPath(stateDir))) throw new Error(`conmon's attach socket ${attachSocketPath(stateDir)} is not there: the container was not started with its stdin open, or has ended`);
    dir = openSync(stateDir, constants.O_RDONLY | constants.O_DIRECTORY);
    socket.connect(`/proc/self/fd/${dir}/attach`, () => {
      connected = true;
      if (dir !== undefined) closeSync(dir);
      dir = undefined;
      if (closed) return;
      const waiting = queued ?? [];
      queued = undefined;
      pending = 0;
      for (const b of waiting) send(b);
      if (endQueued) socket.end();
    });
  } catch (e) {
    if (dir !== undefined) closeSync(dir);
    settle(new Error(`cannot attach to the container in ${stateDir}: ${(e as Error).message}`));
  }

  return {
    write(data) {
      if (closed || inputEnded || data.length === 0) return;
      if (pending + data.length > MAX_ATTACH_PENDING_STDIN_BYTES) {
        settle(new Error(`the container is not reading its stdin: ${MAX_ATTACH_PENDING_STDIN_BYTES} bytes wait for it`));
        return;
      }
      if (queued) {
        pending += data.length;
        queued.push(data);
        return;
      }
      send(data);
    },
    endInput() {
      if (closed || inputEnded) return;
      inputEnded = true;
      if (queued) endQueued = true;
      else socket.end();
    },
    resize(cols, rows) {
      if (!closed) resizer?.resize(cols, rows);
    },
    close: () => settle(),
    done,
  };
}

/** Window sizes to conmon's ctl FIFO, {@link RESIZE_SPACING_MS} apart, the latest one winning. */
function spacedResizer(stateDir: string): { resize(cols: number, rows: number): void; stop(): void } {
  let waiting: string | undefined;
  let timer: NodeJS.Timeout | undefined;
  const flush = () => {
    timer = undefined;
    if (waiting === undefined) return;
    writeControl(stateDir, waiting);
    waiting = undefined;
    timer = setTimeout(flush, RESIZE_SPACING_MS);
    timer.unref();
  };
  return {
    resize(cols, rows) {
      const message = windowSizeMessage(cols, rows);
      if (message === undefined) return;
      waiting = message;
      if (timer === undefined) flush();
    },
    stop() {
      clearTimeout(timer);
      timer = undefined;
      waiting = undefined;
    },
  };
}
