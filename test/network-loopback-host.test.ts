// Touches the host: run under flock /tmp/berth-host.lock (bin/test runs host tests one at a time).
// Host-mode tasks and the host's loopback: `berth up` with its agent on this host, under
// crun and under runc, a two-container busybox task in host mode (run through the aws
// CLI). A host-mode task shares the host's network namespace, so nothing but the loopback
// guard (src/runtime/network/host-guard.ts) stands between it and every listener on
// 127.0.0.1 and ::1, Berth's unauthenticated API included. The task may not open a TCP
// connection nor deliver a UDP datagram to the host's listeners, nor create a cluster
// through the API; its two containers do talk to each other over 127.0.0.1 and ::1, and a host
// process does reach the port the task publishes. A health check (run by `<runtime> exec`,
// outside the container's init) tries the host's listener too, and so does a `berth exec`
// after Berth is killed (-9) and started again.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, lstatSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { createSocket, type Socket } from 'node:dgram';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { AWS_CLIS, aws } from './support/aws-cli.ts';
import { ROOT, startBerth, type BerthProcess } from './support/berth.ts';
import { cleanupHost } from './support/host-cleanup.ts';
import { run } from './support/run.ts';

const isRoot = process.getuid?.() === 0;
const PWNED = 'loopback-pwned-host';
/** The task starts and probes within seconds; allow 60 s on a loaded 2-core machine. */
const LOG_TRIES = 120;
const LOG_POLL_MS = 500;
/** After a restart the agent adopts the task within seconds; `berth exec` is tried for 30 s. */
const EXEC_TRIES = 60;
/** What nft resolves `berth/<task>` through on a hybrid-cgroup host (cgroup-path.ts). */
const NFT_CGROUP_ALIAS = '/sys/fs/cgroup/berth';

/**
 * A loopback address for the test's stand-in resolver on port 53 (host-guard.ts lets host-mode
 * tasks reach port 53 for the host's resolver): any 127/8 address works, and one this odd is
 * free where 127.0.0.1:53 or 127.0.0.53:53 is taken.
 */
const RESOLVER_ADDRESS = '127.83.83.83';

/** The host's loopback services: what each accepted or received from anyone. */
interface Listeners {
  readonly ports: { tcp4: number; tcp6: number; udp4: number; udp6: number; health: number };
  readonly got: { tcp4: number; tcp6: number; udp4: number; udp6: number; health: number; resolver: number };
  close(): void;
}

async function hostListeners(): Promise<Listeners> {
  const got = { tcp4: 0, tcp6: 0, udp4: 0, udp6: 0, health: 0, resolver: 0 };
  const servers: Server[] = [];
  const sockets: Socket[] = [];
  const tcp = async (key: 'tcp4' | 'tcp6' | 'health', host: string) => {
    const s = createServer((c) => {
      got[key]++;
      c.destroy();
    });
    servers.push(s);
    await new Promise<void>((resolve, reject) => s.once('error', reject).listen(0, host, () => resolve()));
    return (s.address() as { port: number }).port;
  };
  const udp = async (key: 'udp4' | 'udp6' | 'resolver', host: string, port = 0) => {
    const s = createSocket(key === 'udp6' ? 'udp6' : 'udp4');
    sockets.push(s);
    s.on('message', () => got[key]++);
    await new Promise<void>((resolve, reject) => s.once('error', reject).bind(port, host, () => resolve()));
    return s.address().port;
  };
  const ports = { tcp4: await tcp('tcp4', '127.0.0.1'), tcp6: await tcp('tcp6', '::1'), udp4: await udp('udp4', '127.0.0.1'), udp6: await udp('udp6', '::1'), health: await tcp('health', '127.0.0.1') };
  await udp('resolver', RESOLVER_ADDRESS, 53);
  return { ports, got, close: () => [...servers, ...sockets].forEach((s) => s.close()) };
}

/** A port nothing listens on now, for the task to publish. */
async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', () => resolve()));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/**
 * The probe container's script: wait for its sibling's server on 127.0.0.1, then try each
 * host listener and Berth's API, printing what happened (`yes` when a connection opened);
 * the host's own counts are what the test believes.
 */
