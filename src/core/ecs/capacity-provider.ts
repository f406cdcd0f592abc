/**
 * Capacity providers: the CapacityProvider shape of the ECS API, the rules of
 * CreateCapacityProvider / UpdateCapacityProvider, and the table of provider kinds.
 *
 * A provider's capacity is the container instances that carry its name: an agent joins one
 * with `berth agent --capacity-provider NAME`, and its instance's `capacityProviderName` is
 * that name. Berth has no Auto Scaling: the group ARN a provider is created with is kept
 * and answered as given, and managed scaling / termination protection / draining are
 * stored and answered, never acted on.
 *
 * FARGATE and FARGATE_SPOT are two more rows of {@link PROVIDER_KINDS}, built in for every
 * account as AWS lists them; until Berth serves Fargate capacity, strategies naming them
 * are refused at launch (`runnable: false`), not special-cased anywhere else.
 */
import { parseArn } from '../arn.ts';
import { fail } from '../errors.ts';
import type { Tag } from './tags.ts';
import { ecsArn, type Scope } from './scope.ts';

export type CapacityProviderType = 'EC2_AUTOSCALING' | 'FARGATE' | 'FARGATE_SPOT';
export type CapacityProviderStatus = 'ACTIVE' | 'INACTIVE';
export type CapacityProviderUpdateStatus =
  | 'DELETE_IN_PROGRESS' | 'DELETE_COMPLETE' | 'DELETE_FAILED'
  | 'UPDATE_IN_PROGRESS' | 'UPDATE_COMPLETE' | 'UPDATE_FAILED';
export type Toggle = 'ENABLED' | 'DISABLED';

export interface ManagedScaling {
  status: Toggle;
  targetCapacity: number;
  minimumScalingStepSize: number;
  maximumScalingStepSize: number;
  instanceWarmupPeriod: number;
}

export interface AutoScalingGroupProvider {
  autoScalingGroupArn: string;
  managedScaling: ManagedScaling;
  managedTerminationProtection: Toggle;
  managedDraining: Toggle;
}

/** What one kind of provider is: its launch type, whether accounts create it, whether tasks run on it yet. */
export interface ProviderKind {
  readonly type: CapacityProviderType;
  /** The launchType of the tasks it runs. */
  readonly launchType: 'EC2' | 'FARGATE';
  /** Present in every account under its own name (FARGATE, FARGATE_SPOT): never created, updated or deleted. */
  readonly builtIn: boolean;
  /** Tasks can be placed on it in this release. */
  readonly runnable: boolean;
}

export const PROVIDER_KINDS: Readonly<Record<CapacityProviderType, ProviderKind>> = {
  EC2_AUTOSCALING: { type: 'EC2_AUTOSCALING', launchType: 'EC2', builtIn: false, runnable: true },
  // The next issue serves these with platform-managed agents; then `runnable` turns true.
  FARGATE: { type: 'FARGATE', launchType: 'FARGATE', builtIn: true, runnable: true },
  FARGATE_SPOT: { type: 'FARGATE_SPOT', launchType: 'FARGATE', builtIn: true, runnable: true },
};

/** The built-in providers, by name, in the order AWS lists them (after the account's own). */
export const BUILT_IN_PROVIDERS: readonly CapacityProviderType[] = ['FARGATE', 'FARGATE_SPOT'];

/** A provider as stored. Built-in providers are never stored: {@link builtInProvider} makes them. */
export interface CapacityProviderRecord {
  capacityProviderArn: string;
  name: string;
  status: CapacityProviderStatus;
  type: CapacityProviderType;
  autoScalingGroupProvider?: AutoScalingGroupProvider;
  updateStatus?: CapacityProviderUpdateStatus;
  updateStatusReason?: string;
  tags: Tag[];
  /**
   * Berth's own (not answered): the clusters it is associated with, written in the same
   * transaction as the cluster's list, so a delete can never race an association.
   * Bounded by the clusters of an account (10,000, the ECS quota).
   */
  clusters: string[];
}

