/**
 * The ECS Task as a view of the workload model: for tasks generated at random (fast-check,
 * seeded) and taken through random lifecycles (agent reports, StopTask, the service
 * scheduler's stop, a Spot interruption, the control plane's own stop, protection), the
 * view of the split record (spec + status) equals today's view of the record at every step.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { newTask, stoppedByControlPlane, taskView, type TaskRecord } from './task.ts';
import { applyReport, type TaskReport } from './task-report.ts';
import { interruptTask } from './spot-interruption.ts';
import { CONTAINER_STATUSES, TASK_STATUSES, type StopCode } from './task-lifecycle.ts';
import type { TaskDefinitionRecord, ContainerDefinition } from './task-definition.ts';
import { definitionFactsOf, ecsTaskView, recordOf, specOf, statusOf, writePart, type WrittenPart } from './task-model.ts';
import { applyStatusReport } from '../workload/apply-report.ts';

const RUNS = 300;
const SEED = Number(process.env.BERTH_PROPERTY_SEED ?? 1717);
const scope = { account: '123456789012', region: 'us-east-1' };
const HEX = '0123456789abcdef';
const id = fc.array(fc.constantFrom(...HEX), { minLength: 32, maxLength: 32 }).map((a) => a.join(''));
const maybe = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });

const container = (name: string): fc.Arbitrary<ContainerDefinition> => fc.record({
  cpu: maybe(fc.integer({ min: 0, max: 2048 })),
  memory: maybe(fc.integer({ min: 6, max: 4096 })),
  memoryReservation: maybe(fc.integer({ min: 6, max: 2048 })),
  essential: maybe(fc.boolean()),
  ports: fc.array(fc.record({ containerPort: fc.integer({ min: 1, max: 65535 }), hostPort: maybe(fc.integer({ min: 1, max: 65535 })), protocol: fc.constantFrom('tcp', 'udp') }), { maxLength: 2 }),
  health: fc.boolean(),
  env: fc.array(fc.record({ name: fc.constantFrom('A', 'B', 'C'), value: fc.string({ maxLength: 4 }) }), { maxLength: 2 }),
}).map((c) => ({
  name, image: `registry.local/${name}:1`, cpu: c.cpu ?? 0,
  ...(c.memory !== undefined && { memory: c.memory }), ...(c.memoryReservation !== undefined && { memoryReservation: c.memoryReservation }),
  essential: c.essential ?? true, portMappings: c.ports, environment: c.env, mountPoints: [], volumesFrom: [],
  ...(c.health && { healthCheck: { command: ['CMD-SHELL', 'true'], interval: 30, timeout: 5, retries: 3 } }),
}));

const definition: fc.Arbitrary<TaskDefinitionRecord> = fc.record({
  containers: fc.integer({ min: 1, max: 3 }).chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => container(`c${i}`)))),
  networkMode: maybe(fc.constantFrom('bridge' as const, 'host' as const, 'awsvpc' as const, 'none' as const)),
  cpu: maybe(fc.constantFrom('256', '1024')),
  memory: maybe(fc.constantFrom('512', '2048')),
  revision: fc.integer({ min: 1, max: 9 }),
}).map((d) => ({
  taskDefinitionArn: `arn:aws:ecs:us-east-1:123456789012:task-definition/fam:${d.revision}`, family: 'fam', revision: d.revision, status: 'ACTIVE',
  containerDefinitions: d.containers, volumes: [], placementConstraints: [], requiresAttributes: [], compatibilities: ['EC2'],
  ...(d.networkMode !== undefined && { networkMode: d.networkMode }), ...(d.cpu !== undefined && { cpu: d.cpu }), ...(d.memory !== undefined && { memory: d.memory }),
  registeredAt: 1, registeredBy: 'me', tags: [],
}));

const launch = fc.record({
  id, instance: maybe(id), az: maybe(fc.constant('us-east-1a')), arch: maybe(fc.constantFrom('x86_64', 'arm64')),
  provider: maybe(fc.constant('cp')), startedBy: maybe(fc.constant('ecs-svc/123')), group: maybe(fc.constant('service:web')),
  tags: fc.array(fc.record({ key: fc.constantFrom('k', 'l'), value: fc.string({ maxLength: 3 }) }), { maxLength: 2 }),
  launchType: fc.constantFrom('EC2' as const, 'FARGATE' as const, 'EXTERNAL' as const), exec: fc.boolean(),
  cpuOverride: maybe(fc.constantFrom('512', '2048')), envOverride: fc.boolean(),
  attachment: fc.boolean(), fargateFields: fc.boolean(),
});

/** One thing that can happen to a task. */
const step = fc.oneof(
  fc.record({
    kind: fc.constant('report' as const), status: fc.constantFrom(...TASK_STATUSES),
    containers: fc.array(fc.record({ pick: fc.nat(), status: fc.constantFrom(...CONTAINER_STATUSES), exitCode: maybe(fc.integer({ min: 0, max: 255 })), runtimeId: maybe(fc.constant('rt')), health: maybe(fc.constantFrom('HEALTHY' as const, 'UNHEALTHY' as const, 'UNKNOWN' as const)), bound: fc.boolean() }), { maxLength: 3 }),
    stopCode: maybe(fc.constantFrom<StopCode>('EssentialContainerExited', 'TaskFailedToStart')), pull: fc.boolean(), isolation: maybe(fc.constantFrom('gvisor' as const, 'container' as const)),
    attach: fc.boolean(), health: maybe(fc.constantFrom('HEALTHY' as const, 'UNHEALTHY' as const)),
  }),
  fc.record({ kind: fc.constantFrom('stopTask' as const, 'schedulerStop' as const, 'spot' as const, 'controlPlane' as const, 'protect' as const, 'unprotect' as const) }),
);

