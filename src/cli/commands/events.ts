import { adminFetch, region } from '../admin-client.ts';
import { parse } from '../args.ts';
import { CliError } from '../cli-error.ts';
import { defaultEndpoint } from '../defaults.ts';
import type { Command } from './command.ts';

interface Event { 'detail-type': string; time: string; resources: string[]; detail: Record<string, unknown> }

export const events: Command = {
  help: `Usage: berth events [--follow] [--since WHEN] [--detail-type TYPE] [--output json]

Prints the ECS events Berth produced, oldest first, as EventBridge delivers them on AWS
(source aws.ecs): an "ECS Task State Change" for every change of a task (started,
placed, running, told to stop, a Spot termination notice, stopped). Berth keeps the last
10,000 events of each region.

Options:
  --follow, -f         keep printing events as they happen
  --since WHEN         only events from WHEN on: a duration ago (30s, 10m, 2h, 1d) or a
                       time (2026-12-07T05:00:00Z)
  --detail-type TYPE   only events of this detail-type, such as "ECS Task State Change"
  --output json        one event per line, the whole EventBridge envelope as JSON
  --endpoint URL       Berth's endpoint (default $BERTH_ENDPOINT or http://127.0.0.1:8700)

The region is $AWS_REGION (or $AWS_DEFAULT_REGION, else us-east-1). A Berth on another
host needs its join token: set BERTH_TOKEN ('berth token' there shows it).
`,
  async run(argv) {
    const { values } = parse('events', argv, {
      follow: { type: 'boolean', short: 'f' }, since: { type: 'string' }, 'detail-type': { type: 'string' },
      output: { type: 'string' }, endpoint: { type: 'string' },
    });
    if (values.output !== undefined && values.output !== 'json') throw new CliError(`--output takes only json, not '${values.output}'. Run 'berth events --help'.`, 2);
    const endpoint = values.endpoint ?? defaultEndpoint();
    const q = new URLSearchParams({ region: region() });
    if (values.since !== undefined) q.set('since', String(sinceMs(values.since, Date.now())));
    if (values['detail-type'] !== undefined) q.set('detailType', values['detail-type']);
    if (values.follow) q.set('follow', '1');
    const res = await adminFetch(endpoint, `/_berth/events?${q}`);
    const json = values.output === 'json';
    if (!json) process.stdout.write(`${'TIME'.padEnd(24)}  ${'DETAIL TYPE'.padEnd(21)}  RESOURCE / WHAT\n`);
    const decoder = new TextDecoder();
    let partial = '';
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      const lines = (partial + decoder.decode(chunk, { stream: true })).split('\n');
      partial = lines.pop()!;
      for (const line of lines) if (line) process.stdout.write(`${json ? line : describe(JSON.parse(line) as Event)}\n`);
    }
    return 0;
  },
};

/** "10m" → ten minutes before `now`; an ISO time as itself. Epoch ms. */
export function sinceMs(text: string, now: number): number {
  const m = /^(\d+)(s|m|h|d)$/.exec(text);
  if (m) return now - Number(m[1]) * { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 's' | 'm' | 'h' | 'd'];
  const t = Date.parse(text);
  if (!/^\d{4}-\d\d-\d\d/.test(text) || Number.isNaN(t)) throw new CliError(`--since takes a duration (30s, 10m, 2h, 1d) or a time (2026-12-07T05:00:00Z), not '${text}'. Run 'berth events --help'.`, 2);
  return t;
}

function describe(e: Event): string {
  const d = e.detail;
  const what = e['detail-type'] === 'ECS Task State Change'
    ? `task ${String(d.taskArn).split('/').pop()} ${d.lastStatus}/${d.desiredStatus}${d.stopCode ? ` ${d.stopCode}` : ''} (${d.group}, version ${d.version})`
    : e.resources.join(', ');
  return `${e.time.padEnd(24)}  ${e['detail-type'].padEnd(21)}  ${what}`;
}
