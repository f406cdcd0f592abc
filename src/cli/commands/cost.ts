import { readFileSync } from 'node:fs';
import { adminJson } from '../admin-client.ts';
import { parse } from '../args.ts';
import { CliError } from '../cli-error.ts';
import { defaultEndpoint } from '../defaults.ts';
import { table } from '../listing.ts';
import { DEFAULT_PRICES, DEFAULT_SPOT_DISCOUNT, parsePrices, PriceFileError, type PriceTable } from '../../cost/prices.ts';
import { costReport, GROUP_BY, type CostRow, type GroupBy, type UsageLine } from '../../cost/report.ts';
import type { Command } from './command.ts';

/** What GET /_berth/cost/usage answers (src/server/admin.ts). */
interface UsageAnswer { region: string; since: number; until: number; meterEc2: boolean; lines: UsageLine[]; counted: { stored: number; live: number } }

export const cost: Command = {
  help: `Usage: berth cost [--cluster NAME] [--service NAME] [--since WHEN] [--until WHEN]
                  [--by service|cluster|provider] [--ec2] [--prices FILE] [--region REGION]
                  [--endpoint URL] [--output json]

What the Fargate tasks would have cost on AWS Fargate, and what Fargate Spot saved:
vCPU-hours, GB-hours of memory and GB-hours of ephemeral storage beyond the included
20 GiB, billed as AWS bills them (from the start of the image pull until the task stops,
per second, one minute at least), priced at FARGATE and FARGATE_SPOT prices. Running
tasks count up to now. A task that runs across an edge of the window counts the share
of its usage inside it.

Options:
  --cluster NAME    only this cluster
  --service NAME    only this service's tasks
  --since WHEN      start of the window: a duration back from now (90m, 24h, 7d) or a
                    date/time (2026-12-01, 2026-12-01T08:00:00Z); default 30d
  --until WHEN      end of the window, as --since; default now
  --by KEY          one row per service (default), cluster or provider
  --ec2             count EC2-mode tasks too: what they would have cost on FARGATE, each
                    sized as the smallest Fargate task that holds its cpu and memory
                    (column EC2 AS FARGATE $; their tasks and hours are in the other
                    columns too, their cost is not in TOTAL $; --by provider shows them
                    apart as EC2). Stopped ones are metered only when Berth runs with
                    'berth up --meter-ec2'; without it, only the tasks Berth still holds
                    (running, or stopped within the hour) count
  --prices FILE     prices to use instead of the built-in table (below); default
                    $BERTH_FARGATE_PRICES when set
  --region REGION   the region whose tasks to count (default: Berth's own)
  --endpoint URL    Berth's endpoint (default $BERTH_ENDPOINT or http://127.0.0.1:8700)
  --output json     print the report as JSON

Prices: the built-in table holds AWS's published Linux prices of ${DEFAULT_PRICES.date} for
${Object.keys(DEFAULT_PRICES.regions).join(', ')} (other regions are priced as us-east-1, and the
report says so). Fargate Spot prices move with spare capacity: the table's are an
ESTIMATE, ${Math.round(DEFAULT_SPOT_DISCOUNT * 100)}% off on-demand vCPU and memory. A price file replaces what it names:
  {"date": "2026-12-01", "regions": {"us-east-1": {"FARGATE_SPOT": {"x86_64":
    {"vcpuHour": 0.0125, "gbHour": 0.00137, "storageGbHour": 0.000111}}}}}
(providers FARGATE, FARGATE_SPOT; architectures x86_64, arm64; dollars per hour).

Usage is kept 400 days: per task for 35 days, then as daily sums (a window that reaches
further counts those days by the day their tasks stopped). A Berth on another host needs
its join token: set BERTH_TOKEN.
`,
  async run(argv) {
    const { values } = parse('cost', argv, {
      cluster: { type: 'string' }, service: { type: 'string' }, since: { type: 'string' }, until: { type: 'string' },
      by: { type: 'string' }, ec2: { type: 'boolean' }, prices: { type: 'string' }, region: { type: 'string' }, endpoint: { type: 'string' }, output: { type: 'string' },
    });
    if (values.output !== undefined && values.output !== 'json') throw new CliError(`--output must be json, not '${values.output}'. Run 'berth cost --help'.`, 2);
    const by = (values.by ?? 'service') as GroupBy;
    if (!GROUP_BY.includes(by)) throw new CliError(`--by must be one of ${GROUP_BY.join(', ')}, not '${values.by}'. Run 'berth cost --help'.`, 2);
    const now = Date.now() / 1000;
    const since = values.since === undefined ? undefined : when('since', values.since, now);
    const until = values.until === undefined ? undefined : when('until', values.until, now);
    if (since !== undefined && until !== undefined && since >= until) throw new CliError(`--since (${iso(since)}) must be before --until (${iso(until)}). Run 'berth cost --help'.`, 2);
    // A team that knows its real prices sets them once in the environment.
    const priceFile = values.prices ?? (process.env.BERTH_FARGATE_PRICES || undefined);
    const prices = priceFile === undefined ? DEFAULT_PRICES : pricesFrom(priceFile);
    const query = new URLSearchParams();
    for (const [k, v] of Object.entries({ cluster: values.cluster, service: values.service, region: values.region, since, until, ...(values.ec2 && { ec2: true }) })) {
      if (v !== undefined) query.set(k, String(v));
    }
    const body = await adminJson<UsageAnswer>(values.endpoint ?? defaultEndpoint(), `/_berth/cost/usage?${query}`);
    const report = costReport(body.lines, by, prices);
    if (values.output === 'json') {
      process.stdout.write(`${JSON.stringify({ region: body.region, since: iso(body.since), until: iso(body.until), by, counted: body.counted, meterEc2: body.meterEc2, ...report }, null, 2)}\n`);
      return 0;
    }
    process.stdout.write(`Fargate cost in ${body.region}, ${iso(body.since)} to ${iso(body.until)}; prices of ${report.prices.date} (${report.prices.source})\n`);
    for (const [region, as] of report.pricedAs) process.stdout.write(`No prices for ${region}: priced as ${as}.\n`);
    const ec2 = values.ec2 === true;
    if (ec2 && !body.meterEc2) process.stdout.write("EC2-mode tasks are not metered (start Berth with 'berth up --meter-ec2'): only the ones still held, running or stopped within the hour, are counted.\n");
    process.stdout.write(table(
      [by.toUpperCase(), 'TASKS', 'VCPU-HOURS', 'GB-HOURS', 'STORAGE GB-HOURS', 'FARGATE $', 'SPOT $', 'TOTAL $', 'SPOT SAVED $', ...(ec2 ? ['EC2 AS FARGATE $'] : [])],
      [...report.rows, report.total].map((r) => [...cells(r), ...(ec2 ? [dollars(r.ec2AsFargateCost)] : [])]),
    ));
    return 0;
  },
};

