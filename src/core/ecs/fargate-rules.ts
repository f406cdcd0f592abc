/**
 * Fargate's rules (issue 15), pure: what ECS checks when a task definition requires FARGATE
 * (RegisterTaskDefinition, ClientException), and when RunTask, CreateService, UpdateService
 * or CreateTaskSet launch on Fargate (InvalidParameterException, PlatformUnknownException).
 * Each failure says AWS's sentence where it is known, then what to do.
 *
 *   RegisterTaskDefinition ── checkFargateDefinition ── compatibilities gains FARGATE
 *   RunTask / CreateService / UpdateService / CreateTaskSet
 *        └─ launch type FARGATE (given, or a FARGATE / FARGATE_SPOT strategy)
 *             └─ checkFargateLaunch: the definition is FARGATE-compatible, no placement
 *                rules, a platform version that exists, overrides of a Fargate size
 */
import { ApiError, fail } from '../errors.ts';
import { FARGATE_PLATFORM_VERSIONS, LATEST_PLATFORM_VERSION, MAX_EPHEMERAL_STORAGE_GIB, MIN_EPHEMERAL_STORAGE_GIB } from './fargate.ts';
import type { NetworkConfiguration } from './service.ts';
import type { Compatibility, ContainerDefinition, RegisterInput } from './task-definition-input.ts';
import { fargateSizesHint, isFargateSize, parseTaskCpu, parseTaskMemory } from './task-size.ts';

/** Fargate stops a container at most this long after SIGTERM (ECS stopTimeout reference). */
export const MAX_FARGATE_STOP_TIMEOUT = 120;
/** The one kernel capability a Fargate container may add (KernelCapabilities reference). */
const FARGATE_ADDABLE_CAPABILITY = 'SYS_PTRACE';
const client = (message: string) => new ApiError('ClientException', message);

// ---- task definitions

/** ephemeralStorage of a task definition (ClientException) or of a RunTask override (InvalidParameterException): 21-200 GiB. */
export function checkEphemeralStorage(e: { sizeInGiB?: unknown } | undefined, code: 'ClientException' | 'InvalidParameterException'): void {
  if (e === undefined) return;
  const n = e.sizeInGiB;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < MIN_EPHEMERAL_STORAGE_GIB || n > MAX_EPHEMERAL_STORAGE_GIB) {
    throw new ApiError(code, `Invalid 'ephemeralStorage.sizeInGiB' setting: ${String(n)}. The ephemeral storage size must be between ${MIN_EPHEMERAL_STORAGE_GIB} and ${MAX_EPHEMERAL_STORAGE_GIB} GiB; leave it out for the default ${MIN_EPHEMERAL_STORAGE_GIB - 1} GiB.`);
  }
}

/**
 * The rules of a definition that requires FARGATE ("Amazon ECS task definition differences
 * for Fargate" in the developer guide). `cpu` and `memory` are the task-level values parsed.
 */
export function checkFargateDefinition(input: RegisterInput, cpu: number | undefined, memory: number | undefined): void {
  const mode = input.networkMode ?? 'bridge';
  if (mode !== 'awsvpc') throw client(`Fargate only supports network mode 'awsvpc'. Set "networkMode": "awsvpc" (it is '${mode}').`);
  if (cpu === undefined) throw client("Fargate requires that 'cpu' be defined at the task level.");
  if (memory === undefined) throw client("Fargate requires that 'memory' be defined at the task level.");
  if (!isFargateSize(cpu, memory)) throw client(`No Fargate configuration exists for given values: ${cpu} CPU, ${memory} memory. Valid sizes: ${fargateSizesHint()}.`);
  if (input.pidMode === 'host') throw client("Fargate does not support pidMode 'host': use 'task', or leave it out.");
  if (input.ipcMode !== undefined) throw client('Fargate does not support ipcMode: remove it.');
  if (input.placementConstraints?.length) throw client('Placement constraints are not supported with FARGATE launch type. Remove placementConstraints from the task definition.');
  const os = input.runtimePlatform?.operatingSystemFamily;
  if (os !== undefined && os !== 'LINUX') throw client(`Berth's Fargate runs Linux tasks only: runtimePlatform.operatingSystemFamily ${String(os)} is not available. Use LINUX, or leave it out.`);
  for (const v of input.volumes ?? []) {
    if (v.host?.sourcePath) throw client(`Fargate does not support host volumes with a sourcePath (volume '${v.name}'): leave out "host" for a task-scoped volume.`);
  }
  for (const c of input.containerDefinitions) checkFargateContainer(c);
}

/** Whether a definition meets every Fargate rule: ECS then lists FARGATE in its `compatibilities`. */
export function isFargateCompatible(input: RegisterInput, cpu: number | undefined, memory: number | undefined): boolean {
  try {
    checkFargateDefinition(input, cpu, memory);
    return true;
  } catch (e) {
    if (e instanceof ApiError) return false;
    throw e;
  }
}

