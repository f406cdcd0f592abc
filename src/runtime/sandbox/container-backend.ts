/**
 * The per-container boundary (Isolation `container`): each of the task's containers on
 * its own under conmon, with crun or runc (src/runtime/container). What EC2 tasks get,
 * and Fargate tasks on a host where no sandbox can run. Reattach after a restart goes
 * through the container module's own state directories (src/agent/agent.ts).
 */

import { Container, type CreateOptions } from '../container/index.ts';
import type { SandboxBackend, TaskContainer, TaskSandbox } from './types.ts';

export const CONTAINER_SANDBOX: TaskSandbox = {
  isolation: 'container',
  createContainer: (o: CreateOptions): Promise<TaskContainer> => Container.create(o),
  destroy: () => Promise.resolve(),
};

export const CONTAINER_BACKEND: SandboxBackend = {
  isolation: 'container',
  open: () => Promise.resolve(CONTAINER_SANDBOX),
  reattach: () => Promise.resolve(undefined),
};