function cells(r: CostRow): string[] {
  return [r.group, String(r.tasks), hours(r.vcpuHours), hours(r.gbHours), hours(r.storageGbHours), dollars(r.fargateCost), dollars(r.spotCost), dollars(r.totalCost), dollars(r.spotSavings)];
}

const hours = (h: number) => h.toFixed(3);
const dollars = (d: number) => d.toFixed(4);
const iso = (s: number) => new Date(s * 1000).toISOString().replace(/\.000Z$/, 'Z');

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** Epoch seconds of a --since/--until: a duration back from now (90m, 24h, 7d) or a date/time. */
function when(name: string, v: string, now: number): number {
  const d = /^(\d+(?:\.\d+)?)([smhd])$/.exec(v);
  if (d) return now - Number(d[1]) * UNIT_SECONDS[d[2]!]!;
  const t = /^\d{4}-\d{2}-\d{2}(T.*)?$/.test(v) ? Date.parse(/T/.test(v) && !/(Z|[+-]\d{2}:?\d{2})$/.test(v) ? `${v}Z` : v) : NaN;
  if (Number.isNaN(t)) throw new CliError(`--${name} must be a duration back from now (90m, 24h, 7d) or a date/time (2026-12-01, 2026-12-01T08:00:00Z), not '${v}'. Run 'berth cost --help'.`, 2);
  return t / 1000;
}

function pricesFrom(file: string): PriceTable {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new CliError(`cannot read --prices ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}.`, 2);
  }
  try {
    return parsePrices(text);
  } catch (err) {
    if (err instanceof PriceFileError) throw new CliError(`--prices ${file}: ${err.message}. Run 'berth cost --help' for the format.`, 2);
    throw err;
  }
}
