/**
 * The Kubernetes schemas' per-request work on a Deployment-sized object (2 containers with
 * 20 env vars, ports, probes, volumes; ~4 KB of JSON): a strategic merge patch (an image and an
 * env var changed, a label added), a server-side apply of the same change over an object that
 * already carries its managedFields, and the managedFields of an ordinary update — next to a
 * baseline measured in the same run: a plain JSON merge patch (RFC 7386) of the same objects,
 * with the same deep copy of the original. Prints µs per operation and the ratio to the baseline.
 *
 *   bin/bench kube-schema [--ops N] [--rounds N]      (under flock /tmp/berth-bench.lock)
 */
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { BerthKubeSchemas } from '../src/api/kube/schema/schemas.ts';
import { cloneJson } from '../src/api/kube/schema/smp.ts';

const { values: opt } = parseArgs({ options: { ops: { type: 'string', default: '20000' }, rounds: { type: 'string', default: '3' }, help: { type: 'boolean', default: false } } });
if (opt.help) { console.log('usage: bin/bench kube-schema [--ops 20000] [--rounds 3]'); process.exit(0); }
const OPS = Number(opt.ops), ROUNDS = Number(opt.rounds);

const DEP = { group: 'apps', version: 'v1', kind: 'Deployment' };
const container = (name: string, image: string) => ({
  name, image, imagePullPolicy: 'IfNotPresent',
  ports: [{ containerPort: 80, protocol: 'TCP', name: 'http' }, { containerPort: 9090, protocol: 'TCP', name: 'metrics' }],
  env: Array.from({ length: 20 }, (_, i) => ({ name: `VAR_${i}`, value: `value-${i}` })),
  resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '1', memory: '512Mi' } },
  readinessProbe: { httpGet: { path: '/ready', port: 80 }, periodSeconds: 5 },
  livenessProbe: { httpGet: { path: '/live', port: 80 }, periodSeconds: 10 },
  volumeMounts: [{ name: 'config', mountPath: '/etc/app' }, { name: 'data', mountPath: '/data' }],
});
const deployment = (image: string) => ({
  apiVersion: 'apps/v1', kind: 'Deployment',
  metadata: { name: 'web', namespace: 'default', labels: { app: 'web', tier: 'front', team: 'a' }, annotations: { 'example.com/owner': 'team-a' } },
  spec: {
    replicas: 3, revisionHistoryLimit: 10, selector: { matchLabels: { app: 'web' } },
    strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
    template: {
      metadata: { labels: { app: 'web', tier: 'front' } },
      spec: {
        containers: [container('web', image), container('sidecar', 'envoy:1.30')],
        volumes: [{ name: 'config', configMap: { name: 'web-config' } }, { name: 'data', emptyDir: {} }],
        terminationGracePeriodSeconds: 30, dnsPolicy: 'ClusterFirst', restartPolicy: 'Always',
      },
    },
  },
});

const original = deployment('nginx:1.27');
const changed = deployment('nginx:1.28');
changed.metadata.labels = { ...changed.metadata.labels, release: 'r2' } as typeof changed.metadata.labels;
(changed.spec.template.spec.containers[0] as ReturnType<typeof container>).env[3] = { name: 'VAR_3', value: 'changed' };
const smp = { metadata: { labels: { release: 'r2' } }, spec: { template: { spec: { containers: [{ name: 'web', image: 'nginx:1.28', env: [{ name: 'VAR_3', value: 'changed' }] }] } } } };
// The same change as a JSON merge patch must carry the whole containers list: lists replace.
const mergePatch = { metadata: { labels: { release: 'r2' } }, spec: { template: { spec: { containers: changed.spec.template.spec.containers } } } };

function jsonMergePatch(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> = target !== null && typeof target === 'object' && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {};
  for (const [k, v] of Object.entries(patch)) { if (v === null) delete out[k]; else out[k] = jsonMergePatch(out[k], v); }
  return out;
}

const schemas = new BerthKubeSchemas();
const now = new Date('2026-12-07T12:00:00Z');
const first = schemas.apply(DEP, undefined, original, 'kubectl', false, now);
if (!('object' in first)) throw new Error(first.message);
const live = first.object;
const check = schemas.apply(DEP, live, changed, 'kubectl', false, now);
if (!('object' in check)) throw new Error(check.message);

let sink = 0;
function time(ops: number, fn: () => unknown): number {
  const t0 = performance.now();
  for (let i = 0; i < ops; i++) { const r = fn(); if (r !== undefined) sink++; }
  return ((performance.now() - t0) * 1000) / ops;
}
const cases: [string, () => unknown][] = [
  ['baseline: JSON merge patch (deep copy + merge)', () => jsonMergePatch(cloneJson(original), mergePatch)],
  ['strategic merge patch', () => schemas.strategicMerge(DEP, original, smp)],
  ['server-side apply (no conflict)', () => schemas.apply(DEP, live, changed, 'kubectl', false, now)],
  ['managedFields after an update', () => schemas.managedFieldsAfterUpdate(DEP, original, changed, 'kubectl-edit', now)],
];
for (const [, fn] of cases) time(Math.min(2000, OPS), fn); // warm up
console.log(`kube-schema: ${OPS} ops per case, ${ROUNDS} rounds; object ${JSON.stringify(original).length} bytes of JSON`);
const best = new Map<string, number>();
for (let r = 0; r < ROUNDS; r++) for (const [name, fn] of cases) best.set(name, Math.min(best.get(name) ?? Infinity, time(OPS, fn)));
const base = best.get(cases[0]![0])!;
for (const [name] of cases) console.log(`${name.padEnd(48)} ${best.get(name)!.toFixed(1).padStart(8)} µs/op   ${(best.get(name)! / base).toFixed(2)}× baseline`);
if (sink === 0) console.log('');
