import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../errors.ts';
import { checkAssignPublicIp, checkFargateLaunch, checkPlatformVersion, resolvePlatformVersion } from './fargate-rules.ts';
import { buildTaskDefinition, type RegisterInput } from './task-definition.ts';

const scope = { account: '000000000000', region: 'us-east-1' };
const FARGATE: RegisterInput = { family: 'web', requiresCompatibilities: ['FARGATE'], networkMode: 'awsvpc', cpu: '256', memory: '512', containerDefinitions: [{ name: 'web', image: 'nginx', portMappings: [{ containerPort: 80 }] }] };
const register = (input: RegisterInput) => buildTaskDefinition(scope, input, 1, 1, 'arn:aws:iam::000000000000:root');
const refusal = (fn: () => unknown): [string, string] => {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ApiError, String(e));
    return [e.code, e.message];
  }
  throw new Error('expected a refusal');
};
const container = (extra: Record<string, unknown>) => ({ ...FARGATE, containerDefinitions: [{ name: 'web', image: 'nginx', ...extra }] });

test('a definition that meets every Fargate rule lists FARGATE in compatibilities, asked for or not', () => {
  assert.deepEqual(register(FARGATE).compatibilities, ['EC2', 'FARGATE']);
  const { requiresCompatibilities: _r, ...unasked } = FARGATE;
  assert.deepEqual(register(unasked).compatibilities, ['EC2', 'FARGATE']);
  // Not asked for, and privileged: registered, but not FARGATE-compatible.
  const { requiresCompatibilities: _p, ...privileged } = container({ privileged: true });
  assert.deepEqual(register(privileged).compatibilities, ['EC2']);
  assert.deepEqual(register({ ...unasked, networkMode: 'bridge' }).compatibilities, ['EXTERNAL', 'EC2']);
});

test('RegisterTaskDefinition refuses what Fargate refuses, with ClientException and the setting named', () => {
  const cases: [RegisterInput, RegExp][] = [
    [{ ...FARGATE, networkMode: 'bridge' }, /^Fargate only supports network mode 'awsvpc'\./],
    [{ ...FARGATE, networkMode: 'host' }, /^Fargate only supports network mode 'awsvpc'\./],
    [container({ privileged: true }), /^Fargate requires that the privileged setting be false at the container level\./],
    [container({ linuxParameters: { capabilities: { add: ['SYS_PTRACE', 'NET_ADMIN'] } } }), /only supports adding the SYS_PTRACE kernel capability .* adds NET_ADMIN/],
    [container({ linuxParameters: { devices: [{ hostPath: '/dev/fuse' }] } }), /does not support linuxParameters\.devices/],
    [container({ linuxParameters: { sharedMemorySize: 64 } }), /does not support linuxParameters\.sharedMemorySize/],
    [container({ linuxParameters: { tmpfs: [{ containerPath: '/t', size: 10 }] } }), /does not support linuxParameters\.tmpfs/],
    [container({ portMappings: [{ containerPort: 80, hostPort: 8080 }] }), /host ports and container ports in port mappings must match/],
    [container({ stopTimeout: 121 }), /at most 120 seconds/],
    [{ ...FARGATE, cpu: '256', memory: '4096' }, /^No Fargate configuration exists for given values: 256 CPU, 4096 memory\./],
    [{ ...FARGATE, placementConstraints: [{ type: 'memberOf', expression: 'attribute:x == y' }] }, /^Placement constraints are not supported with FARGATE launch type\./],
    [{ ...FARGATE, runtimePlatform: { operatingSystemFamily: 'WINDOWS_SERVER_2022_CORE' } }, /Linux tasks only/],
    [{ ...FARGATE, ephemeralStorage: { sizeInGiB: 20 } }, /ephemeral storage size must be between 21 and 200 GiB/],
    [{ ...FARGATE, ephemeralStorage: { sizeInGiB: 201 } }, /ephemeral storage size must be between 21 and 200 GiB/],
  ];
  for (const [input, message] of cases) {
    const [code, text] = refusal(() => register(input));
    assert.equal(code, 'ClientException', JSON.stringify(input));
    assert.match(text, message);
  }
  // What Fargate allows: SYS_PTRACE, initProcessEnabled, 21 and 200 GiB, ARM64, LINUX.
  register(container({ linuxParameters: { capabilities: { add: ['SYS_PTRACE'], drop: ['ALL'] }, initProcessEnabled: true } }));
  register({ ...FARGATE, ephemeralStorage: { sizeInGiB: 21 }, runtimePlatform: { cpuArchitecture: 'ARM64', operatingSystemFamily: 'LINUX' } });
  register({ ...FARGATE, ephemeralStorage: { sizeInGiB: 200 } });
});

