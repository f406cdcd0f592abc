import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ContainerSpec } from '../core/workload/spec.ts';
import { unsupported } from './spec-support.ts';

const c: ContainerSpec = { name: 'web', image: 'nginx', essential: true, env: [], ports: [], resources: { cpu: 0 }, mounts: [] };

test('what the agent cannot do yet fails the start with a reason; an ECS container\'s spec runs', () => {
  assert.equal(unsupported(c), undefined);
  assert.equal(unsupported({ ...c, restart: { policy: 'OnFailure' }, healthCheck: { command: ['CMD', 'true'], interval: 5, timeout: 2, retries: 1, startPeriod: 0 } }), undefined);
  const probe = { handler: { tcpSocket: { port: 80 } }, initialDelaySeconds: 0, periodSeconds: 10, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 3 };
  assert.equal(unsupported({ ...c, probes: { readiness: probe } }), 'container web has probes, which this agent does not run yet');
  assert.equal(unsupported({ ...c, resources: { cpu: 256, cpuLimit: 512 } }), undefined, 'a CPU limit is a CFS quota (src/runtime/container/resources.ts cpuQuota)');
});
