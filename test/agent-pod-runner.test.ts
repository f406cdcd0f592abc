// What a pod needs of the agent, through its own task runner (the pods API comes later:
// the test hands the runner a TaskSpec of the kind the Pod mapping makes, every container
// non-essential): CPU limits as CFS quotas on the containers' cgroups (and on a gVisor
// sandbox's); a container restarted in place after its back-off, with its restart count,
// last termination and CrashLoopBackOff reported; the task ending once all its containers
// exited and none will restart; startup, readiness and liveness probes from the agent into
// the task's network, a liveness failure killing the container and its policy restarting it.
// Host-touching: run under `flock /tmp/berth-host.lock` (real namespaces, nft, containers).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ContainerSpec, ProbeSpec, TaskSpec } from '../src/core/workload/spec.ts';
import type { StatusReport } from '../src/core/workload/report.ts';
import type { ImageStore } from '../src/images/image-store.ts';
import type { LocalImage } from '../src/images/local-image.ts';
import { findExecutable } from '../src/lib/executables.ts';
import { findRuntime } from '../src/runtime/container/index.ts';
import { CGROUP_ROOT } from '../src/runtime/container/cgroups.ts';
import { cgroupLayout } from '../src/runtime/container/task-cgroup.ts';
import { useRuntimeFixture } from '../src/runtime/container/testing/fixtures.ts';
import { createNetworkManager, type NetworkManager } from '../src/runtime/network/index.ts';
import { GvisorBackend } from '../src/runtime/sandbox/gvisor.ts';
import type { S3ObjectReader } from '../src/agent/env-files.ts';
import type { Assignment } from '../src/agent/protocol.ts';
import { TaskRunner, type RunnerDeps } from '../src/agent/task-runner.ts';
import { ALL_EXITED_REASON } from '../src/agent/slot-restart.ts';
import { CRASH_LOOP_BACK_OFF, RESTART_BACKOFF_INITIAL_SECONDS } from '../src/agent/restart-policy.ts';
import { cleanupHost } from './support/host-cleanup.ts';
import { until } from './support/until.ts';

const isRoot = process.getuid?.() === 0;
const runscBinary = findExecutable('runsc');
/** A task's start (or a restart after its 10 s back-off) takes a few seconds under load; this bounds a hang. */
const WAIT_MS = 60_000;
const ID = (n: number) => `${(process.pid % 100000).toString(16).padStart(5, '0')}${n.toString(16).padStart(3, '0')}`.padEnd(32, 'a');

const fixture = useRuntimeFixture('berth-test-pod', isRoot);
const stateDir = mkdtempSync(join(tmpdir(), 'berth-pod-net-'));

/** The CFS quota of a cgroup as "quota period" (cgroup v2's cpu.max; v1's two files). */
function cpuMax(cgroup: string): string {
  if (cgroupLayout() === 'v2') return readFileSync(join(CGROUP_ROOT, cgroup, 'cpu.max'), 'utf8').trim();
  const read = (f: string) => readFileSync(join(CGROUP_ROOT, 'cpu', cgroup, f), 'utf8').trim();
  const quota = read('cpu.cfs_quota_us');
  return `${quota === '-1' ? 'max' : quota} ${read('cpu.cfs_period_us')}`;
}

