import { test } from 'node:test';
import assert from 'node:assert/strict';
import { containerSpecs, volumeSpecs } from './container-spec.ts';

test('volumesFrom becomes plain mounts of the named container\'s own mount points, read-only when asked', () => {
  const [data, app] = containerSpecs([
    { name: 'data', image: 'busybox', mountPoints: [{ sourceVolume: 'v', containerPath: '/data' }, { sourceVolume: 'logs', containerPath: '/logs', readOnly: true }] },
    { name: 'app', image: 'busybox', mountPoints: [{ sourceVolume: 'cfg', containerPath: '/etc/app' }], volumesFrom: [{ sourceContainer: 'data', readOnly: true }, { sourceContainer: 'gone' }] },
  ]);
  assert.deepEqual(data!.mounts, [{ volume: 'v', path: '/data', readOnly: false }, { volume: 'logs', path: '/logs', readOnly: true }]);
  assert.deepEqual(app!.mounts, [{ volume: 'cfg', path: '/etc/app', readOnly: false }, { volume: 'v', path: '/data', readOnly: true }, { volume: 'logs', path: '/logs', readOnly: true }]);
});

test('volumes: a host sourcePath is a hostPath; any other (docker, efs, none) a task scratch directory', () => {
  assert.deepEqual(volumeSpecs([{ name: 'h', host: { sourcePath: '/srv' } }, { name: 's' }, { name: 'd', dockerVolumeConfiguration: { scope: 'task' } }, { name: 'e', host: {} }]), [
    { name: 'h', hostPath: { path: '/srv' } }, { name: 's', scratch: {} }, { name: 'd', scratch: {} }, { name: 'e', scratch: {} },
  ]);
});

test('ECS names become the model\'s: entryPoint/command, essential, health check defaults, restart policy, log driver, ports', () => {
  const [c] = containerSpecs([{
    name: 'web', image: 'nginx', essential: false, entryPoint: ['nginx'], command: ['-g', 'daemon off;'], stopTimeout: 5,
    healthCheck: { command: ['CMD-SHELL', 'true'] }, restartPolicy: { enabled: true, ignoredExitCodes: [0], restartAttemptPeriod: 60 },
    logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-group': 'g' } }, portMappings: [{ containerPort: 80, hostPort: 8080 }],
    environmentFiles: [{ value: 'arn:aws:s3:::b/k.env', type: 's3' }], dependsOn: [{ containerName: 'init', condition: 'SUCCESS' }],
  }]);
  assert.deepEqual(c, {
    name: 'web', image: 'nginx', essential: false, entrypoint: ['nginx'], command: ['-g', 'daemon off;'], env: [],
    envFiles: [{ value: 'arn:aws:s3:::b/k.env', type: 's3' }], ports: [{ containerPort: 80, hostPort: 8080, protocol: 'tcp' }],
    resources: { cpu: 0 }, dependsOn: [{ containerName: 'init', condition: 'SUCCESS' }],
    healthCheck: { command: ['CMD-SHELL', 'true'], interval: 30, timeout: 5, retries: 3, startPeriod: 0 },
    restart: { policy: 'Always', ignoredExitCodes: [0], attemptPeriodSeconds: 60 }, mounts: [], stopTimeout: 5,
    log: { driver: 'awslogs', options: { 'awslogs-group': 'g' } },
  });
  const restartOf = (restartPolicy: Record<string, unknown>) => containerSpecs([{ name: 'w', image: 'i', restartPolicy }])[0]!.restart;
  assert.deepEqual(restartOf({ enabled: true }), { policy: 'Always', attemptPeriodSeconds: 300 }, 'ECS\'s default attempt period');
  assert.equal(restartOf({ enabled: false, restartAttemptPeriod: 60 }), undefined);
});