test('platform versions: LATEST and 1.4.0 on Fargate, unknown ones PlatformUnknownException, none on EC2', () => {
  assert.equal(resolvePlatformVersion(undefined), '1.4.0');
  assert.equal(resolvePlatformVersion('LATEST'), '1.4.0');
  checkPlatformVersion('FARGATE', 'LATEST');
  checkPlatformVersion('FARGATE', '1.4.0');
  checkPlatformVersion('EC2', undefined);
  assert.deepEqual(refusal(() => checkPlatformVersion('FARGATE', '1.3.0'))[0], 'PlatformUnknownException');
  assert.match(refusal(() => checkPlatformVersion('FARGATE', '9.9.9'))[1], /^The specified platform version doesn't exist\./);
  assert.deepEqual(refusal(() => checkPlatformVersion('EC2', 'LATEST')), ['InvalidParameterException', 'The platform version must be null when specifying an EC2 launch type. Remove --platform-version.']);
});

test('a launch on Fargate: a FARGATE-compatible definition, no placement rules, overrides of a Fargate size', () => {
  const td = register(FARGATE);
  checkFargateLaunch({ platformVersion: 'LATEST', overrides: { cpu: '512', memory: '1024', ephemeralStorage: { sizeInGiB: 50 } } }, td);
  const { requiresCompatibilities: _r, ...plain } = container({ privileged: true });
  const cases: [Parameters<typeof checkFargateLaunch>[0], ReturnType<typeof register>, string, RegExp][] = [
    [{}, register(plain), 'InvalidParameterException', /^Task definition does not support launch_type FARGATE\./],
    [{ placementConstraints: [{ type: 'distinctInstance' }] }, td, 'InvalidParameterException', /^Placement constraints are not supported with FARGATE launch type\./],
    [{ placementStrategy: [{ type: 'random' }] }, td, 'InvalidParameterException', /^Placement strategies are not supported with FARGATE launch type\./],
    [{ platformVersion: '1.0.0' }, td, 'PlatformUnknownException', /^The specified platform version doesn't exist\./],
    [{ overrides: { ephemeralStorage: { sizeInGiB: 10 } } }, td, 'InvalidParameterException', /between 21 and 200 GiB/],
    [{ overrides: { memory: '4096' } }, td, 'InvalidParameterException', /^No Fargate configuration exists for given values: 256 CPU, 4096 memory\./],
    [{ overrides: { cpu: 'lots' } }, td, 'InvalidParameterException', /Invalid 'cpu' setting for task/],
  ];
  for (const [launch, def, code, message] of cases) {
    const [c, m] = refusal(() => checkFargateLaunch(launch, def));
    assert.equal(c, code, JSON.stringify(launch));
    assert.match(m, message);
  }
});

test('assignPublicIp ENABLED on Fargate only', () => {
  const net = (assignPublicIp: string) => ({ awsvpcConfiguration: { subnets: ['subnet-1'], assignPublicIp } }) as never;
  checkAssignPublicIp(net('ENABLED'), 'FARGATE');
  checkAssignPublicIp(net('DISABLED'), 'EC2');
  checkAssignPublicIp(undefined, 'EC2');
  assert.deepEqual(refusal(() => checkAssignPublicIp(net('ENABLED'), 'EC2'))[1], 'Assign public IP is not supported for this launch type. Set assignPublicIp to DISABLED, or launch on Fargate.');
});

test('an ARM64 definition requires an arm64 host (ecs.cpu-architecture), so the placer puts it only where it can run', () => {
  assert.deepEqual(register({ ...FARGATE, runtimePlatform: { cpuArchitecture: 'ARM64', operatingSystemFamily: 'LINUX' } }).requiresAttributes,
    [{ name: 'ecs.capability.task-eni' }, { name: 'ecs.cpu-architecture', value: 'arm64' }]);
  assert.deepEqual(register({ ...FARGATE, runtimePlatform: { cpuArchitecture: 'X86_64' } }).requiresAttributes, [{ name: 'ecs.capability.task-eni' }]);
});
