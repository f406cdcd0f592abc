/**
 * @kubernetes/client-node as a user's program holds it against a Berth EKS cluster: the
 * KubeConfig `aws eks update-kubeconfig` wrote (its exec plugin runs `aws eks get-token`), and a
 * Watch that goes on from the last resourceVersion it saw whenever it ends, as every client
 * that keeps watching must (the server closes a watch at its timeoutSeconds; client-node's
 * Watch aborts one that is quiet for its requestTimeoutMs, 30 s).
 */
import * as k8s from '@kubernetes/client-node';

/**
 * The KubeConfig at `path`, its exec plugin given `env` (credentials, region, config files) on
 * top of this process's environment, as kubectl's plugin gets the environment kubectl runs in.
 */
export function kubeConfigWithExecEnv(path: string, env: Record<string, string>): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(path);
  const exec = kc.getCurrentUser()?.exec as { command: string; args?: string[]; env?: { name: string; value: string }[] | null } | undefined;
  if (!exec) throw new Error(`${path}: the current user has no exec plugin`);
  exec.env = [...(exec.env ?? []), ...Object.entries(env).map(([name, value]) => ({ name, value }))];
  return kc;
}

/** One event a watch delivered: its type and the object's name and resourceVersion. */
export interface SeenEvent {
  readonly type: string;
  readonly name: string;
  readonly resourceVersion: string;
}

/** A watch kept open: what it saw, how often it was opened, and its stop. */
export interface KeptWatch {
  readonly events: SeenEvent[];
  /** Errors the watch ended with (other than client-node's inactivity timeout), in order. */
  readonly errors: unknown[];
  opened(): number;
  stop(): void;
}

/**
 * Watches `path` from `resourceVersion` and, each time the watch ends, watches again from the
 * last resourceVersion it delivered (a BOOKMARK's included). Events are recorded in order.
 */
export async function keepWatching(kc: k8s.KubeConfig, path: string, query: Record<string, string>, resourceVersion: string): Promise<KeptWatch> {
  const watch = new k8s.Watch(kc);
  const events: SeenEvent[] = [];
  const errors: unknown[] = [];
  let last = resourceVersion;
  let opened = 0;
  let stopped = false;
  let current: AbortController | undefined;
  const open = async (): Promise<void> => {
    if (stopped) return;
    opened++;
    current = await watch.watch(path, { ...query, resourceVersion: last, allowWatchBookmarks: 'true' }, (type: string, o: k8s.KubernetesObject) => {
      const rv = o.metadata?.resourceVersion ?? '';
      if (rv !== '') last = rv;
      if (type !== 'BOOKMARK') events.push({ type, name: o.metadata?.name ?? '', resourceVersion: rv });
    }, (err: unknown) => {
      if (err && (err as { name?: string }).name !== 'TimeoutError' && (err as { name?: string }).name !== 'AbortError') errors.push(err);
      if (!stopped) void open();
    });
  };
  await open();
  return {
    events, errors,
    opened: () => opened,
    stop: () => {
      stopped = true;
      current?.abort();
    },
  };
}
