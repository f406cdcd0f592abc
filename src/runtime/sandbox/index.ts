/** A task's boundary: see README.md. */
export type { FoundContainer, SandboxBackend, SandboxTask, TaskContainer, TaskSandbox } from './types.ts';
export { CONTAINER_BACKEND, CONTAINER_SANDBOX } from './container-backend.ts';
export { GvisorBackend } from './gvisor.ts';
export { detectIsolation, type Detected, type IsolationFacts } from './detect.ts';
export { USERNS_BACKEND, USERNS_HOST_ID, USERNS_SIZE } from './userns.ts';
