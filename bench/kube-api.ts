/**
 * The Kubernetes API of an EKS cluster Berth serves, against a bare HTTPS server of the same
 * make answering the same bytes on the same machine (the ceiling), in one run (issue 17):
 *
 *   bin/bench kube-api [--objects 1000] [--watchers 100] [--updates 1000] [--output json]   (--help for all)
 *
 * 1. Starts Berth as users do (`bin/berth up --no-agent`), makes an EKS cluster with the
 *    aws CLI (create-cluster, describe-cluster until ACTIVE, get-token) and talks to its API
 *    server with that token and the cluster's CA, as kubectl would.
 * 2. Creates --objects pods in one namespace through the API (POST, as kubectl create does):
 *    Berth runs without an agent and the cluster has no nodes, so they stay Pending and
 *    unscheduled, each a task (spec and status) of the pods backend; --object-bytes adds an
 *    annotation of that many bytes to each (0 by default: a pending pod's own JSON is ~2 KB).
 * 3. Under wrk (HTTP/1.1 over TLS, kept alive): GET of one object (rotating over all of
 *    them) and LIST of all of them; then the same paths on the bare server
 *    (bench/lib/bare-kube-server.ts), which answers the bytes Berth answered.
 * 4. --watchers watches open at once, then --updates pod status writes (a merge PATCH of
 *    pods/<name>/status with a condition the view does not derive: a write of the task's
 *    status half alone, as an agent's report is), --writers in flight: the delay from each
 *    write to each watcher's event (bench/lib/watch-fanout.ts);
 *    then the same on the bare server, whose writes are lines it fans out as they come.
 * Targets: GET and LIST ≥ 50% of the bare server's req/s with p99 < 5 ms; every watcher
 * sees every event within 100 ms of its write.
 *
 * The figures measure the pods backend's fast paths (src/api/kube/pod-answers.ts): answers
 * kept by task key and the halves' revisions, whole lists while nothing changed.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { availableParallelism, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { serverProfile } from './lib/cpu-profile.ts';
import { makeCluster, waitServiceAccount } from './lib/eks-cluster.ts';
import { KubeClient } from './lib/kube-client.ts';
import { backgroundCores } from './lib/machine.ts';
import { cleanupNow, freePort, pinned, spawnTracked, stopGracefully, tempDir, waitReady, type Service } from './lib/processes.ts';
import { json as jsonReport, passed, table, type Row } from './lib/report.ts';
import { measureFanout, type FanoutResult } from './lib/watch-fanout.ts';
import { combine, runWrk, type WrkRequest, type WrkResult } from './lib/wrk.ts';
import { pool } from './lib/aws-json.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const run = promisify(execFile);

/** Issue 17's targets. */
const RATIO_TARGET = 0.5;
const P99_TARGET_MS = 5;
const WATCH_TARGET_MS = 100;
/** Objects created at once while storing them. */
const STORE_CONCURRENCY = 8;
const NAMESPACE = 'bench';
const CLUSTER = 'bench';

const HELP = `usage: bin/bench kube-api [options]

The Kubernetes API server of an EKS cluster Berth serves, beside a bare HTTPS server
answering the same bytes: GET and LIST under wrk, and watch fan-out.

  --objects N        pods created (default 1000): the LIST answers all of them
  --object-bytes N   bytes of an annotation added to each pod (default 0: a pod answers ~2 KB)
  --seconds N        each measured wrk run (default 5), after a 1 s warm-up
  --rounds N         measured runs per row, the median taken (default 1)
  --connections N    wrk connections for GET (default 32; LIST uses a quarter)
  --watchers N       watches open at once (default 100)
  --updates N        writes while they watch (default 1000)
  --writers N        writes in flight at once (default 4)
  --no-pin           do not pin Berth to CPU 0 and the load to CPU 1
  --no-watch         GET and LIST only (no watch fan-out)
  --profile DIR      run Berth under node --cpu-prof (stopped with SIGINT) and print where its
                     CPU time went; the .cpuprofile files stay in DIR
  --output json      one JSON document instead of the table
`;

interface Options {
  objects: number; objectBytes: number; seconds: number; rounds: number; connections: number;
  watchers: number; updates: number; writers: number; pin: boolean; watch: boolean; profileDir: string | undefined; output: 'table' | 'json';
}