const json = (v: unknown): unknown => JSON.parse(JSON.stringify(v));
type Of<A> = A extends fc.Arbitrary<infer T> ? T : never;

function reportOf(t: TaskRecord, s: Extract<Of<typeof step>, { kind: 'report' }>, now: number): TaskReport {
  return {
      taskArn: t.taskArn, status: s.status,
      containers: s.containers.map((c) => ({
        name: t.containers[c.pick % t.containers.length]!.name, status: c.status,
        ...(c.exitCode !== undefined && { exitCode: c.exitCode }), ...(c.runtimeId !== undefined && { runtimeId: c.runtimeId }),
        ...(c.health !== undefined && { healthStatus: c.health }),
        ...(c.bound && { networkBindings: [{ bindIP: '0.0.0.0', containerPort: 80, hostPort: 32768, protocol: 'tcp' as const }], networkInterfaces: [] }),
      })),
      ...(s.stopCode !== undefined && { stopCode: s.stopCode, stoppedReason: `because ${s.stopCode}` }),
      ...(s.pull && { pullStartedAt: now - 1, pullStoppedAt: now }),
      ...(s.isolation !== undefined && { isolation: s.isolation }),
      ...(s.health !== undefined && { healthStatus: s.health }),
      ...(s.attach && { attachments: [{ id: 'eni-attach', type: 'ElasticNetworkInterface', status: 'ATTACHED', details: [{ name: 'privateIPv4Address', value: '10.0.0.5' }] }] }),
    };
}

function apply(t: TaskRecord, s: Of<typeof step>, now: number): TaskRecord | undefined {
  switch (s.kind) {
    case 'report':
      return applyReport(t, reportOf(t, s, now), now);
    case 'stopTask': // StopTask (src/api/ecs/tasks.ts)
      return t.desiredStatus === 'STOPPED' ? undefined : { ...t, desiredStatus: 'STOPPED', stopCode: t.stopCode ?? 'UserInitiated', stoppedReason: t.stoppedReason ?? 'Task stopped by user', version: t.version + 1 };
    case 'schedulerStop': // the service scheduler (src/controllers/service/actions.ts)
      return t.desiredStatus !== 'RUNNING' ? undefined : { ...t, desiredStatus: 'STOPPED', stoppedReason: 'scaling in', stopCode: 'ServiceSchedulerInitiated', version: t.version + 1 };
    case 'spot':
      return interruptTask(t);
    case 'controlPlane':
      return t.lastStatus === 'STOPPED' ? undefined : stoppedByControlPlane(t, now, { stopCode: 'TaskFailedToStart', stoppedReason: 'host lost' });
    case 'protect':
      return { ...t, protectedUntil: now + 600 };
    case 'unprotect': {
      const { protectedUntil: _p, ...rest } = t;
      return rest;
    }
  }
}

