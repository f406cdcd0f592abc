/**
 * The API server's second listener: the address pods reach it at, the `kubernetes` Service's
 * endpoint (`berth up`: the awsvpc bridge gateway of the control plane's own host, which every
 * host's pods route to). Connections accepted here are handed to the API server's TLS server,
 * so they are served exactly as those of its first address.
 *
 * That address belongs to a bridge the agent brings up after the control plane starts, so a
 * bind the kernel refuses for want of it (EADDRNOTAVAIL) is tried again every
 * IN_CLUSTER_RETRY_MS until it holds or the server closes; any other refusal is kept
 * (`error`) and not retried.
 *
 * Why opening this to pods is safe: only this port is served there, and the API server
 * authenticates every request (a pod's projected service account token, an EKS token) and
 * authorizes it with RBAC, so a pod gets nothing its credentials do not give it — as pods
 * reach kube-apiserver on any cluster. The rest of Berth's control plane (the AWS APIs, the
 * registry, admin) stays on the addresses it was given.
 */
import { createServer, type Server, type Socket } from 'node:net';

/** How often a bind waiting for its address is tried again: the agent brings its bridge up within seconds of the control plane. */
export const IN_CLUSTER_RETRY_MS = 1000;

export class InClusterListener {
  readonly #host: string;
  readonly #port: number;
  readonly #accept: (socket: Socket) => void;
  #server: Server | undefined;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  /** Why the address could not be served (other than its absence, which is waited out). */
  error: NodeJS.ErrnoException | undefined;

  constructor(host: string, port: number, accept: (socket: Socket) => void) {
    this.#host = host;
    this.#port = port;
    this.#accept = accept;
  }

  /** Whether the address is served now. */
  get listening(): boolean {
    return this.#server?.listening === true;
  }

  /** Binds now, or keeps trying while the address is missing; resolves after the first try. */
  start(): Promise<void> {
    return new Promise((resolve) => this.#try(resolve));
  }

  #try(done: () => void = () => undefined): void {
    if (this.#closed) return done();
    const tcp = createServer(this.#accept);
    // Kept for the server's life: an error once listening (a failed accept) must not throw from the emitter.
    tcp.on('error', (e: NodeJS.ErrnoException) => {
      if (this.#server === tcp) return;
      if (e.code === 'EADDRNOTAVAIL' && !this.#closed) this.#timer = setTimeout(() => this.#try(), IN_CLUSTER_RETRY_MS).unref();
      else this.error = e;
      done();
    });
    tcp.listen(this.#port, this.#host, () => {
      if (this.#closed) tcp.close();
      else this.#server = tcp;
      done();
    });
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#server?.close();
  }
}
