// A FARGATE task through the agent's own task runner (before the Fargate pool lands, the
// test hands the runner the assignment directly): awsvpc networking from the network
// manager on a simulated host, both containers in one gVisor sandbox, isolation reported
// as gvisor, the task IP answering from the host, an agent restart that adopts the running
// sandbox, stop, and a task killed past its memory: OutOfMemoryError, 137.
// Run under `flock /tmp/berth-host.lock`.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TaskRecord } from '../src/core/ecs/task.ts';
import { specOf } from '../src/core/ecs/task-model.ts';
import type { TaskReport } from '../src/core/ecs/task-report.ts';
import type { ContainerDefinition } from '../src/core/ecs/task-definition.ts';
import type { ImageStore } from '../src/images/image-store.ts';
import type { LocalImage } from '../src/images/local-image.ts';
import { findExecutable } from '../src/lib/executables.ts';
import { findRuntime } from '../src/runtime/container/index.ts';
import { hierarchies } from '../src/runtime/container/cgroups.ts';
import { useRuntimeFixture } from '../src/runtime/container/testing/fixtures.ts';
import { createNetworkManager, type NetworkManager } from '../src/runtime/network/index.ts';
import { SimHosts, tearDownNetworkTest, exec } from '../src/runtime/network/testing/sim-host.ts';
import { GvisorBackend } from '../src/runtime/sandbox/gvisor.ts';
import type { S3ObjectReader } from '../src/agent/env-files.ts';
import type { Assignment } from '../src/agent/protocol.ts';
import { TaskRunner, type RunnerDeps } from '../src/agent/task-runner.ts';
import { OOM_REASON } from '../src/agent/task-failure.ts';
import { until } from './support/until.ts';

const isRoot = process.getuid?.() === 0;
const runscBinary = findExecutable('runsc');
const skip = !isRoot ? 'tasks need root' : !runscBinary ? 'runsc is not installed (scripts/backports-packages.txt)' : false;
const PREFIX = `bf${process.pid % 100000}-`;
const VPC_SUBNET = '10.232.48.0/24';
/** A task start here takes a few seconds under load; this bounds a hang. */
const STATUS_WAIT_MS = 60_000;

const fixture = useRuntimeFixture('berth-test-fgr', isRoot && !!runscBinary);
const sim = new SimHosts(PREFIX);
const stateDir = mkdtempSync(join(tmpdir(), 'berth-fgr-net-'));