function options(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      objects: { type: 'string', default: '1000' }, 'object-bytes': { type: 'string', default: '0' },
      seconds: { type: 'string', default: '5' }, rounds: { type: 'string', default: '1' }, connections: { type: 'string', default: '32' },
      watchers: { type: 'string', default: '100' }, updates: { type: 'string', default: '1000' }, writers: { type: 'string', default: '4' },
      'no-pin': { type: 'boolean', default: false }, 'no-watch': { type: 'boolean', default: false }, profile: { type: 'string' }, output: { type: 'string', default: 'table' }, help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    process.exit(0);
  }
  const whole = (name: string, v: string, min = 1) => {
    const n = Number(v.replaceAll('_', ''));
    if (!Number.isInteger(n) || n < min) throw new UsageError(`--${name} must be a whole number from ${min}; it was '${v}'.`);
    return n;
  };
  if (values.output !== 'table' && values.output !== 'json') throw new UsageError(`--output must be table or json; it was '${values.output}'.`);
  return {
    objects: whole('objects', values.objects), objectBytes: whole('object-bytes', values['object-bytes'], 0),
    seconds: whole('seconds', values.seconds), rounds: whole('rounds', values.rounds), connections: whole('connections', values.connections),
    watchers: whole('watchers', values.watchers), updates: whole('updates', values.updates), writers: whole('writers', values.writers),
    pin: !values['no-pin'], watch: !values['no-watch'], profileDir: values.profile === undefined ? undefined : resolve(values.profile), output: values.output,
  };
}

class UsageError extends Error {}

const say = (line: string) => process.stderr.write(`kube-api: ${line}\n`);
const objectName = (i: number) => `pod-${String(i).padStart(5, '0')}`;
const base = `/api/v1/namespaces/${NAMESPACE}/pods`;
/** The condition each status write sets: a type the pod view does not derive, so the write lands in the task's status half. */
const BENCH_CONDITION = 'bench.berth.dev/Seq';

