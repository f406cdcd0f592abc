/** The container runtime's public API: see README.md. */
export { Container, stopTimeoutSeconds, DEFAULT_STOP_TIMEOUT_SECONDS, MAX_STOP_TIMEOUT_SECONDS } from './container.ts';
export type { CreateOptions, ExitStatus } from './container.ts';
export { reattach, stateDirsUnder } from './reattach.ts';
export type { Reattached } from './reattach.ts';
export { findRuntime } from './oci-runtime.ts';
export { removeCreateNamespace } from './create-namespace.ts';
export { removeReadOnlyBinaries } from './read-only-binary.ts';
export type { OciRuntime, RuntimeName, RuntimeOptions } from './oci-runtime.ts';
export type { ExecOptions, ExecResult } from './exec.ts';
export type { CgroupStats } from './cgroups.ts';
export { buildSpec } from './spec.ts';
export type { BuiltSpec } from './spec.ts';
export type { ContainerFields, LinuxParameters, NetworkSetting, HostFacts, SpecInput } from './spec-input.ts';
export type { BindMount, TmpfsMount } from './mounts.ts';
export { convertSeccompProfile } from './seccomp.ts';
export { ContainerConfigError, ContainerStartError, RuntimeCommandError, RuntimeUnavailableError } from './errors.ts';
