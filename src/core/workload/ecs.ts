/**
 * The ECS part of a task's spec: what only the ECS views (DescribeTasks, the task metadata
 * endpoint, events) need, kept in one place so the rest of the spec stays neutral. A pod
 * made by the Kubernetes front door gets one too (its task ARN in its cluster), so it is
 * visible from the ECS side.
 */
import type { Tag } from '../ecs/tags.ts';
import type { TaskOverride } from '../ecs/task.ts';

export interface EcsTaskFacts {
  taskArn: string;
  clusterArn: string;
  taskDefinitionArn: string;
  /** The definition's family and revision (the metadata endpoint's Family and Revision). */
  family: string;
  revision: number;
  /** The run's overrides as ECS lists them: every container, by name alone when not overridden. */
  overrides: TaskOverride;
  /** Container ARNs, in the order of the spec's containers. */
  containerArns: string[];
  /** `family:F`, `service:S` or the run's own. */
  group: string;
  startedBy?: string;
  tags: Tag[];
  /** What the task inherits from its instance (`ecs.cpu-architecture`). */
  attributes?: { name: string; value?: string }[];
  /** 'Linux' for Fargate tasks. */
  platformFamily?: string;
  /** Fargate: the platform version it runs on ('1.4.0'). */
  platformVersion?: string;
  /** Some container of its definition has a health check: the task counts healthy only once HEALTHY. */
  healthChecked?: boolean;
  /** Scale-in protection until these epoch seconds (task-protection.ts). */
  protectedUntil?: number;
}
