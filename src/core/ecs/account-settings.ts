import { ApiError } from '../errors.ts';

export type SettingName =
  | 'serviceLongArnFormat' | 'taskLongArnFormat' | 'containerInstanceLongArnFormat' | 'awsvpcTrunking'
  | 'containerInsights' | 'fargateFIPSMode' | 'tagResourceAuthorization' | 'fargateTaskRetirementWaitPeriod'
  | 'guardDutyActivate' | 'defaultLogDriverMode' | 'fargateEventWindows';

export interface Setting {
  name: SettingName;
  value: string;
  principalArn: string;
  type: 'user' | 'aws_managed';
}

const ENABLED = ['enabled', 'disabled'];
const ON = ['on', 'off'];

/**
 * Each setting's allowed values and the value AWS uses when nobody set one (ECS
 * "Account settings" docs: long ARN formats on since 2021, Container Insights off,
 * 7-day Fargate retirement wait, non-blocking log driver mode since 2025).
 */
export const SETTINGS: Readonly<Record<SettingName, { readonly values: readonly string[] | RegExp; readonly aws: string; readonly readOnly?: true }>> = {
  serviceLongArnFormat: { values: ENABLED, aws: 'enabled' },
  taskLongArnFormat: { values: ENABLED, aws: 'enabled' },
  containerInstanceLongArnFormat: { values: ENABLED, aws: 'enabled' },
  awsvpcTrunking: { values: ENABLED, aws: 'disabled' },
  containerInsights: { values: ['enabled', 'disabled', 'enhanced'], aws: 'disabled' },
  fargateFIPSMode: { values: ENABLED, aws: 'disabled' },
  tagResourceAuthorization: { values: ON, aws: 'on' },
  fargateTaskRetirementWaitPeriod: { values: ['0', '7', '14'], aws: '7' },
  guardDutyActivate: { values: ON, aws: 'off', readOnly: true },
  defaultLogDriverMode: { values: ['blocking', 'non-blocking'], aws: 'non-blocking' },
  fargateEventWindows: { values: ENABLED, aws: 'disabled' },
};

export const SETTING_NAMES = Object.keys(SETTINGS) as SettingName[];

export function validateSettingValue(name: SettingName, value: string): void {
  const spec = SETTINGS[name];
  if (spec.readOnly) throw new ApiError('InvalidParameterException', `The ${name} setting is read-only in Amazon ECS; it follows the GuardDuty configuration.`);
  const ok = Array.isArray(spec.values) ? spec.values.includes(value) : (spec.values as RegExp).test(value);
  if (!ok) throw new ApiError('InvalidParameterException', `'${value}' is not a valid value for ${name}: use ${Array.isArray(spec.values) ? spec.values.join(' or ') : 'a valid value'}.`);
}

/**
 * The value in force for a principal: its own, else the account default, else AWS's.
 * AWS's value is `type: user` like any other: `aws_managed` marks the settings AWS manages
 * itself, read-only, of which guardDutyActivate is the only one (Setting reference).
 */
export function effective(name: SettingName, own: Setting | undefined, accountDefault: Setting | undefined, principalArn: string): Setting {
  return own ?? (accountDefault && { ...accountDefault, principalArn }) ?? { name, value: SETTINGS[name].aws, principalArn, type: SETTINGS[name].readOnly ? 'aws_managed' : 'user' };
}
