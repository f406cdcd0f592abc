/**
 * Amazon EKS over REST-JSON (src/api/aws/rest-json-door.ts routes it by the model): the
 * operations of clusters, updates, tags, node groups, Fargate profiles and access entries.
 */
import eksModel from '../aws/models/eks.json' with { type: 'json' };
import type { ServiceModel } from '../aws/model.ts';
import type { JsonService } from '../aws/service.ts';
import { accessEntryOperations } from './access-entries.ts';
import { clusterOperations } from './clusters.ts';
import type { EksDeps } from './deps.ts';
import { fargateProfileOperations } from './fargate-profiles.ts';
import { nodegroupOperations } from './nodegroups.ts';
import { tagOperations } from './tags.ts';

export function createEksService(deps: EksDeps): JsonService {
  return {
    model: eksModel as ServiceModel,
    operations: {
      ...clusterOperations(deps),
      ...tagOperations(deps),
      ...nodegroupOperations(deps),
      ...fargateProfileOperations(deps),
      ...accessEntryOperations(deps),
    },
  };
}
