import { adminJson, region } from '../admin-client.ts';
import { intOption, parse } from '../args.ts';
import { CliError } from '../cli-error.ts';
import { defaultEndpoint } from '../defaults.ts';
import { table } from '../listing.ts';
import type { Command } from './command.ts';

interface Settings { region: string; interruptionsPerHour: number; seed: number; capacity: Record<string, number>; updatedAt?: number }
interface Interrupted { taskArn: string; cluster: string; group: string; availabilityZone?: string; capacityProviderName?: string; lastStatus: string; desiredStatus: string; stopCode: string; stoppedReason: string }

export const spot: Command = {
  help: `Usage: berth spot settings [--interruptions-per-hour R] [--seed S] [--capacity ZONE=N,...] [--output json]
       berth spot interrupt (--task ID|ARN | --service NAME [--count N] | --zone ZONE [--count N])
                            [--cluster NAME] [--output json]

Fargate Spot's reclaim model, under your control (off until you set a rate or a capacity).

  settings    shows the region's Spot settings; with options, changes them first:
    --interruptions-per-hour R  expected interruptions per running FARGATE_SPOT task per
                                hour (a Poisson process per task; 0 turns them off)
    --seed S                    seeds the draws, so a run can be repeated
    --capacity ZONE=N,...       at most N FARGATE_SPOT tasks in ZONE; a zone over it (the
                                capacity lowered) loses its newest tasks. ZONE=none lifts
                                the limit of that zone.
  interrupt   interrupts tasks now, as a reclaim would: each gets desiredStatus STOPPED,
              stopCode TerminationNotice and "Your Spot Task was interrupted." while it
              still runs; its containers get SIGTERM, SIGKILL after their stopTimeout, and
              the task ends with stopCode SpotInterruption. A service starts a replacement.
    --task ID|ARN     that task (any task: an EC2 task too, to try a service's handling)
    --service NAME    that many (--count, default 1) of the service's FARGATE_SPOT tasks
    --zone ZONE       the zone's FARGATE_SPOT tasks (all, or --count of them; every
                      cluster unless --cluster)
    --cluster NAME    the cluster (default: default)

Options:
  --output json    print the settings, or the interrupted tasks, as JSON
  --endpoint URL   Berth's endpoint (default $BERTH_ENDPOINT or http://127.0.0.1:8700)

The region is $AWS_REGION (or $AWS_DEFAULT_REGION, else us-east-1). A Berth on another
host needs its join token: set BERTH_TOKEN ('berth token' there shows it).
`,
  async run(argv) {
    const [op, ...rest] = argv;
    if (op === 'settings') return settings(rest);
    if (op === 'interrupt') return interrupt(rest);
    throw new CliError("say 'berth spot settings' or 'berth spot interrupt'. Run 'berth spot --help'.", 2);
  },
};

async function settings(argv: string[]): Promise<number> {
  const { values } = parse('spot', argv, {
    'interruptions-per-hour': { type: 'string' }, seed: { type: 'string' }, capacity: { type: 'string' },
    output: { type: 'string' }, endpoint: { type: 'string' },
  });
  checkOutput(values.output);
  const endpoint = values.endpoint ?? defaultEndpoint();
  const change: Record<string, unknown> = {};
  if (values['interruptions-per-hour'] !== undefined) {
    const r = Number(values['interruptions-per-hour']);
    if (values['interruptions-per-hour'].trim() === '' || !Number.isFinite(r)) throw new CliError(`--interruptions-per-hour must be a number such as 0.5 or 12, not '${values['interruptions-per-hour']}'. Run 'berth spot --help'.`, 2);
    change.interruptionsPerHour = r;
  }
  if (values.seed !== undefined) change.seed = intOption('spot', 'seed', values.seed, 0, 0, 0xffffffff);
  if (values.capacity !== undefined) change.capacity = parseCapacity(values.capacity);
  const s = Object.keys(change).length === 0
    ? await adminJson<Settings>(endpoint, `/_berth/spot/settings?region=${encodeURIComponent(region())}`)
    : await adminJson<Settings>(endpoint, '/_berth/spot/settings', { method: 'POST', body: { region: region(), ...change } });
  if (values.output === 'json') {
    process.stdout.write(`${JSON.stringify(s, null, 2)}\n`);
    return 0;
  }
  const zones = Object.entries(s.capacity).sort(([a], [b]) => a.localeCompare(b));
  process.stdout.write(`region                  ${s.region}
interruptions per hour  ${s.interruptionsPerHour}${s.interruptionsPerHour === 0 ? ' (off)' : ''}
seed                    ${s.seed}
capacity                ${zones.length === 0 ? 'no zone limit' : zones.map(([z, n]) => `${z}=${n}`).join(', ')}
`);
  return 0;
}

/** "us-east-1a=4,us-east-1b=none" → { 'us-east-1a': 4, 'us-east-1b': -1 } (the server validates zone names). */
export function parseCapacity(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const part of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    const m = /^([^=\s]+)=(\d+|none)$/.exec(part);
    if (!m) throw new CliError(`--capacity takes ZONE=N pairs separated by commas (N a whole number, or none), such as us-east-1a=4,us-east-1b=none; '${part}' is not one. Run 'berth spot --help'.`, 2);
    out[m[1]!] = m[2] === 'none' ? -1 : Number(m[2]);
  }
  if (Object.keys(out).length === 0) throw new CliError("--capacity needs at least one ZONE=N. Run 'berth spot --help'.", 2);
  return out;
}

async function interrupt(argv: string[]): Promise<number> {
  const { values } = parse('spot', argv, {
    task: { type: 'string' }, service: { type: 'string' }, count: { type: 'string' }, zone: { type: 'string' },
    cluster: { type: 'string' }, output: { type: 'string' }, endpoint: { type: 'string' },
  });
  checkOutput(values.output);
  const endpoint = values.endpoint ?? defaultEndpoint();
  const body = {
    region: region(),
    ...(values.task !== undefined && { task: values.task }),
    ...(values.service !== undefined && { service: values.service }),
    ...(values.zone !== undefined && { zone: values.zone }),
    ...(values.cluster !== undefined && { cluster: values.cluster }),
    ...(values.count !== undefined && { count: intOption('spot', 'count', values.count, 1, 1, 1000) }),
  };
  if (body.task === undefined && body.service === undefined && body.zone === undefined) throw new CliError("say what to interrupt: --task ID, --service NAME or --zone ZONE. Run 'berth spot --help'.", 2);
  const { interrupted } = await adminJson<{ interrupted: Interrupted[] }>(endpoint, '/_berth/spot/interrupt', { method: 'POST', body });
  if (values.output === 'json') {
    process.stdout.write(`${JSON.stringify({ interrupted }, null, 2)}\n`);
    return 0;
  }
  if (interrupted.length === 0) {
    process.stdout.write('nothing interrupted: every task named was already stopping.\n');
    return 0;
  }
  process.stdout.write(table(['TASK', 'CLUSTER', 'SERVICE', 'ZONE', 'CAPACITY PROVIDER', 'STOP CODE'], interrupted.map((t) => [
    t.taskArn.split('/').pop()!, t.cluster, t.group.startsWith('service:') ? t.group.slice('service:'.length) : '-',
    t.availabilityZone ?? '-', t.capacityProviderName ?? '-', t.stopCode,
  ])));
  return 0;
}

function checkOutput(output: string | undefined): void {
  if (output !== undefined && output !== 'json') throw new CliError(`--output takes only json, not '${output}'. Run 'berth spot --help'.`, 2);
}