describe('the agent runs what a pod needs', { skip: !isRoot && 'tasks need root' }, () => {
  let network: NetworkManager;
  let deps: RunnerDeps;
  const reports: StatusReport[] = [];
  const runners: TaskRunner[] = [];

  before(async () => {
    await cleanupHost();
    network = await createNetworkManager({ stateDir });
    const images = {
      get: () => undefined,
      pull: async (reference: string) => {
        const { config } = await fixture().rootfs('busybox');
        return { references: [reference], manifestDigest: 'sha256:0', configDigest: 'sha256:0', os: 'linux', architecture: 'amd64', config: { config }, layers: [] } as unknown as LocalImage;
      },
      mountRootfs: async (_image: LocalImage, containerDir: string) => {
        const { rootfs } = await fixture().rootfs('busybox', containerDir.replace(/[^a-zA-Z0-9]/g, '_'));
        return { rootfs, upper: rootfs, unmount: async () => {} };
      },
      unmountRootfs: async () => {},
    } as unknown as ImageStore;
    deps = {
      images, network, runtime: await findRuntime({ runDir: fixture().runDir }), tasksDir: join(fixture().work, 'tasks'),
      credentialsFor: async () => undefined, report: (r) => reports.push(structuredClone(r)), log: () => {}, now: Date.now,
      envFiles: {} as S3ObjectReader,
      ...(runscBinary && {
        fargateSandbox: new GvisorBackend({
          runsc: { binary: runscBinary, root: join(fixture().runDir, 'runsc'), platform: 'systrap', unshare: findExecutable('unshare')! },
          runDir: fixture().runDir, pauseBinary: '/usr/bin/catatonit',
        }),
      }),
    };
  });

  after(async () => {
    for (const r of runners) await r.stop().catch((e: unknown) => console.error(`stop: ${String(e)}`));
    await network?.cleanupAll();
    await network?.close();
    rmSync(stateDir, { recursive: true, force: true });
    await cleanupHost();
  });

  const container = (name: string, script: string, o: Partial<ContainerSpec> = {}): ContainerSpec => ({
    name, image: 'busybox', essential: false, command: ['sh', '-c', script], env: [], ports: [], resources: { cpu: 0 }, mounts: [], stopTimeout: 1, ...o,
  });
  function assignment(n: number, containers: ContainerSpec[], o: Partial<TaskSpec> = {}): Assignment {
    const id = ID(n);
    return {
      spec: {
        id, generation: 1, desiredStatus: 'RUNNING', createdAt: 1, launchType: 'EC2', placement: {},
        network: { mode: 'awsvpc', reservedPorts: [] }, resources: { reserved: { cpu: 256, memory: 512 } },
        volumes: [{ name: 'data', scratch: {} }], containers, execEnabled: false,
        ecs: {
          taskArn: `arn:aws:ecs:us-east-1:000000000000:task/c/${id}`, clusterArn: 'arn:aws:ecs:us-east-1:000000000000:cluster/c',
          taskDefinitionArn: 'arn:aws:ecs:us-east-1:000000000000:task-definition/pod:1', family: 'pod', revision: 1, group: 'family:pod',
          containerArns: containers.map((c) => `arn:aws:ecs:us-east-1:000000000000:container/c/${id}/${c.name}`), overrides: {}, tags: [],
        } as unknown as TaskSpec['ecs'],
        ...o,
      },
      lastStatus: 'PROVISIONING',
    };
  }
  const mine = (a: Assignment) => reports.filter((r) => r.taskArn === a.spec.ecs.taskArn);
  const last = (a: Assignment) => mine(a).at(-1);
  const of = (r: StatusReport | undefined, name: string) => r?.containers.find((c) => c.name === name);
  const when = (what: string, ok: () => boolean, ms = WAIT_MS) => until(what, async () => (ok() ? true : undefined), ms);
  async function launch(a: Assignment): Promise<TaskRunner> {
    const runner = new TaskRunner(a, deps);
    runners.push(runner);
    await runner.launch();
    return runner;
  }
  const logOf = (a: Assignment, name: string) => {
    const path = join(deps.tasksDir, a.spec.id, 'logs', `${name}.log`);
    return existsSync(path) ? readFileSync(path, 'utf8') : '';
  };

  test('a CPU limit is the container\'s CFS quota (units/1024 CPUs over 100 ms); a container without one has none', async () => {
    const a = assignment(1, [
      container('limited', 'exec sleep 3600', { resources: { cpu: 256, cpuLimit: 512 } }),
      container('free', 'exec sleep 3600'),
    ]);
    const runner = await launch(a);
    await when('RUNNING', () => last(a)?.status === 'RUNNING');
    assert.equal(cpuMax(`/berth/${a.spec.id}/limited`), '50000 100000');
    assert.equal(cpuMax(`/berth/${a.spec.id}/free`), 'max 100000');
    await runner.stop('UserInitiated', 'done');
  });

  test('restartPolicy OnFailure: restarted in place after its back-off (same volume, same address), reported; exit 0 ends it, and the task with it', async () => {
    // The first run fails; the second, finding its marker on the volume, succeeds.
    const script = 'ip -4 -o addr show eth0 | awk \'{print "addr", $4}\'; if [ -f /data/ran ]; then echo second; exit 0; fi; touch /data/ran; sleep 1; exit 3';
    const a = assignment(2, [
      container('job', script, { restart: { policy: 'OnFailure' }, mounts: [{ volume: 'data', path: '/data', readOnly: false }] }),
    ]);
    await launch(a);
    await when('the back-off', () => of(last(a), 'job')?.waiting?.reason === CRASH_LOOP_BACK_OFF);
    const waiting = of(last(a), 'job')!;
    const backingOff = Date.now();
    assert.equal(waiting.status, 'RUNNING', 'a container that will start again is not STOPPED');
    assert.equal(waiting.restartCount, 0);
    assert.equal(waiting.exitCode, undefined);
    assert.deepEqual([waiting.lastTermination?.exitCode, waiting.lastTermination?.reason], [3, 'Error']);
    assert.ok(waiting.lastTermination!.finishedAt! - waiting.lastTermination!.startedAt! >= 1);
    assert.equal(last(a)?.status, 'RUNNING');

    await when('STOPPED', () => last(a)?.status === 'STOPPED');
    const restartedAt = mine(a).find((r) => of(r, 'job')?.restartCount === 1);
    assert.ok(restartedAt, 'restartCount 1 reported');
    const waited = (Date.now() - backingOff) / 1000;
    assert.ok(waited >= RESTART_BACKOFF_INITIAL_SECONDS - 1.5, `it waited its back-off (${waited.toFixed(1)} s)`);
    const job = of(last(a), 'job')!;
    assert.deepEqual([job.status, job.exitCode, job.restartCount], ['STOPPED', 0, 1]);
    assert.equal(job.waiting, null, 'no longer waiting');
    assert.equal(last(a)?.stoppedReason, ALL_EXITED_REASON);
    const log = logOf(a, 'job');
    assert.match(log, /second/, 'the second run found the first run\'s file on the volume');
    const addrs = [...log.matchAll(/addr (\S+)/g)].map((m) => m[1]);
    assert.equal(addrs.length, 2, log);
    assert.equal(addrs[0], addrs[1], 'the same network namespace');
  });

  test('a task of non-essential containers ends when the last one exits; Never does not restart', async () => {
    const a = assignment(3, [
      container('quick', 'exit 0', { restart: { policy: 'Never' } }),
      container('slower', 'sleep 2; exit 1', { restart: { policy: 'Never' } }),
    ]);
    await launch(a);
    await when('STOPPED', () => last(a)?.status === 'STOPPED');
    const stopped = last(a)!;
    assert.deepEqual(stopped.containers.map((c) => [c.name, c.exitCode, c.restartCount]), [['quick', 0, 0], ['slower', 1, 0]]);
    assert.equal(stopped.stoppedReason, ALL_EXITED_REASON);
    assert.ok(mine(a).some((r) => r.status === 'RUNNING' && of(r, 'quick')?.status === 'STOPPED'), 'the task ran on after the first exited');
  });

  test('probes: a startup probe holds readiness back; readiness follows the server; a liveness failure kills the container and Always restarts it', async () => {
    const probe = (handler: ProbeSpec['handler'], o: Partial<ProbeSpec> = {}): ProbeSpec => ({
      handler, initialDelaySeconds: 0, periodSeconds: 1, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 3, ...o,
    });
    const web = container('web', 'mkdir -p /www; httpd -f -p 8080 -h /www & sleep 2; touch /tmp/started; sleep 2; echo ok > /www/ready; sleep 4; rm /www/ready; wait', {
      probes: {
        startup: probe({ exec: { command: ['test', '-f', '/tmp/started'] } }, { failureThreshold: 30 }),
        readiness: probe({ httpGet: { path: '/ready', port: 8080, scheme: 'HTTP', headers: [] } }, { failureThreshold: 1 }),
        liveness: probe({ tcpSocket: { port: 8080 } }),
      },
      restart: { policy: 'Always' },
    });
    const doomed = container('doomed', 'echo run; exec sleep 3600', {
      probes: { liveness: probe({ exec: { command: ['false'] } }, { failureThreshold: 2, terminationGracePeriodSeconds: 1 }) },
      restart: { policy: 'Always' },
    });
    const a = assignment(4, [web, doomed]);
    const runner = await launch(a);
    await when('web ready', () => of(last(a), 'web')?.ready === true);
    const webSeen = mine(a).map((r) => of(r, 'web')!).filter((c) => c.status === 'RUNNING');
    const firstStarted = webSeen.findIndex((c) => c.started === true);
    assert.ok(firstStarted > 0, 'it ran a while before its startup probe passed');
    assert.ok(webSeen.slice(0, firstStarted).every((c) => c.ready === false), 'not ready before started');
    await when('web unready once /ready is gone', () => of(last(a), 'web')?.ready === false && of(last(a), 'web')?.started === true);
    assert.equal(of(last(a), 'web')?.restartCount, 0, 'readiness never kills');

    await when('doomed killed and restarted', () => (of(last(a), 'doomed')?.restartCount ?? 0) >= 1);
    const d = of(last(a), 'doomed')!;
    // sleep as PID 1 ignores SIGTERM: SIGKILL after the probe's 1 s grace period.
    assert.equal(d.lastTermination?.exitCode, 137);
    assert.equal(d.lastTermination?.reason, 'Error');
    assert.equal((logOf(a, 'doomed').match(/run/g) ?? []).length >= 2, true, 'it ran twice');
    assert.equal(last(a)?.status, 'RUNNING');
    await runner.stop('UserInitiated', 'done');
    assert.equal(last(a)?.status, 'STOPPED');
  });

  test('a gVisor sandbox\'s quota is its containers\' summed CPU limits when lower than the task size', { skip: !runscBinary && 'runsc is not installed' }, async () => {
    const a = assignment(5, [
      container('a', 'exec sleep 3600', { resources: { cpu: 128, cpuLimit: 256 } }),
      container('b', 'exec sleep 3600', { resources: { cpu: 128, cpuLimit: 128 } }),
    ], { launchType: 'FARGATE', resources: { reserved: { cpu: 1024, memory: 512 } } });
    const runner = await launch(a);
    await when('RUNNING', () => last(a)?.status === 'RUNNING');
    assert.equal(last(a)?.isolation, 'gvisor');
    await when('the quota once a container runs', () => cpuMax(`/berth/${a.spec.id}`) !== 'max 100000', 10_000);
    assert.equal(cpuMax(`/berth/${a.spec.id}`), '37500 100000', '384 units of 1024');
    await runner.stop('UserInitiated', 'done');
  });

  test('in a gVisor sandbox, a failed container is restarted in place: the same sandbox, the same volume', { skip: !runscBinary && 'runsc is not installed' }, async () => {
    const a = assignment(6, [
      container('job', 'if [ -f /data/ran ]; then echo second; exit 0; fi; touch /data/ran; sleep 1; exit 3', { restart: { policy: 'OnFailure' }, mounts: [{ volume: 'data', path: '/data', readOnly: false }] }),
      container('side', 'exec sleep 3600'),
    ], { launchType: 'FARGATE' });
    const runner = await launch(a);
    await when('job restarted and done', () => of(last(a), 'job')?.restartCount === 1 && of(last(a), 'job')?.status === 'STOPPED');
    assert.equal(last(a)?.isolation, 'gvisor');
    assert.deepEqual([of(last(a), 'job')?.exitCode, of(last(a), 'job')?.lastTermination?.exitCode], [0, 3], JSON.stringify(of(last(a), 'job')));
    assert.match(logOf(a, 'job'), /second/);
    assert.equal(last(a)?.status, 'RUNNING', 'side runs on');
    await runner.stop('UserInitiated', 'done');
  });

  test('an agent restarted meanwhile counts restarts on from where the last one was (restarts.json), and restarts on', { skip: !runscBinary && 'runsc is not installed' }, async () => {
    const a = assignment(7, [container('crash', 'echo run; sleep 1; exit 1', { restart: { policy: 'Always' } }), container('side', 'exec sleep 3600')], { launchType: 'FARGATE' });
    const runner = await launch(a);
    await when('the first restart', () => of(last(a), 'crash')?.restartCount === 1 && of(last(a), 'crash')?.waiting === null);
    // The agent goes away (its runner lets go) and a new one adopts the task from its files.
    runner.detach();
    const before = reports.length;
    const again = new TaskRunner(a, deps);
    runners.push(again);
    await again.adopt(new Map());
    const fresh = () => reports.slice(before).filter((r) => r.taskArn === a.spec.ecs.taskArn);
    assert.equal(of(fresh().at(-1), 'crash')?.restartCount, 1, 'the count is the last agent\'s');
    // Its next back-off is 20 s (the second), then it runs a third time.
    await when('the second restart, by the new agent', () => of(fresh().at(-1), 'crash')?.restartCount === 2);
    assert.equal(of(fresh().at(-1), 'crash')?.lastTermination?.exitCode, 1);
    await again.stop('UserInitiated', 'done');
  });
});