/**
 * Managed scaling values filled in when a request leaves them out: the step sizes and
 * warm-up period are the API reference's defaults (AWS CLI create-capacity-provider
 * example), target capacity its stated default of 100; status DISABLED is Berth's choice
 * (the reference states no default), so nothing claims a scaling Berth does not do.
 */
export const MANAGED_SCALING_DEFAULTS: ManagedScaling = {
  status: 'DISABLED',
  targetCapacity: 100,
  minimumScalingStepSize: 1,
  maximumScalingStepSize: 10_000,
  instanceWarmupPeriod: 300,
};

/** Model bounds of ManagedScaling's integers (ManagedScalingTargetCapacity, ...StepSize, ...InstanceWarmupPeriod). */
const SCALING_BOUNDS: Readonly<Record<'targetCapacity' | 'minimumScalingStepSize' | 'maximumScalingStepSize' | 'instanceWarmupPeriod', readonly [number, number]>> = {
  targetCapacity: [1, 100],
  minimumScalingStepSize: [1, 10_000],
  maximumScalingStepSize: [1, 10_000],
  instanceWarmupPeriod: [0, 10_000],
};

/** Up to 255 letters, numbers, underscores and hyphens (CreateCapacityProvider reference). */
const NAME = /^[a-zA-Z0-9_-]{1,255}$/;
/** Prefixes AWS keeps for its own providers (case-insensitive: "Ecs" and "AWS" are refused too). */
const RESERVED_PREFIX = /^(aws|ecs|fargate)/i;

export function validateProviderName(name: string): void {
  if (!NAME.test(name) || RESERVED_PREFIX.test(name)) {
    fail('InvalidParameterException', 'The specified capacity provider name is invalid. Up to 255 characters are allowed, including letters (upper and lowercase), numbers, underscores, and hyphens. The name cannot be prefixed with "aws", "ecs", or "fargate". Specify a valid name and try again.');
  }
}

/** The provider name a request refers to: a short name, or a capacity-provider ARN of this scope. */
export function providerNameOf(ref: string): string {
  const arn = parseArn(ref);
  if (!arn) return ref;
  const m = /^capacity-provider\/(.+)$/.exec(arn.resource);
  if (arn.service !== 'ecs' || !m) fail('InvalidParameterException', `'${ref}' is not a capacity provider ARN: expected arn:aws:ecs:<region>:<account>:capacity-provider/<name>.`);
  return m[1]!;
}

export function kindOf(name: string): ProviderKind | undefined {
  return (BUILT_IN_PROVIDERS as readonly string[]).includes(name) ? PROVIDER_KINDS[name as CapacityProviderType] : undefined;
}

/** FARGATE or FARGATE_SPOT as every account has it. */
export function builtInProvider(scope: Scope, type: CapacityProviderType): CapacityProviderRecord {
  return { capacityProviderArn: ecsArn(scope, `capacity-provider/${type}`), name: type, status: 'ACTIVE', type, tags: [], clusters: [] };
}

interface ManagedScalingInput {
  status?: Toggle;
  targetCapacity?: number;
  minimumScalingStepSize?: number;
  maximumScalingStepSize?: number;
  instanceWarmupPeriod?: number;
}

export interface CreateInput {
  name: string;
  autoScalingGroupProvider?: {
    autoScalingGroupArn: string;
    managedScaling?: ManagedScalingInput;
    managedTerminationProtection?: Toggle;
    managedDraining?: Toggle;
  };
  managedInstancesProvider?: unknown;
  cluster?: string;
  tags?: Tag[];
}

export interface UpdateInput {
  name: string;
  autoScalingGroupProvider?: { managedScaling?: ManagedScalingInput; managedTerminationProtection?: Toggle; managedDraining?: Toggle };
  managedInstancesProvider?: unknown;
  cluster?: string;
}

