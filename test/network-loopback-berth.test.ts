// Touches the host: run under flock /tmp/berth-host.lock (bin/test runs host tests one at a time).
// The issue's exploit against Berth itself (CVE-2020-8558 class): `berth up` with its agent
// on this host, a busybox task run through the aws CLI in bridge and awsvpc mode, and in it
// the static raw-socket probe (test/fixtures/loopback-probe.c) sending a SYN for Berth's own
// API on 127.0.0.1 (and ::1) to the gateway's MAC, then, if answered, an unsigned
// CreateCluster request. No SYN-ACK may come back and no cluster may appear.
// test/network-loopback.test.ts covers both runtimes and br_netfilter on a simulated host.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { resolveConfig } from '../src/runtime/network/config.ts';
import { AWS_CLIS, aws } from './support/aws-cli.ts';
import { ROOT, startBerth, type BerthProcess } from './support/berth.ts';
import { cleanupHost } from './support/host-cleanup.ts';
import { buildLoopbackProbe } from './support/loopback-probe.ts';
import { run } from './support/run.ts';

const isRoot = process.getuid?.() === 0;
const PWNED = 'loopback-pwned';
/** A SYN-ACK comes back in well under a millisecond; a loaded 2-core machine gets 1 s. */
const PROBE_WAIT_MS = 1000;
/** The agent's default networks' gateways: a control listener sits on each. */
const defaults = resolveConfig({ stateDir: '/unused' });
const GATEWAYS = { bridge: defaults.bridge.gateway, awsvpc: defaults.vpc.gateway } as const;
/** The task starts and probes within a few seconds; allow 30 s on a loaded machine. */
const LOG_TRIES = 60;
const LOG_POLL_MS = 500;

let berth: BerthProcess;
let probeDir = '';
const control: Server[] = [];
let controlPort = 0;
const cli = AWS_CLIS[0];
const ecs = <T = Record<string, unknown>>(...args: string[]) => aws<T>(cli, berth.endpoint, ['ecs', ...args]);

/**
 * The task's script: learn the gateway and its MAC as any program in the task can (the ping
 * also makes the host learn the task's MAC), probe Berth's port on loopback with an
 * unsigned CreateCluster of `clusterName` as the payload, then a listener on the gateway's
 * address as the control.
 */
function script(port: number, clusterName: string): string {
  const body = JSON.stringify({ clusterName });
  const request = `POST / HTTP/1.1\\r\\nHost: 127.0.0.1\\r\\nX-Amz-Target: AmazonEC2ContainerServiceV20141113.CreateCluster\\r\\nContent-Type: application/x-amz-json-1.1\\r\\nContent-Length: ${body.length}\\r\\n\\r\\n${body}`;
  const probe = (family: 4 | 6, address: string, p: number) => `/probe/loopback-probe eth0 "$mac" ${family} ${address} ${p} ${PROBE_WAIT_MS} "$req" 2>&1`;
  return [
    `gw=$(ip route | awk '/^default/ {print $3}')`,
    'ping -c 1 -W 1 "$gw" >/dev/null',
    `mac=$(ip neigh show "$gw" | awk '{print $5}')`,
    `req=$(printf '${request.replace(/'/g, `'"'"'`)}')`,
    `echo "v4 $(${probe(4, '127.0.0.1', port)})"`,
    `echo "v6 $(${probe(6, '::1', port)})"`,
    `echo "control $(${probe(4, '"$gw"', controlPort)})"`,
    // Kept running for `berth logs`; PID 1 ignores an untrapped SIGTERM (stop-task would
    // wait out the kill timeout).
    "trap 'exit 0' TERM",
    'sleep 3600 & wait',
  ].join('\n');
}

before(async () => {
  if (!isRoot) return;
  await cleanupHost();
  probeDir = mkdtempSync(join(tmpdir(), 'berth-lo-probe-'));
  chmodSync(probeDir, 0o755);
  buildLoopbackProbe(probeDir);
  berth = await startBerth([], { agent: true });
  const samples = await run(process.execPath, [join(ROOT, 'src/cli/main.ts'), 'image', 'samples', '--endpoint', berth.endpoint]);
  assert.equal(samples.code, 0, samples.stderr);
});

