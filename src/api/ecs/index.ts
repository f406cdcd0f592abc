import type { JsonService } from '../aws/service.ts';
import type { ServiceModel } from '../aws/model.ts';
import ecsModel from '../aws/models/ecs.json' with { type: 'json' };
import { accountSettingOperations } from './account-settings.ts';
import { attributeOperations } from './attributes.ts';
import { capacityProviderOperations } from './capacity-providers.ts';
import { clusterOperations } from './clusters.ts';
import { containerInstanceOperations } from './container-instances.ts';
import type { EcsDeps } from './deps.ts';
import { executeCommandOperations } from './execute-command.ts';
import { pollEndpointOperations } from './poll-endpoint.ts';
import { serviceDeploymentOperations } from './service-deployments.ts';
import { randomServiceIds, serviceOperations } from './services.ts';
import { tagOperations } from './tags.ts';
import { taskDefinitionOperations } from './task-definitions.ts';
import { taskSetOperations } from './task-sets.ts';
import { taskProtectionOperations } from './task-protection.ts';
import { taskOperations } from './tasks.ts';

/** Amazon ECS (AmazonEC2ContainerServiceV20141113) over AWS JSON 1.1. */
export function createEcsService(deps: EcsDeps): JsonService {
  return {
    model: ecsModel as ServiceModel,
    operations: {
      ...clusterOperations(deps),
      ...capacityProviderOperations(deps),
      ...taskDefinitionOperations(deps),
      ...taskOperations(deps),
      ...taskProtectionOperations(deps),
      ...tagOperations(deps),
      ...accountSettingOperations(deps),
      ...containerInstanceOperations(deps),
      ...attributeOperations(deps),
      ...pollEndpointOperations(),
      ...serviceOperations(deps),
      ...serviceDeploymentOperations(deps, randomServiceIds.deploymentId),
      ...taskSetOperations(deps),
      ...(deps.exec && executeCommandOperations(deps, deps.exec)),
    },
  };
}
