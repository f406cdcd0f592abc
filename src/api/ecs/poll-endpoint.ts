import { fail } from '../../core/errors.ts';
import { clusterNameOf, validateClusterName } from '../../core/ecs/cluster.ts';
import { parseInstanceRef } from '../../core/ecs/container-instance.ts';
import type { RequestContext } from '../aws/service.ts';

/**
 * DiscoverPollEndpoint: what an ECS agent asks first, to learn where to open its sessions
 * (ACS for tasks, TCS for telemetry, Service Connect). AWS answers with regional hosts
 * (`https://ecs-a-1.<region>.amazonaws.com/`) to which the agent appends `ws`; Berth
 * serves all three on its one endpoint, so each is Berth's own address as the client
 * reached it (the Host header), the way ECR builds its registry URLs. Plain http, as the
 * rest of Berth's endpoint is served.
 */
export function pollEndpointOperations() {
  return {
    DiscoverPollEndpoint(input: { containerInstance?: string; cluster?: string }, ctx: RequestContext) {
      const cluster = clusterNameOf(input.cluster);
      validateClusterName(cluster);
      if (input.containerInstance !== undefined) {
        const ref = parseInstanceRef(input.containerInstance);
        if (ref.cluster !== undefined && input.cluster !== undefined && ref.cluster !== cluster) {
          fail('InvalidParameterException', `Container instance ${input.containerInstance} belongs to cluster ${ref.cluster}, not ${cluster}: pass its own cluster, or leave cluster out.`);
        }
      }
      const base = `http://${ctx.host}/`;
      return { endpoint: base, telemetryEndpoint: base, serviceConnectEndpoint: base };
    },
  };
}