function newRecord(td: TaskDefinitionRecord, l: Of<typeof launch>): TaskRecord {
  const t = newTask({
    scope, clusterName: 'c', id: l.id, containerIds: td.containerDefinitions.map((_, i) => `${l.id.slice(0, 30)}${i}0`), taskDefinition: td,
    overrides: {
      ...(l.cpuOverride !== undefined && { cpu: l.cpuOverride }),
      ...(l.envOverride && { containerOverrides: [{ name: 'c0', environment: [{ name: 'A', value: 'over' }], command: ['sh', '-c', 'true'] }] }),
    },
    ...(l.instance !== undefined && { containerInstanceArn: `arn:aws:ecs:us-east-1:123456789012:container-instance/c/${l.instance}` }),
    ...(l.az !== undefined && { availabilityZone: l.az }), ...(l.arch !== undefined && { cpuArchitecture: l.arch }),
    ...(l.provider !== undefined && { capacityProviderName: l.provider }), ...(l.startedBy !== undefined && { startedBy: l.startedBy }),
    ...(l.group !== undefined && { group: l.group }), tags: l.tags, launchType: l.launchType, enableExecuteCommand: l.exec,
    attachments: l.attachment ? [{ id: 'eni-attach', type: 'ElasticNetworkInterface', status: 'PRECREATED', details: [] }] : [], nowSeconds: 1000,
  });
  return l.fargateFields ? { ...t, platformVersion: '1.4.0', ephemeralStorage: { sizeInGiB: 20 } } : t;
}

test(`the ECS view of spec + status equals today's view of the record (${RUNS} random lifecycles)`, () => {
  fc.assert(fc.property(definition, launch, fc.array(step, { maxLength: 12 }), (td, l, steps) => {
    let t = newRecord(td, l);
    let now = 1000;
    const check = () => {
      const spec = specOf(t, td);
      const status = statusOf(t);
      // Stored as JSON: the split must survive it.
      const stored = [JSON.parse(JSON.stringify(spec)), JSON.parse(JSON.stringify(status))] as const;
      // Compared as the API sends them: JSON.
      for (const tags of [false, true]) assert.deepStrictEqual(json(ecsTaskView(stored[0], stored[1], tags)), json(taskView(t, tags)));
      // A task whose definition is gone splits from what it holds itself, to the same view.
      assert.deepStrictEqual(json(ecsTaskView(specOf(t, definitionFactsOf(t)), status, true)), json(taskView(t, true)));
      assert.equal(recordOf(spec, status).version, t.version);
    };
    check();
    for (const s of steps) {
      now += 7;
      t = apply(t, s, now) ?? t;
      check();
    }
  }), { numRuns: RUNS, seed: SEED });
});

test('a stop the control plane asked for is the spec\'s; one the agent reported is the status\'s', () => {
  const td = fc.sample(definition, { numRuns: 1, seed: 3 })[0]!;
  const l = fc.sample(launch, { numRuns: 1, seed: 3 })[0]!;
  const running = applyReport(newRecord(td, l), { taskArn: 'x', status: 'RUNNING', containers: [] }, 1100)!;
  const told = { ...running, desiredStatus: 'STOPPED' as const, stopCode: 'UserInitiated' as const, stoppedReason: 'Task stopped by user', version: running.version + 1 };
  assert.deepEqual(specOf(told, td).stop, { code: 'UserInitiated', reason: 'Task stopped by user' });
  assert.equal(statusOf(told).stopCode, undefined);
  const exited = applyReport(running, { taskArn: 'x', status: 'STOPPING', stopCode: 'EssentialContainerExited', stoppedReason: 'Essential container in task exited', containers: [] }, 1200)!;
  assert.equal(specOf(exited, td).stop, undefined);
  assert.equal(statusOf(exited).stopCode, 'EssentialContainerExited');
  assert.equal(recordOf(specOf(exited, td), statusOf(exited)).desiredStatus, 'STOPPED');
});

