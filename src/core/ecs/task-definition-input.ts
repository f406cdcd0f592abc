/**
 * A task definition as RegisterTaskDefinition takes it: the request's shapes, read by the
 * rules (task-definition-rules.ts) and turned into a record by task-definition.ts.
 */
import type { Tag } from './tags.ts';

/** A container definition: every field the API accepts is kept as given (plus ECS's defaults). */
export type ContainerDefinition = Record<string, unknown> & {
  name: string;
  image: string;
  cpu?: number;
  memory?: number;
  memoryReservation?: number;
  essential?: boolean;
  portMappings?: PortMapping[];
  dependsOn?: { containerName: string; condition: string }[];
  mountPoints?: { sourceVolume?: string; containerPath?: string; readOnly?: boolean }[];
  volumesFrom?: { sourceContainer?: string; readOnly?: boolean }[];
  healthCheck?: { command: string[]; interval?: number; timeout?: number; retries?: number; startPeriod?: number };
  links?: string[];
  privileged?: boolean;
  stopTimeout?: number;
};

export interface PortMapping {
  containerPort?: number;
  hostPort?: number;
  protocol?: string;
  name?: string;
  containerPortRange?: string;
  appProtocol?: string;
}

export type NetworkMode = 'bridge' | 'host' | 'awsvpc' | 'none';
export type Compatibility = 'EC2' | 'FARGATE' | 'EXTERNAL' | 'MANAGED_INSTANCES';

/** The RegisterTaskDefinition request, after shape validation. */
export interface RegisterInput {
  family: string;
  containerDefinitions: ContainerDefinition[];
  taskRoleArn?: string;
  executionRoleArn?: string;
  networkMode?: NetworkMode;
  volumes?: { name?: string; host?: { sourcePath?: string } }[] & Record<string, unknown>[];
  placementConstraints?: Record<string, unknown>[];
  requiresCompatibilities?: Compatibility[];
  cpu?: string;
  memory?: string;
  tags?: Tag[];
  pidMode?: string;
  ipcMode?: string;
  proxyConfiguration?: Record<string, unknown>;
  inferenceAccelerators?: Record<string, unknown>[];
  ephemeralStorage?: { sizeInGiB: number };
  runtimePlatform?: Record<string, unknown>;
  enableFaultInjection?: boolean;
}