function checkFargateContainer(c: ContainerDefinition): void {
  if (c.privileged) throw client(`Fargate requires that the privileged setting be false at the container level. Remove "privileged" from container '${c.name}'.`);
  if (c.links?.length) throw client(`Fargate does not support links (container '${c.name}'): containers of an awsvpc task reach each other on localhost.`);
  if (c.stopTimeout !== undefined && c.stopTimeout > MAX_FARGATE_STOP_TIMEOUT) throw client(`Invalid 'stopTimeout' for container '${c.name}': Fargate allows at most ${MAX_FARGATE_STOP_TIMEOUT} seconds.`);
  const lp = c.linuxParameters as { capabilities?: { add?: unknown[] }; devices?: unknown[]; sharedMemorySize?: unknown; tmpfs?: unknown[]; maxSwap?: unknown; swappiness?: unknown } | undefined;
  if (!lp) return;
  const added = (lp.capabilities?.add ?? []).filter((cap) => cap !== FARGATE_ADDABLE_CAPABILITY);
  if (added.length) throw client(`Fargate only supports adding the ${FARGATE_ADDABLE_CAPABILITY} kernel capability (container '${c.name}' adds ${added.map(String).join(', ')}): remove the others from linuxParameters.capabilities.add.`);
  const refused: [boolean, string][] = [
    [Boolean(lp.devices?.length), 'devices'],
    [lp.sharedMemorySize !== undefined, 'sharedMemorySize'],
    [Boolean(lp.tmpfs?.length), 'tmpfs'],
    [lp.maxSwap !== undefined, 'maxSwap'],
    [lp.swappiness !== undefined, 'swappiness'],
  ];
  const hit = refused.find(([given]) => given);
  if (hit) throw client(`Fargate does not support linuxParameters.${hit[1]} (container '${c.name}'): remove it.`);
}

// ---- launches

/** The platform version a Fargate launch runs on: LATEST (or none) resolves to the newest. */
export function resolvePlatformVersion(v: string | undefined): string {
  return v === undefined || v === 'LATEST' ? LATEST_PLATFORM_VERSION : v;
}

/**
 * A platform version is a Fargate notion: with launch type EC2 it must be left out; with
 * FARGATE it must be LATEST or one Berth serves (PlatformUnknownException, as ECS answers).
 */
export function checkPlatformVersion(launchType: string | undefined, platformVersion: string | undefined): void {
  if (platformVersion === undefined) return;
  if (launchType === 'EC2' || launchType === 'EXTERNAL') {
    fail('InvalidParameterException', `The platform version must be null when specifying an ${launchType} launch type. Remove --platform-version.`);
  }
  if (launchType === 'FARGATE' && !FARGATE_PLATFORM_VERSIONS.includes(resolvePlatformVersion(platformVersion))) {
    fail('PlatformUnknownException', `The specified platform version doesn't exist. '${platformVersion}' is not a Fargate platform version of Berth: use LATEST or ${FARGATE_PLATFORM_VERSIONS.join(', ')}.`);
  }
}

/**
 * awsvpcConfiguration.assignPublicIp ENABLED is for Fargate tasks only. (Its enum, and
 * runtimePlatform's, are checked with the request's shape, against the API model.)
 */
export function checkAssignPublicIp(net: NetworkConfiguration | undefined, launchType: string | undefined): void {
  if (net?.awsvpcConfiguration?.assignPublicIp === 'ENABLED' && launchType !== 'FARGATE') fail('InvalidParameterException', 'Assign public IP is not supported for this launch type. Set assignPublicIp to DISABLED, or launch on Fargate.');
}

export interface FargateLaunchInput {
  readonly platformVersion?: string;
  readonly placementConstraints?: readonly unknown[];
  readonly placementStrategy?: readonly unknown[];
  readonly overrides?: { cpu?: string; memory?: string; ephemeralStorage?: { sizeInGiB?: unknown } };
}

/**
 * What ECS refuses of a launch on Fargate, beyond what every launch checks (the network
 * configuration an awsvpc definition needs): a definition not compatible with FARGATE, any
 * placement constraint or strategy, an unknown platform version, overrides that leave the
 * Fargate sizes or the ephemeral storage range.
 */
export function checkFargateLaunch(l: FargateLaunchInput, td: { readonly compatibilities: readonly Compatibility[]; readonly cpu?: string | undefined; readonly memory?: string | undefined }): void {
  if (!td.compatibilities.includes('FARGATE')) {
    fail('InvalidParameterException', 'Task definition does not support launch_type FARGATE. Register a revision with "requiresCompatibilities": ["FARGATE"], networkMode awsvpc and a Fargate task size.');
  }
  if (l.placementConstraints?.length) fail('InvalidParameterException', 'Placement constraints are not supported with FARGATE launch type. Remove the placement constraints: Fargate places tasks itself.');
  if (l.placementStrategy?.length) fail('InvalidParameterException', 'Placement strategies are not supported with FARGATE launch type. Remove the placement strategy: Fargate places tasks itself.');
  checkPlatformVersion('FARGATE', l.platformVersion);
  const o = l.overrides;
  if (!o) return;
  checkEphemeralStorage(o.ephemeralStorage, 'InvalidParameterException');
  if (o.cpu !== undefined || o.memory !== undefined) {
    const cpu = parseOverride(() => parseTaskCpu(o.cpu ?? td.cpu ?? ''));
    const memory = parseOverride(() => parseTaskMemory(o.memory ?? td.memory ?? ''));
    if (!isFargateSize(cpu, memory)) fail('InvalidParameterException', `No Fargate configuration exists for given values: ${cpu} CPU, ${memory} memory. Valid sizes: ${fargateSizesHint()}.`);
  }
}

/** A task-size override parsed, its complaint answered as RunTask's (InvalidParameterException). */
function parseOverride(parse: () => number): number {
  try {
    return parse();
  } catch (e) {
    fail('InvalidParameterException', (e as Error).message);
  }
}