after(async () => {
  if (!isRoot) return;
  for (const s of control) s.close();
  const arns = (await ecs<{ taskArns: string[] }>('list-tasks').catch(() => ({ taskArns: [] }))).taskArns;
  for (const t of arns) await ecs('stop-task', '--task', t).catch(() => undefined);
  if (arns.length) await ecs('wait', 'tasks-stopped', '--tasks', ...arns).catch(() => undefined);
  await berth?.stop();
  await cleanupHost();
  rmSync(probeDir, { recursive: true, force: true });
});

/** Listens on a gateway address (the bridges exist once the agent is up); one port for all. */
async function listenOnGateway(address: string): Promise<void> {
  const s = createServer((c) => c.destroy());
  control.push(s);
  await new Promise<void>((resolve, reject) => {
    s.once('error', reject);
    s.listen(controlPort, address, () => resolve());
  });
  controlPort = (s.address() as { port: number }).port;
}

describe('a task attacking berth up on its loopback', { skip: !isRoot && 'the agent needs root' }, () => {
  for (const mode of ['bridge', 'awsvpc'] as const) {
    test(`${mode}: no SYN-ACK from Berth's 127.0.0.1 or ::1, and no cluster created`, async () => {
      await listenOnGateway(GATEWAYS[mode]);
      const family = `loopback-${mode}`;
      await ecs('register-task-definition', '--cli-input-json', JSON.stringify({
        family, networkMode: mode,
        volumes: [{ name: 'probe', host: { sourcePath: probeDir } }],
        containerDefinitions: [{
          name: 'probe', image: 'busybox', memory: 32, command: ['sh', '-c', script(berth.port, `${PWNED}-${mode}`)],
          mountPoints: [{ sourceVolume: 'probe', containerPath: '/probe', readOnly: true }],
        }],
      }));
      const extra = mode === 'awsvpc' ? ['--network-configuration', 'awsvpcConfiguration={subnets=[subnet-berth]}'] : [];
      const ran = await ecs<{ tasks: { taskArn: string }[] }>('run-task', '--task-definition', family, ...extra);
      const arn = ran.tasks[0]!.taskArn;
      // The task keeps running after its probes (a stopped task's log goes with it).
      const status = async () => (await ecs<{ tasks: { lastStatus: string }[] }>('describe-tasks', '--tasks', arn)).tasks[0];
      let logs = { stdout: '', stderr: '' };
      for (let i = 0; i < LOG_TRIES && !/^control /m.test(logs.stdout); i++) {
        await sleep(LOG_POLL_MS);
        logs = await run(process.execPath, [join(ROOT, 'src/cli/main.ts'), 'logs', arn, '--endpoint', berth.endpoint]);
        if (!/^control /m.test(logs.stdout) && (await status())?.lastStatus === 'STOPPED') break;
      }
      const described = await status();
      await ecs('stop-task', '--task', arn);
      await ecs('wait', 'tasks-stopped', '--tasks', arn);
      const said = Object.fromEntries([...logs.stdout.matchAll(/^(v4|v6|control) (.*)$/gm)].map((m) => [m[1], m[2]]));
      assert.ok(said.control, `the probe ran: ${logs.stdout}${logs.stderr}${JSON.stringify(described)}`);
      assert.equal(said.control, 'synack=yes', `the probe works: the host answers it on the gateway's address (${logs.stdout}${logs.stderr})`);
      const clusters = await ecs<{ clusterArns: string[] }>('list-clusters');
      assert.ok(!clusters.clusterArns.some((a) => a.endsWith(`/${PWNED}-${mode}`)), 'the task could not drive the API');
      assert.equal(said.v4, 'synack=no', '127.0.0.1 through the gateway');
      assert.equal(said.v6, 'synack=no', '::1 through the gateway');
    });
  }
});