/** The new EC2 provider a CreateCapacityProvider request describes (its name and tags already checked). */
export function newProvider(scope: Scope, input: CreateInput): CapacityProviderRecord {
  if (input.managedInstancesProvider !== undefined) unsupportedManagedInstances();
  const asg = input.autoScalingGroupProvider;
  if (!asg) fail('InvalidParameterException', 'The autoScalingGroupProvider parameter is required for a capacity provider of EC2 instances. Berth has no Auto Scaling: give any group ARN or name, and join container instances to the provider with berth agent --capacity-provider.');
  if (asg.autoScalingGroupArn.trim() === '') fail('InvalidParameterException', 'autoScalingGroupProvider.autoScalingGroupArn must name an Auto Scaling group (its ARN or its name).');
  return {
    capacityProviderArn: ecsArn(scope, `capacity-provider/${input.name}`),
    name: input.name,
    status: 'ACTIVE',
    type: 'EC2_AUTOSCALING',
    autoScalingGroupProvider: {
      autoScalingGroupArn: asg.autoScalingGroupArn,
      managedScaling: mergeScaling(MANAGED_SCALING_DEFAULTS, asg.managedScaling),
      managedTerminationProtection: asg.managedTerminationProtection ?? 'DISABLED',
      // New providers drain their instances unless told not to (ECS developer guide, managed draining).
      managedDraining: asg.managedDraining ?? 'ENABLED',
    },
    tags: input.tags ?? [],
    clusters: [],
  };
}

/** The provider after an UpdateCapacityProvider request; unchanged members keep their values. */
export function updatedProvider(current: CapacityProviderRecord, input: UpdateInput): CapacityProviderRecord {
  if (input.managedInstancesProvider !== undefined) unsupportedManagedInstances();
  const asg = current.autoScalingGroupProvider!;
  const u = input.autoScalingGroupProvider;
  if (!u) fail('InvalidParameterException', 'UpdateCapacityProvider needs autoScalingGroupProvider with the settings to change (managedScaling, managedTerminationProtection, managedDraining).');
  return {
    ...current,
    autoScalingGroupProvider: {
      autoScalingGroupArn: asg.autoScalingGroupArn,
      managedScaling: mergeScaling(asg.managedScaling, u.managedScaling),
      managedTerminationProtection: u.managedTerminationProtection ?? asg.managedTerminationProtection,
      managedDraining: u.managedDraining ?? asg.managedDraining,
    },
    updateStatus: 'UPDATE_COMPLETE',
  };
}

function mergeScaling(base: ManagedScaling, given: ManagedScalingInput | undefined): ManagedScaling {
  const out: ManagedScaling = { ...base, ...Object.fromEntries(Object.entries(given ?? {}).filter(([, v]) => v !== undefined)) };
  for (const [member, [min, max]] of Object.entries(SCALING_BOUNDS)) {
    const v = out[member as keyof typeof SCALING_BOUNDS];
    if (v < min || v > max) fail('InvalidParameterException', `autoScalingGroupProvider.managedScaling.${member} must be between ${min} and ${max}; it was ${v}.`);
  }
  if (out.minimumScalingStepSize > out.maximumScalingStepSize) {
    fail('InvalidParameterException', `The managed scaling minimumScalingStepSize (${out.minimumScalingStepSize}) cannot be greater than its maximumScalingStepSize (${out.maximumScalingStepSize}).`);
  }
  return out;
}

function unsupportedManagedInstances(): never {
  fail('InvalidParameterException', 'Amazon ECS Managed Instances capacity providers are not available in Berth: create an EC2 capacity provider with autoScalingGroupProvider, and join hosts to it with berth agent --capacity-provider.');
}

/**
 * The CapacityProvider shape as AWS answers it: `tags` always present (empty unless asked
 * for with include TAGS, or on Create/Update/Delete answers), `type` for every provider,
 * `autoScalingGroupProvider` for EC2 ones, `updateStatus` once an update or delete began.
 * (AWS CLI examples of create-, describe-, update- and delete-capacity-provider.)
 */
export function providerView(p: CapacityProviderRecord, withTags: boolean) {
  return {
    capacityProviderArn: p.capacityProviderArn,
    name: p.name,
    status: p.status,
    ...(p.autoScalingGroupProvider && { autoScalingGroupProvider: p.autoScalingGroupProvider }),
    ...(p.updateStatus && { updateStatus: p.updateStatus }),
    ...(p.updateStatusReason && { updateStatusReason: p.updateStatusReason }),
    tags: withTags ? p.tags : [],
    type: p.type,
  };
}