async function main(): Promise<number> {
  const opt = options(process.argv.slice(2));
  const cores = availableParallelism();
  const pin = opt.pin && cores >= 2 && existsSync('/usr/bin/taskset');
  const serverCpus = pin ? '0' : undefined;
  const loadCpus = pin ? '1' : undefined;
  const background = await backgroundCores();
  const loadAtStart = loadavg()[0]!;
  if (background > 0.1) say(`warning: before starting, other processes used ${background.toFixed(2)} of ${cores} cores; figures will be low and noisy (try --rounds 3)`);
  const work = tempDir('berth-kube-api-bench-', '/var/tmp');

  const berthPort = await freePort();
  const berthUrl = `http://127.0.0.1:${berthPort}`;
  say(`starting Berth (bin/berth up --no-agent --port ${berthPort})${pin ? ', pinned to CPU 0; wrk and the watchers on CPU 1' : ''}`);
  const cmd = [...pinned(serverCpus), join(ROOT, 'bin/berth'), 'up', '--no-agent', '--port', String(berthPort), '--data-dir', join(work, 'data')];
  const env = { ...process.env };
  if (opt.profileDir) env.NODE_OPTIONS = `${env.NODE_OPTIONS ?? ''} --cpu-prof --cpu-prof-dir=${opt.profileDir}`.trim();
  const profilesBefore = new Set(opt.profileDir && existsSync(opt.profileDir) ? readdirSync(opt.profileDir) : []);
  const berth: Service = spawnTracked(cmd[0]!, cmd.slice(1), { env });
  await waitReady(berth, `${berthUrl}/_berth/health`, 'berth up');
  // The benchmark's own process (the watchers and the writes) goes beside wrk, off Berth's CPU.
  if (loadCpus) await run('taskset', ['-p', '-c', loadCpus, String(process.pid)]);

  say(`aws eks create-cluster --name ${CLUSTER}, then get-token`);
  const cluster = await makeCluster(berthUrl, work, CLUSTER);
  const kube = new KubeClient(cluster.endpoint, cluster.ca, cluster.token);
  await kube.json('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NAMESPACE } });
  await waitServiceAccount(kube, NAMESPACE);
  say(`creating ${opt.objects} pods${opt.objectBytes > 0 ? ` with ${opt.objectBytes} bytes of annotation` : ''} (no nodes: they stay Pending)`);
  const annotations = opt.objectBytes > 0 ? { 'bench/payload': 'x'.repeat(opt.objectBytes) } : {};
  await pool(opt.objects, STORE_CONCURRENCY, async (i) => {
    await kube.json('POST', base, {
      apiVersion: 'v1', kind: 'Pod', metadata: { name: objectName(i), labels: { app: 'bench' }, annotations },
      spec: { containers: [{ name: 'web', image: 'nginx', resources: { requests: { cpu: '10m', memory: '16Mi' } } }] },
    });
  });

  // What Berth answers, for the bare server to answer the same.
  const getPaths = Array.from({ length: opt.objects }, (_, i) => `${base}/${objectName(i)}`);
  const responses: Record<string, string> = {};
  for (const p of getPaths) responses[p] = (await kube.request('GET', p)).body.toString('base64');
  const list = await kube.request('GET', base);
  responses[base] = list.body.toString('base64');
  const oneBytes = Buffer.from(responses[getPaths[0]!]!, 'base64').length;
  say(`one object answers ${oneBytes} bytes, the LIST ${list.body.length} bytes`);
  await writeFile(join(work, 'responses.json'), JSON.stringify(responses));
  await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(work, 'bare.key'), '-out', join(work, 'bare.crt'),
    '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1']);
  const barePort = await freePort();
  const bareCmd = [...pinned(serverCpus), process.execPath, '--disable-warning=ExperimentalWarning', join(ROOT, 'bench/lib/bare-kube-server.ts'),
    '--port', String(barePort), '--cert', join(work, 'bare.crt'), '--key', join(work, 'bare.key'), '--responses', join(work, 'responses.json')];
  const bareService = spawnTracked(bareCmd[0]!, bareCmd.slice(1));
  const bareUrl = `https://127.0.0.1:${barePort}`;
  const bare = new KubeClient(bareUrl, readFileSync(join(work, 'bare.crt'), 'utf8'));
  await bare.waitReady('/healthz', 10_000);

  const headers = { Authorization: `Bearer ${cluster.token}`, Accept: 'application/json' };
  const gets: WrkRequest[] = getPaths.map((path) => ({ method: 'GET', path, headers, body: '' }));
  const lists: WrkRequest[] = [{ method: 'GET', path: base, headers, body: '' }];
  const measure = async (url: string, requests: WrkRequest[], connections: number, name: string): Promise<WrkResult> => {
    const base = { url, requests, connections, threads: 1, cpus: loadCpus, workDir: work };
    await runWrk({ ...base, seconds: 1, name: `${name}-warmup` });
    const runs: WrkResult[] = [];
    for (let r = 0; r < opt.rounds; r++) runs.push(await runWrk({ ...base, seconds: opt.seconds, name: `${name}-${r}` }));
    return combine(runs);
  };
  const rows: Row[] = [];
  for (const [operation, requests, connections] of [
    [`GET one pod (${oneBytes} B)`, gets, opt.connections],
    [`LIST ${opt.objects} pods (${list.body.length} B)`, lists, Math.max(1, opt.connections >> 2)],
  ] as const) {
    say(`wrk: ${operation}, Berth then bare`);
    const b = await measure(cluster.endpoint, [...requests], connections, `berth-${rows.length}`);
    const c = await measure(bareUrl, [...requests], connections, `bare-${rows.length}`);
    const q = b.requestsPerSecond / c.requestsPerSecond;
    rows.push({
      operation, berth: b, baseline: c, target: `≥ ${RATIO_TARGET * 100}% of bare, p99 < ${P99_TARGET_MS} ms`,
      checks: [
        { name: 'throughput', pass: q >= RATIO_TARGET, detail: `${(q * 100).toFixed(0)}% of the bare server's` },
        { name: 'p99', pass: b.latencyMs.p99 < P99_TARGET_MS, detail: `${b.latencyMs.p99.toFixed(2)} ms` },
        { name: 'answers', pass: b.errorStatus === 0 && b.requests > 0, detail: `${b.errorStatus} error statuses of ${b.requests}` },
      ],
    });
  }

  const watched = opt.watch ? await watchBoth(opt, kube, bare, Buffer.from(responses[getPaths[0]!]!, 'base64')).catch((e: unknown) => {
    // Whose failure: a server that exited (its last words) or one that cut a connection.
    for (const [who, s] of [['Berth', berth], ['the bare server', bareService]] as const) {
      if (s.child.exitCode !== null || s.child.signalCode !== null) say(`${who} exited (${s.child.exitCode ?? s.child.signalCode}); its stderr ended:\n${s.stderrTail()}`);
    }
    throw e;
  }) : undefined;
  const watchPass = watched === undefined || (watched.berthWatch.seen === watched.berthWatch.expected && watched.berthWatch.late === 0);

  kube.close();
  bare.close();
  await stopGracefully(bareService.child);
  await stopGracefully(berth.child);
  const profile = opt.profileDir ? serverProfile(opt.profileDir, profilesBefore) : undefined;
  const meta = { benchmark: 'kube-api', date: new Date().toISOString(), node: process.version, cores, pinned: pin, loadAtStart, backgroundCores: background, objects: opt.objects };
  if (opt.output === 'json') {
    const doc = JSON.parse(jsonReport(rows, meta)) as Record<string, unknown>;
    process.stdout.write(`${JSON.stringify({ ...doc, pass: rows.every(passed) && watchPass, ...(watched && { watch: { ...watched, targetMs: WATCH_TARGET_MS, pass: watchPass } }), ...(profile && { profile }) })}\n`);
  } else {
    process.stdout.write(`${table(rows)}\n${watched ? `\n${watchTable(watched.berthWatch, watched.bareWatch, watchPass)}\n` : ''}`);
    if (profile) process.stdout.write(`\nBerth CPU profile:\n${profile}\n`);
  }
  return rows.every(passed) && watchPass ? 0 : 1;
}

