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
import { LIFECYCLE_INTERVAL_MS, lifecycleOperations, lifecycleRunner } from './lifecycle.ts';
import { repositoryOperations } from './repositories.ts';
import { tagOperations } from './tags.ts';

export type { EcrDeps } from './deps.ts';

export interface EcrService extends JsonService {
  /** Applies every repository's lifecycle policy now (also runs on a timer and after pushes). */
  applyLifecyclePolicies(): Promise<void>;
  close(): Promise<void>;
}

export function createEcrService(deps: EcrDeps): EcrService {
  const runner = lifecycleRunner(deps);
  deps.registry.onPush((repo) => runner.apply(repo));
  const interval = deps.lifecycleInterval === undefined ? LIFECYCLE_INTERVAL_MS : deps.lifecycleInterval;
  const log = deps.log ?? (() => undefined);
  const timer = interval === false ? undefined : setInterval(() => void runner.applyAll().catch((e: unknown) => log(`lifecycle run failed: ${String(e)}`)), interval);
  timer?.unref();
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
      if (timer) clearInterval(timer);
    },
  };
}