describe('a FARGATE task through the task runner', { skip }, () => {
  let network: NetworkManager;
  let deps: RunnerDeps;
  const reports: TaskReport[] = [];
  const runners: TaskRunner[] = [];

  before(async () => {
    await sim.create([VPC_SUBNET]);
    network = await createNetworkManager({
      stateDir, hostNetns: sim.host, netnsPrefix: `${PREFIX}t-`, bridge: { subnet: '10.232.40.0/24' },
      vpc: { subnet: VPC_SUBNET, region: 'us-east-1' }, portsInUse: () => new Set(),
    });
    // Images from the test images, unpacked by the fixture: one root filesystem per container.
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
      fargateSandbox: new GvisorBackend({
        runsc: { binary: runscBinary!, root: join(fixture().runDir, 'runsc'), platform: 'systrap', unshare: findExecutable('unshare')! },
        runDir: fixture().runDir, pauseBinary: '/usr/bin/catatonit',
      }),
    };
  });

  after(async () => {
    for (const r of runners) await r.stop().catch((e: unknown) => console.error(`stop: ${String(e)}`));
    await tearDownNetworkTest(network, sim, stateDir, PREFIX);
    // The fixture checks its own cgroups and mounts; the runner's are under /berth, and the sandboxes' processes:
    const ids = [`fg${process.pid}a`, `fg${process.pid}b`];
    assert.deepEqual(hierarchies().flatMap((h) => ids.map((id) => join(h, 'berth', id))).filter((d) => existsSync(d)), [], 'no task cgroup left');
    const left = execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' }).split('\n').filter((l) => l.includes(join(fixture().runDir, 'runsc')));
    assert.deepEqual(left, [], 'no runsc process left');
  });

  function assignment(id: string, memory: string, containers: ContainerDefinition[]): Assignment {
    const task: TaskRecord = {
      taskArn: `arn:aws:ecs:us-east-1:000000000000:task/c/${id}`, clusterArn: 'arn:aws:ecs:us-east-1:000000000000:cluster/c',
      taskDefinitionArn: 'arn:aws:ecs:us-east-1:000000000000:task-definition/f:1', overrides: {}, lastStatus: 'PROVISIONING',
      desiredStatus: 'RUNNING', cpu: '512', memory, version: 1, createdAt: 1, group: 'family:f', launchType: 'FARGATE',
      attachments: [], healthStatus: 'UNKNOWN', tags: [], enableExecuteCommand: false, platformVersion: '1.4.0', ephemeralStorage: { sizeInGiB: 21 },
      containers: containers.map((c) => ({ containerArn: `x/${c.name}`, taskArn: 't', name: c.name!, image: c.image!, lastStatus: 'PENDING', networkBindings: [], networkInterfaces: [], healthStatus: 'UNKNOWN', cpu: '0' })),
    };
    return { spec: specOf(task, { family: 'f', revision: 1, networkMode: 'awsvpc', cpu: '512', memory, volumes: [], containerDefinitions: containers }), lastStatus: task.lastStatus };
  }

  const last = (arn: string) => reports.filter((r) => r.taskArn === arn).at(-1);
  const when = (what: string, ok: () => boolean) => until(what, async () => (ok() ? true : undefined), STATUS_WAIT_MS);
  const reached = (arn: string, status: string) => when(`${arn} ${status}`, () => last(arn)?.status === status);

  test('two containers in one sandbox; the task IP from the host; an agent restart adopts it; stop', async () => {
    const a = assignment(`fg${process.pid}a`, '256', [
      { name: 'web', image: 'busybox', essential: true, command: ['sh', '-c', 'mkdir -p /www && uname -r > /www/index.html && exec httpd -f -p 8080 -h /www'] },
      { name: 'client', image: 'busybox', essential: false, command: ['sh', '-c', 'sleep 1; printf "GET / HTTP/1.0\\r\\n\\r\\n" | nc 127.0.0.1 8080 | grep -q "200 OK"'] },
    ]);
    const runner = new TaskRunner(a, deps);
    runners.push(runner);
    await runner.launch();
    await reached(a.spec.ecs.taskArn, 'RUNNING');
    assert.equal(last(a.spec.ecs.taskArn)?.isolation, 'gvisor');
    await when('the client to finish', () => last(a.spec.ecs.taskArn)?.containers.find((c) => c.name === 'client')?.status === 'STOPPED');
    const clientLog = join(deps.tasksDir, a.spec.ecs.taskArn.split('/').pop()!, 'logs', 'client.log');
    assert.equal(last(a.spec.ecs.taskArn)?.containers.find((c) => c.name === 'client')?.exitCode, 0, `the client reached web on localhost: ${existsSync(clientLog) ? readFileSync(clientLog, 'utf8') : ''}`);

    const ip = last(a.spec.ecs.taskArn)!.attachments![0]!.details.find((d) => d.name === 'privateIPv4Address')!.value;
    const page = await exec('ip', ['netns', 'exec', sim.host, 'curl', '-sS', '-m', '5', `http://${ip}:8080/`]);
    assert.equal(page.code, 0, page.stderr);
    assert.ok(/^\d+\.\d+/.test(page.stdout.trim()) && page.stdout.trim() !== (await exec('uname', ['-r'])).stdout.trim(), `the sandbox's own kernel answers: ${page.stdout}`);

    // The agent goes away (its runner detaches) and a new one adopts the task from its files.
    runner.detach();
    const before = reports.length;
    const again = new TaskRunner(a, deps);
    runners.push(again);
    await again.adopt(new Map());
    const adopted = reports.slice(before).filter((r) => r.taskArn === a.spec.ecs.taskArn).at(-1);
    assert.equal(adopted?.status, 'RUNNING');
    assert.equal(adopted?.containers.find((c) => c.name === 'web')?.status, 'RUNNING', 'the sandbox outlived its agent');
    assert.equal((await exec('ip', ['netns', 'exec', sim.host, 'curl', '-sS', '-m', '5', `http://${ip}:8080/`])).code, 0);

    await again.stop('UserInitiated', 'Task stopped by user');
    assert.equal(last(a.spec.ecs.taskArn)?.status, 'STOPPED');
    assert.equal(last(a.spec.ecs.taskArn)?.containers.find((c) => c.name === 'web')?.exitCode, 143, 'httpd ends on SIGTERM');
    assert.equal(existsSync(join(deps.tasksDir, a.spec.ecs.taskArn.split('/').pop()!, 'sandbox')), false, 'the sandbox and its ephemeral disk are gone');
  });

  test('a task past its memory is stopped: OutOfMemoryError, exit 137', async () => {
    const a = assignment(`fg${process.pid}b`, '160', [
      { name: 'hog', image: 'busybox', essential: true, command: ['sh', '-c', 'sleep 1; dd if=/dev/zero of=/dev/null bs=400M count=1; sleep 30'] },
    ]);
    const runner = new TaskRunner(a, deps);
    runners.push(runner);
    await runner.launch();
    await reached(a.spec.ecs.taskArn, 'STOPPED');
    const hog = last(a.spec.ecs.taskArn)?.containers.find((c) => c.name === 'hog');
    assert.equal(hog?.exitCode, 137);
    assert.equal(hog?.reason, OOM_REASON);
    assert.equal(last(a.spec.ecs.taskArn)?.stopCode, 'EssentialContainerExited');
  });
});