/** The watch fan-out on Berth, then on the bare server. */
async function watchBoth(opt: Options, kube: KubeClient, bare: KubeClient, sampleAnswer: Buffer): Promise<{ berthWatch: FanoutResult; bareWatch: FanoutResult }> {
  say(`watch: ${opt.watchers} watchers, ${opt.updates} writes (${opt.writers} in flight), Berth then bare`);
  const { metadata } = await kube.json<{ metadata: { resourceVersion: string } }>('GET', `${base}?limit=1`);
  const berthWatch = await measureFanout(kube, {
    watchers: opt.watchers, writes: opt.updates, writers: opt.writers, targetMs: WATCH_TARGET_MS,
    watchPath: `${base}?watch=1&resourceVersion=${metadata.resourceVersion}`,
    write: async (i) => {
      const o = await kube.json<{ metadata: { resourceVersion: string } }>('PATCH', `${base}/${objectName(i % opt.objects)}/status`,
        { status: { conditions: [{ type: BENCH_CONDITION, status: 'True', reason: 'Bench', message: String(i) }] } }, 'application/merge-patch+json');
      return o.metadata.resourceVersion;
    },
  });
  const sample = JSON.parse(sampleAnswer.toString('utf8')) as { metadata: Record<string, unknown> };
  const bareWatch = await measureFanout(bare, {
    watchers: opt.watchers, writes: opt.updates, writers: opt.writers, targetMs: WATCH_TARGET_MS, watchPath: `${base}?watch=1`,
    write: async (i) => {
      const rv = String(i + 1);
      const line = JSON.stringify({ type: 'MODIFIED', object: { ...sample, metadata: { ...sample.metadata, resourceVersion: rv } } });
      const a = await bare.request('POST', '/fanout', line);
      if (a.status !== 204) throw new Error(`the bare server's fan-out answered ${a.status}`);
      return rv;
    },
  });
  return { berthWatch, bareWatch };
}

function watchTable(b: FanoutResult, c: FanoutResult, pass: boolean): string {
  const line = (who: string, r: FanoutResult) =>
    `${who.padEnd(5)}  ${`${r.seen}/${r.expected}`.padStart(13)}  ${r.delayMs.p50.toFixed(1).padStart(8)}  ${r.delayMs.p99.toFixed(1).padStart(8)}  ${r.delayMs.max.toFixed(1).padStart(8)}  ${`${r.watcherP99Ms.best.toFixed(1)}/${r.watcherP99Ms.worst.toFixed(1)}`.padStart(15)}  ${String(r.late).padStart(6)}  ${r.writesPerSecond.toFixed(0).padStart(9)}  ${r.writeMs.p50.toFixed(1)}/${r.writeMs.p99.toFixed(1)}`;
  return [
    `watch fan-out: ${b.watchers} watchers, ${b.writes} writes; delay from a write's send to each watcher's event (target: all within ${WATCH_TARGET_MS} ms)`,
    'who    events seen      p50 ms    p99 ms    max ms  watcher p99 ms    late   writes/s  write p50/p99 ms',
    '       (every watcher\'s events: p50, p99 and max over all; each watcher\'s own p99, the best and the worst watcher\'s)',
    line('Berth', b),
    line('bare', c),
    `  ${pass ? 'ok  ' : 'FAIL'}  watch: ${b.seen === b.expected ? 'every watcher saw every event' : `${b.expected - b.seen} events missing`}, ${b.late} later than ${WATCH_TARGET_MS} ms`,
  ].join('\n');
}

main().then((code) => {
  cleanupNow();
  process.exit(code);
}, (e: unknown) => {
  cleanupNow();
  if (e instanceof UsageError) {
    process.stderr.write(`kube-api: ${e.message} (bin/bench kube-api --help)\n`);
  } else {
    process.stderr.write(`kube-api: the benchmark failed: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
  }
  process.exit(2);
});
