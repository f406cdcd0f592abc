import { test } from 'node:test';
import assert from 'node:assert/strict';
import { admitFargatePod, capacityProvisioned, fargateNodeName, fargatePodSize, ipOfFargateNode, FARGATE_SCHEDULER } from './fargate.ts';

test('a Fargate pod\'s size: its request + 256 MiB, rounded up to the next vCPU/memory combination (EKS pod configuration)', () => {
  assert.deepEqual(fargatePodSize(0, 0), { cpu: 256, memory: 512 }, 'no request: 0.25 vCPU, 0.5 GB');
  assert.deepEqual(fargatePodSize(256, 256), { cpu: 256, memory: 512 }, '256 + 256 MiB fits 0.5 GB exactly');
  assert.deepEqual(fargatePodSize(256, 257), { cpu: 256, memory: 1024 });
  assert.deepEqual(fargatePodSize(512, 1024), { cpu: 512, memory: 2048 }, '1 GiB + 256 MiB: 2 GB at 0.5 vCPU');
  assert.deepEqual(fargatePodSize(1024, 3072), { cpu: 1024, memory: 4096 }, '3 GiB + 256 MiB: 4 GB at 1 vCPU');
  assert.deepEqual(fargatePodSize(300, 0), { cpu: 512, memory: 1024 }, 'more than 0.25 vCPU: the next vCPU value, at its smallest memory');
  assert.equal(fargatePodSize(20_000, 0), undefined, 'more than 16 vCPU: no Fargate size');
});

test('CapacityProvisioned reads as EKS writes it', () => {
  assert.equal(capacityProvisioned({ cpu: 256, memory: 512 }), '0.25vCPU 0.5GB');
  assert.equal(capacityProvisioned({ cpu: 1024, memory: 2048 }), '1vCPU 2GB');
  assert.equal(capacityProvisioned({ cpu: 2048, memory: 5120 }), '2vCPU 5GB');
});

test('the Fargate admission: fargate-scheduler, the profile label and the size annotation, the rest of the pod untouched', () => {
  const pod = { apiVersion: 'v1' as const, kind: 'Pod' as const, metadata: { name: 'p', labels: { app: 'x' }, annotations: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'i' }], schedulerName: 'default-scheduler' } };
  const admitted = admitFargatePod(pod, 'serverless', { cpu: 0, memory: 0 });
  assert.equal(admitted.spec?.schedulerName, FARGATE_SCHEDULER);
  assert.deepEqual(admitted.metadata?.labels, { app: 'x', 'eks.amazonaws.com/fargate-profile': 'serverless' });
  assert.deepEqual(admitted.metadata?.annotations, { a: 'b', CapacityProvisioned: '0.25vCPU 0.5GB' });
  assert.deepEqual(admitted.spec?.containers, pod.spec.containers);
  assert.equal(pod.spec.schedulerName, 'default-scheduler', 'the input is not changed');
});

test('a Fargate node is named by its pod\'s address, and the name gives the address back', () => {
  const name = fargateNodeName('10.0.1.23', 'us-east-1');
  assert.equal(name, 'fargate-ip-10-0-1-23.us-east-1.compute.internal');
  assert.equal(ipOfFargateNode(name, 'us-east-1'), '10.0.1.23');
  assert.equal(ipOfFargateNode('i-0abc', 'us-east-1'), undefined);
  assert.equal(ipOfFargateNode(name, 'eu-west-1'), undefined);
});
