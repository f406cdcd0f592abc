import { test } from 'node:test';
import assert from 'node:assert/strict';
import { containerSpecs } from '../core/ecs/container-spec.ts';
import type { ContainerDefinition } from '../core/ecs/task-definition.ts';
import type { ContainerFields } from '../runtime/container/spec-input.ts';
import { runtimeFields } from './runtime-fields.ts';

/** Every field the OCI spec builder reads (spec-input.ts ContainerFields). */
const RUNTIME_KEYS: readonly (keyof ContainerFields)[] = [
  'entryPoint', 'command', 'environment', 'workingDirectory', 'user', 'cpu', 'memory', 'memoryReservation', 'readonlyRootFilesystem', 'privileged',
  'disableNetworking', 'linuxParameters', 'ulimits', 'hostname', 'extraHosts', 'dnsServers', 'dnsSearchDomains', 'dockerLabels', 'dockerSecurityOptions',
  'systemControls', 'pseudoTerminal', 'interactive',
];

test('the runtime gets from a container\'s spec exactly the fields it read from its ECS definition', () => {
  const def: ContainerDefinition = {
    name: 'web', image: 'busybox', cpu: 256, memory: 512, memoryReservation: 128, essential: true,
    entryPoint: ['/bin/sh', '-c'], command: ['exec httpd -f'], workingDirectory: '/srv', user: '1000:1000',
    environment: [{ name: 'A', value: '1' }], readonlyRootFilesystem: true, privileged: false, disableNetworking: false,
    linuxParameters: { capabilities: { add: ['NET_ADMIN'], drop: ['MKNOD'] }, initProcessEnabled: true, sharedMemorySize: 64, tmpfs: [{ containerPath: '/run', size: 16 }], devices: [{ hostPath: '/dev/fuse' }], maxSwap: 0, swappiness: 10 },
    ulimits: [{ name: 'nofile', softLimit: 1024, hardLimit: 4096 }], hostname: 'web', extraHosts: [{ hostname: 'db', ipAddress: '10.0.0.9' }],
    dnsServers: ['10.0.0.2'], dnsSearchDomains: ['corp'], dockerLabels: { team: 'a' }, dockerSecurityOptions: ['no-new-privileges'],
    systemControls: [{ namespace: 'net.core.somaxconn', value: '1024' }], pseudoTerminal: true, interactive: true,
  };
  const env = [{ name: 'A', value: '1' }, { name: 'ECS_CONTAINER_METADATA_URI_V4', value: 'http://169.254.170.2/v4/x' }];
  const before = Object.fromEntries(RUNTIME_KEYS.filter((k) => k in def).map((k) => [k, def[k]]));
  assert.deepEqual(runtimeFields(containerSpecs([def])[0]!, env), { ...before, environment: env });
});

test('a bare definition gives the runtime only its cpu (0, as ECS fills in) and environment', () => {
  assert.deepEqual(runtimeFields(containerSpecs([{ name: 'a', image: 'busybox' }])[0]!, []), { cpu: 0, environment: [] });
});