test('joined, the control plane\'s stop wins over its agent\'s, and a Spot warning becomes SpotInterruption once STOPPED', () => {
  const td = fc.sample(definition, { numRuns: 1, seed: 5 })[0]!;
  const l = fc.sample(launch, { numRuns: 1, seed: 5 })[0]!;
  const t = newRecord(td, l);
  const spec = { ...specOf(t, td), desiredStatus: 'STOPPED' as const, stop: { code: 'TerminationNotice' as const, reason: 'spot' } };
  const stopping = { ...statusOf(t), lastStatus: 'STOPPING' as const, stopCode: 'EssentialContainerExited' as const, stoppedReason: 'exited' };
  assert.deepEqual([recordOf(spec, stopping).stopCode, recordOf(spec, stopping).stoppedReason], ['TerminationNotice', 'spot']);
  assert.equal(recordOf(spec, { ...stopping, lastStatus: 'STOPPED' }).stopCode, 'SpotInterruption');
  // The agent began stopping it on its own: desired STOPPED though the spec still says RUNNING.
  assert.equal(recordOf(specOf(t, td), stopping).desiredStatus, 'STOPPED');
  assert.equal(recordOf({ ...spec, generation: 3 }, { ...stopping, changes: 4 }).version, 7);
});

test(`an agent's report applied to the status alone gives the record applyReport gives (${RUNS} random lifecycles)`, () => {
  fc.assert(fc.property(definition, launch, fc.array(step, { maxLength: 12 }), (td, l, steps) => {
    let t = newRecord(td, l);
    let now = 1000;
    for (const s of steps) {
      now += 7;
      if (s.kind === 'report') {
        const spec = specOf(t, td);
        const r = reportOf(t, s, now);
        const whole = applyReport(t, r, now);
        const status = applyStatusReport(spec, statusOf(t), r, now);
        assert.equal(status === undefined, whole === undefined, 'both change the task, or neither');
        if (whole && status) assert.deepStrictEqual(json(taskView(recordOf(spec, status), true)), json(taskView(whole, true)));
      }
      t = apply(t, s, now) ?? t;
    }
  }), { numRuns: RUNS, seed: SEED });
});

/** The half each writer writes (task-store.ts changeTask callers). */
const PART: Readonly<Record<Of<typeof step>['kind'], WrittenPart>> = {
  report: 'status', stopTask: 'spec', schedulerStop: 'spec', spot: 'spec', protect: 'spec', unprotect: 'spec', controlPlane: 'both',
};

test(`every writer's change of the join kept in the half it writes gives the view of the record written whole (${RUNS} random lifecycles)`, () => {
  fc.assert(fc.property(definition, launch, fc.array(step, { maxLength: 12 }), (td, l, steps) => {
    let t = newRecord(td, l);
    let split = { spec: specOf(t, td), status: statusOf(t) };
    let now = 1000;
    for (const s of steps) {
      now += 7;
      const joined = recordOf(split.spec, split.status);
      const next = apply(joined, s, now);
      if (next) split = JSON.parse(JSON.stringify(writePart(split.spec, split.status, PART[s.kind], joined, next))) as typeof split;
      t = apply(t, s, now) ?? t;
      for (const tags of [false, true]) assert.deepStrictEqual(json(ecsTaskView(split.spec, split.status, tags)), json(taskView(t, tags)));
      assert.equal(recordOf(split.spec, split.status).version, t.version);
    }
  }), { numRuns: RUNS, seed: SEED });
});
