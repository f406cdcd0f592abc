/**
 * The parts of the OCI runtime configuration (config.json, runtime-spec v1.0.2) that
 * Berth writes. Field names and shapes follow the spec exactly, since crun and runc read
 * this file as it is; anything Berth never sets is left out.
 */

/** The spec version both runtimes here accept (runc 1.1 reports 1.0.2-dev, crun 1.8 1.0.0). */
export const OCI_VERSION = '1.0.2';

export interface OciSpec {
  ociVersion: string;
  process: OciProcess;
  root: { path: string; readonly: boolean };
  hostname: string;
  mounts: OciMount[];
  annotations?: Record<string, string>;
  linux: OciLinux;
}

export interface OciProcess {
  /** On a terminal: the runtime makes a pty and hands its master side to `--console-socket` (conmon -t takes it). */
  terminal: boolean;
  user: { uid: number; gid: number; additionalGids?: number[] };
  args: string[];
  env: string[];
  cwd: string;
  capabilities: OciCapabilities;
  rlimits: OciRlimit[];
  noNewPrivileges: boolean;
  oomScoreAdj?: number;
}

/** Capability names with the CAP_ prefix. Inheritable and ambient stay empty, as in Docker. */
export interface OciCapabilities {
  bounding: string[];
  effective: string[];
  permitted: string[];
}

export interface OciRlimit {
  /** RLIMIT_NOFILE, RLIMIT_NPROC, ... */
  type: string;
  soft: number;
  hard: number;
}

export interface OciMount {
  destination: string;
  type: string;
  source: string;
  options: string[];
}

export interface OciLinux {
  namespaces: OciNamespace[];
  /** With a `user` namespace: its uid and gid maps. */
  uidMappings?: OciIdMapping[];
  gidMappings?: OciIdMapping[];
  cgroupsPath: string;
  resources: OciResources;
  devices?: OciDevice[];
  seccomp?: OciSeccomp;
  maskedPaths?: string[];
  readonlyPaths?: string[];
  sysctl?: Record<string, string>;
}

export type OciNamespaceType = 'pid' | 'network' | 'ipc' | 'uts' | 'mount' | 'user' | 'cgroup';

export interface OciNamespace {
  type: OciNamespaceType;
  /** Join this namespace instead of creating one. */
  path?: string;
}

export interface OciResources {
  devices: OciDeviceRule[];
  memory?: { limit?: number; reservation?: number };
  /** quota/period: a hard CPU limit (a Fargate task's cpu on its sandbox); shares: a weight. */
  cpu?: { shares?: number; quota?: number; period?: number };
}

/** A user namespace's id mapping (runtime-notes §3: root inside is `hostID` outside). */
export interface OciIdMapping {
  containerID: number;
  hostID: number;
  size: number;
}

export interface OciDeviceRule {
  allow: boolean;
  type?: 'a' | 'b' | 'c';
  major?: number;
  minor?: number;
  access: string;
}

export interface OciDevice {
  path: string;
  type: 'b' | 'c' | 'u' | 'p';
  major: number;
  minor: number;
  fileMode?: number;
  uid?: number;
  gid?: number;
}

export interface OciSeccomp {
  defaultAction: string;
  defaultErrnoRet?: number;
  architectures: string[];
  syscalls: OciSyscallRule[];
}

export interface OciSyscallRule {
  names: string[];
  action: string;
  errnoRet?: number;
  args?: OciSyscallArg[];
}

export interface OciSyscallArg {
  index: number;
  value: number;
  valueTwo: number;
  op: string;
}