function probeScript(l: Listeners, sibling: number, berthPort: number, clusterName: string): string {
  const body = JSON.stringify({ clusterName });
  const request = `POST / HTTP/1.1\\r\\nHost: 127.0.0.1\\r\\nX-Amz-Target: AmazonEC2ContainerServiceV20141113.CreateCluster\\r\\nContent-Type: application/x-amz-json-1.1\\r\\nContent-Length: ${body.length}\\r\\nConnection: close\\r\\n\\r\\n${body}`;
  // busybox wget crashes in this image; an HTTP/1.0 GET by nc prints the body's last line.
  const get = (host: string, port: number) => `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 2 ${host} ${port} 2>&1 | tail -n 1`;
  const tcp = (host: string, port: number) => `$(nc -w 2 ${host} ${port} </dev/null >/dev/null 2>&1 && echo yes || echo no)`;
  // busybox's nc has no UDP here; its tftp sends a read request to any port (and waits for
  // an answer that never comes: the host's listener only counts).
  const udp = (host: string, port: number) => `$(timeout 2 tftp -g -r x -l /dev/null ${host} ${port} >/dev/null 2>&1; echo sent)`;
  return [
    `for i in $(seq 1 40); do nc -w 2 127.0.0.1 ${sibling} </dev/null && break; sleep 0.5; done`,
    `echo "cgroup $(grep '^0::' /proc/self/cgroup)"`,
    `echo "sibling4 $(${get('127.0.0.1', sibling)})"`,
    `echo "sibling6 $(${get('::1', sibling)})"`,
    `echo "tcp4 ${tcp('127.0.0.1', l.ports.tcp4)}"`,
    `echo "tcp6 ${tcp('::1', l.ports.tcp6)}"`,
    `echo "udp4 ${udp('127.0.0.1', l.ports.udp4)}"`,
    `echo "udp6 ${udp('::1', l.ports.udp6)}"`,
    `echo "resolver ${udp(RESOLVER_ADDRESS, 53)}"`,
    `echo "api $(printf '${request.replace(/'/g, `'"'"'`)}' | nc -w 3 127.0.0.1 ${berthPort} 2>&1 | head -1)"`,
    'echo done',
    "trap 'exit 0' TERM",
    'sleep 3600 & wait',
  ].join('\n');
}

for (const runtime of ['crun', 'runc'] as const) {
  describe(`host mode under ${runtime}: the host's loopback stays the host's`, { skip: !isRoot && 'the agent needs root' }, () => {
    let berth: BerthProcess;
    let listeners: Listeners;
    const cli = AWS_CLIS[0];
    const ecs = <T = Record<string, unknown>>(...args: string[]) => aws<T>(cli, berth.endpoint, ['ecs', ...args]);
    const hadAlias = existsSync(NFT_CGROUP_ALIAS) || (() => { try { return lstatSync(NFT_CGROUP_ALIAS).isSymbolicLink(); } catch { return false; } })();

    before(async () => {
      await cleanupHost();
      listeners = await hostListeners();
      // Kept until after(): a restarted Berth must pick the same runtime.
      process.env.BERTH_RUNTIME = runtime;
      berth = await startBerth([], { agent: true });
      const samples = await run(process.execPath, [join(ROOT, 'src/cli/main.ts'), 'image', 'samples', '--endpoint', berth.endpoint]);
      assert.equal(samples.code, 0, samples.stderr);
    });

    after(async () => {
      delete process.env.BERTH_RUNTIME;
      listeners?.close();
      const arns = (await ecs<{ taskArns: string[] }>('list-tasks').catch(() => ({ taskArns: [] }))).taskArns;
      for (const t of arns) await ecs('stop-task', '--task', t).catch(() => undefined);
      if (arns.length) await ecs('wait', 'tasks-stopped', '--tasks', ...arns).catch(() => undefined);
      try {
        await berth?.stop();
      } finally {
        await cleanupHost();
        if (!hadAlias) rmSync(NFT_CGROUP_ALIAS, { force: true });
      }
    });

    test('no connection, datagram or API call reaches a host listener; siblings talk; the host reaches the task', async (t) => {
      const sibling = await freePort();
      const family = `loopback-host-${runtime}`;
      const name = `${PWNED}-${runtime}`;
      await ecs('register-task-definition', '--cli-input-json', JSON.stringify({
        family, networkMode: 'host',
        containerDefinitions: [
          {
            name: 'probe', image: 'busybox', memory: 32, command: ['sh', '-c', probeScript(listeners, sibling, berth.port, name)],
            // Run by `<runtime> exec`, a process the container's init did not fork.
            healthCheck: { command: ['CMD-SHELL', `nc -w 1 127.0.0.1 ${listeners.ports.health} </dev/null; exit 0`], interval: 5, timeout: 3, retries: 3, startPeriod: 0 },
          },
          {
            // stopTimeout 2 s: httpd as PID 1 ignores SIGTERM.
            name: 'web', image: 'busybox', memory: 32, stopTimeout: 2, portMappings: [{ containerPort: sibling }],
            command: ['sh', '-c', `mkdir -p /www && echo sibling-ok > /www/index.html && exec httpd -f -p ${sibling} -h /www`],
          },
        ],
      }));
      const ran = await ecs<{ tasks: { taskArn: string }[] }>('run-task', '--task-definition', family);
      const arn = ran.tasks[0]!.taskArn;
      const status = async () => (await ecs<{ tasks: { lastStatus: string; healthStatus?: string }[] }>('describe-tasks', '--tasks', arn)).tasks[0];
      let logs = { stdout: '', stderr: '' };
      for (let i = 0; i < LOG_TRIES && !/^done$/m.test(logs.stdout); i++) {
        await sleep(LOG_POLL_MS);
        logs = await run(process.execPath, [join(ROOT, 'src/cli/main.ts'), 'logs', arn, '--container', 'probe', '--endpoint', berth.endpoint]);
        if (!/^done$/m.test(logs.stdout) && (await status())?.lastStatus === 'STOPPED') break;
      }
      const said = Object.fromEntries([...logs.stdout.matchAll(/^(\w+) (.*)$/gm)].map((m) => [m[1], m[2]]));
      const seen = `${logs.stdout}${logs.stderr}`;
      t.diagnostic(`the probe said: ${JSON.stringify(said)}`);
      assert.ok(/^done$/m.test(logs.stdout), `the probe ran to its end: ${seen}${JSON.stringify(await status())}`);

      // A host process reaches the port the task publishes, on loopback.
      const fromHost = await fetch(`http://127.0.0.1:${sibling}/`).then((r) => r.text());
      assert.equal(fromHost.trim(), 'sibling-ok', 'a host process reaches the task');
      // The health check has run at least twice by now (interval 5 s).
      for (let i = 0; i < 30 && (await status())?.healthStatus === 'UNKNOWN'; i++) await sleep(500);
      await sleep(6000);
      const health = (await status())?.healthStatus;

      // Berth killed and started again: the agent rebuilds the guard from its state and
      // adopts the task, whose containers kept running.
      await berth.kill9();
      await berth.restart();
      const again = `nc -w 2 127.0.0.1 ${listeners.ports.tcp4} </dev/null >/dev/null 2>&1 && echo host-yes || echo host-no; printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 2 127.0.0.1 ${sibling} | tail -n 1`;
      let afterRestart = { code: -1, stdout: '', stderr: '' };
      for (let i = 0; i < EXEC_TRIES && afterRestart.code !== 0; i++) {
        if (i > 0) await sleep(LOG_POLL_MS);
        afterRestart = await run(process.execPath, [join(ROOT, 'src/cli/main.ts'), 'exec', arn, '--container', 'probe', '--endpoint', berth.endpoint, '--', 'sh', '-c', again]);
      }

      await ecs('stop-task', '--task', arn);
      await ecs('wait', 'tasks-stopped', '--tasks', arn);

      const clusters = await ecs<{ clusterArns: string[] }>('list-clusters');
      // All at once, so that a failure shows every way the task got through.
      assert.deepEqual({
        siblings: [said.sibling4, said.sibling6],
        afterRestart: afterRestart.stdout.trim().split('\n'),
        healthCheckRan: health,
        reachedHost: { ...listeners.got, resolver: listeners.got.resolver > 0 },
        opened: { tcp4: said.tcp4, tcp6: said.tcp6 },
        apiAnswered: /HTTP/.test(said.api ?? ''),
        clusterCreated: clusters.clusterArns.some((a) => a.endsWith(`/${name}`)),
      }, {
        siblings: ['sibling-ok', 'sibling-ok'],
        afterRestart: ['host-no', 'sibling-ok'],
        healthCheckRan: 'HEALTHY',
        // The resolver's port is the guard's one exception: its datagrams arrive.
        reachedHost: { tcp4: 0, tcp6: 0, udp4: 0, udp6: 0, health: 0, resolver: true },
        opened: { tcp4: 'no', tcp6: 'no' },
        apiAnswered: false,
        clusterCreated: false,
      });
    });
  });
}
