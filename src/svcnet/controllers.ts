/**
 * A cluster's controllers with its service table beside them: what server.ts hands each API
 * server as its `controllers`, so the table is published while the cluster is served.
 */
import type { KubeControllers, StartKubeControllers } from '../api/kube/server.ts';
import type { ServiceTables } from './publisher.ts';

export function withServiceTables(start: StartKubeControllers, tables: ServiceTables | undefined): StartKubeControllers {
  if (!tables) return start;
  return async (deps): Promise<KubeControllers> => {
    const controllers = await start(deps);
    const feed = deps.cluster ? await tables.startCluster(deps, deps.cluster) : undefined;
    return {
      settled: () => controllers.settled(),
      close: async () => {
        await feed?.close();
        await controllers.close();
      },
    };
  };
}
