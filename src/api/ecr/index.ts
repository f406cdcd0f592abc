/**
 * Amazon ECR (AmazonEC2ContainerRegistry_V20150921) over AWS JSON 1.1, on the records
 * of Berth's registry: a repository created here is pushable at /v2/<name>, and an
 * image pushed there is listed here.
 */

import type { ServiceModel } from '../aws/model.ts';
import type { JsonService, OperationHandler } from '../aws/service.ts';
import ecrModel from '../aws/models/ecr.json' with { type: 'json' };
import { authTokenOperations } from './auth-token.ts';
import type { EcrDeps } from './deps.ts';
import { imageOperations } from './images.ts';
import { layerOperations } from './layers.ts';
import { lifecycleOperations, lifecycleRunner } from './lifecycle.ts';
import { repositoryOperations } from './repositories.ts';
import { tagOperations } from './tags.ts';

export type { EcrDeps } from './deps.ts';

export interface EcrService extends JsonService {
  /**
   * Applies every repository's lifecycle policy now. Policies also run after each push to
   * their repository, and hourly as the controllers' `ecr-lifecycle` job
   * (src/controllers/ecr-lifecycle.ts).
   */
  applyLifecyclePolicies(): Promise<void>;
  close(): Promise<void>;
}

export function createEcrService(deps: EcrDeps): EcrService {
  const runner = lifecycleRunner(deps);
  deps.registry.onPush((repo) => runner.apply(repo));
  const operations: Record<string, OperationHandler> = {
    ...repositoryOperations(deps),
    ...imageOperations(deps),
    ...layerOperations(deps),
    ...lifecycleOperations(deps, runner),
    ...authTokenOperations(deps),
    ...tagOperations(deps),
  };
  return {
    model: ecrModel as ServiceModel,
    operations,
    applyLifecyclePolicies: runner.applyAll,
    async close() {
      // Nothing of its own runs in the background: the hourly run is the controllers' job.
    },
  };
}
