/**
 * The price table: dollars per vCPU-hour, per GB-hour of memory and per GB-hour of
 * ephemeral storage beyond the included 20 GB, per region, capacity provider (FARGATE,
 * FARGATE_SPOT) and CPU architecture (Linux/x86_64, Linux/arm64).
 *
 * The defaults are AWS's published Linux prices (aws.amazon.com/fargate/pricing) as of
 * {@link DEFAULT_PRICES_DATE}: in us-east-1, us-east-2, us-west-2 and eu-west-1, $0.04048 per
 * vCPU-hour and $0.004445 per GB-hour on x86, $0.03238 and $0.00356 on ARM (Graviton), and
 * $0.000111 per GB-hour of storage. (The pricing page renders its regional table in the
 * browser; these figures are the ones cost guides quoted from it in March 2026, unchanged
 * for x86 since 2019. Other regions cost 10–30% more: give them in a price file.) Fargate Spot's prices change with spare capacity and are
 * not a fixed list; the default is an ESTIMATE: AWS's "up to a 70% discount off the regular
 * Fargate price" taken whole ({@link DEFAULT_SPOT_DISCOUNT}) on vCPU and memory, storage at
 * the on-demand price. AWS offers no Spot for ARM; Berth can run such a task, and prices it
 * with the same discount. Anyone with a real bill overrides the table with a file
 * (`berth cost --prices FILE`, {@link parsePrices}).
 */
import type { Arch, Provider, Usage } from './billing.ts';

export const DEFAULT_PRICES_DATE = '2026-03-01';
/** Spot's default discount on vCPU and memory: AWS's "up to 70%", an estimate (see above). */
export const DEFAULT_SPOT_DISCOUNT = 0.7;
/** The region whose prices a region missing from the table is priced at (the report says so). */
export const FALLBACK_PRICE_REGION = 'us-east-1';

/** Dollars per hour of one unit of each billed dimension. */
export interface Rate {
  readonly vcpuHour: number;
  readonly gbHour: number;
  readonly storageGbHour: number;
}

export type RegionPrices = Readonly<Record<Provider, Readonly<Record<Arch, Rate>>>>;

export interface PriceTable {
  /** When the prices were taken (YYYY-MM-DD). */
  readonly date: string;
  /** Where they come from, for the reader of a report. */
  readonly source: string;
  readonly regions: Readonly<Record<string, RegionPrices>>;
}

const X86: Rate = { vcpuHour: 0.04048, gbHour: 0.004445, storageGbHour: 0.000111 };
const ARM: Rate = { vcpuHour: 0.03238, gbHour: 0.00356, storageGbHour: 0.000111 };
const spotOf = (r: Rate): Rate => ({
  vcpuHour: round(r.vcpuHour * (1 - DEFAULT_SPOT_DISCOUNT)), gbHour: round(r.gbHour * (1 - DEFAULT_SPOT_DISCOUNT)), storageGbHour: r.storageGbHour,
});
const round = (n: number) => Number(n.toPrecision(6));
const published: RegionPrices = { FARGATE: { x86_64: X86, arm64: ARM }, FARGATE_SPOT: { x86_64: spotOf(X86), arm64: spotOf(ARM) } };

export const DEFAULT_PRICES: PriceTable = {
  date: DEFAULT_PRICES_DATE,
  source: 'aws.amazon.com/fargate/pricing (Linux, on-demand); FARGATE_SPOT estimated at a 70% discount',
  regions: { 'us-east-1': published, 'us-east-2': published, 'us-west-2': published, 'eu-west-1': published },
};

/** The rate of one region, provider and architecture; `region` says which region's table it came from. */
export function rateOf(table: PriceTable, region: string, provider: Provider, arch: Arch): { rate: Rate; region: string } {
  const own = table.regions[region];
  if (own) return { rate: own[provider][arch], region };
  const fallback = table.regions[FALLBACK_PRICE_REGION] ?? DEFAULT_PRICES.regions[FALLBACK_PRICE_REGION]!;
  return { rate: fallback[provider][arch], region: FALLBACK_PRICE_REGION };
}

/** Dollars for `usage` at `rate`. */
export function priceOf(usage: Pick<Usage, 'vcpuSeconds' | 'gbSeconds' | 'storageGbSeconds'>, rate: Rate): number {
  return (usage.vcpuSeconds * rate.vcpuHour + usage.gbSeconds * rate.gbHour + usage.storageGbSeconds * rate.storageGbHour) / 3600;
}

/** A price file that cannot be used: `message` is one line that says what to fix. */
export class PriceFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PriceFileError';
  }
}

const PROVIDERS: readonly Provider[] = ['FARGATE', 'FARGATE_SPOT'];
const ARCHES: readonly Arch[] = ['x86_64', 'arm64'];
const RATE_FIELDS: readonly (keyof Rate)[] = ['vcpuHour', 'gbHour', 'storageGbHour'];
/** A region name as AWS spells them (us-east-1, ap-southeast-2, us-gov-west-1). */
const REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/;
/** The most a price file may name, so a wrong file cannot make the table unbounded. */
export const MAX_PRICE_REGIONS = 100;

/**
 * A price file: `{ "date"?, "source"?, "regions": { REGION: { PROVIDER: { ARCH: { vcpuHour?,
 * gbHour?, storageGbHour? } } } } }`. What it names replaces the defaults, field by field;
 * a region the defaults lack starts from us-east-1's prices. Anything else is refused with
 * the path of what is wrong.
 */
export function parsePrices(text: string, base: PriceTable = DEFAULT_PRICES): PriceTable {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new PriceFileError(`not JSON: ${(err as Error).message}`);
  }
  const obj = (v: unknown, path: string): Record<string, unknown> => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new PriceFileError(`${path} must be an object`);
    return v as Record<string, unknown>;
  };
  const only = (o: Record<string, unknown>, allowed: readonly string[], path: string) => {
    for (const k of Object.keys(o)) if (!allowed.includes(k)) throw new PriceFileError(`${path}.${k} is not a field: use ${allowed.join(', ')}`);
  };
  const root = obj(doc, 'the file');
  only(root, ['date', 'source', 'regions'], '$');
  for (const f of ['date', 'source'] as const) {
    if (root[f] !== undefined && typeof root[f] !== 'string') throw new PriceFileError(`$.${f} must be a string`);
  }
  if (typeof root.date === 'string' && !/^\d{4}-\d{2}-\d{2}$/.test(root.date)) throw new PriceFileError(`$.date must be YYYY-MM-DD, not '${root.date}'`);
  const regionsIn = obj(root.regions, '$.regions');
  if (Object.keys(regionsIn).length > MAX_PRICE_REGIONS) throw new PriceFileError(`$.regions names more than ${MAX_PRICE_REGIONS} regions`);
  const regions: Record<string, RegionPrices> = { ...base.regions };
  for (const [region, v] of Object.entries(regionsIn)) {
    if (!REGION.test(region)) throw new PriceFileError(`$.regions.${region} is not a region name (like us-east-1)`);
    const from = regions[region] ?? base.regions[FALLBACK_PRICE_REGION] ?? published;
    const byProvider = obj(v, `$.regions.${region}`);
    only(byProvider, PROVIDERS, `$.regions.${region}`);
    const out: Record<string, Record<string, Rate>> = { FARGATE: { ...from.FARGATE }, FARGATE_SPOT: { ...from.FARGATE_SPOT } };
    for (const [provider, pv] of Object.entries(byProvider)) {
      const byArch = obj(pv, `$.regions.${region}.${provider}`);
      only(byArch, ARCHES, `$.regions.${region}.${provider}`);
      for (const [arch, av] of Object.entries(byArch)) {
        const path = `$.regions.${region}.${provider}.${arch}`;
        const rate = obj(av, path);
        only(rate, RATE_FIELDS, path);
        for (const [f, n] of Object.entries(rate)) {
          if (typeof n !== 'number' || !Number.isFinite(n) || n < 0) throw new PriceFileError(`${path}.${f} must be a number of dollars ≥ 0, not ${JSON.stringify(n)}`);
        }
        out[provider]![arch] = { ...out[provider]![arch]!, ...(rate as Partial<Rate>) };
      }
    }
    regions[region] = out as unknown as RegionPrices;
  }
  return {
    date: typeof root.date === 'string' ? root.date : base.date,
    source: typeof root.source === 'string' ? root.source : 'price file',
    regions,
  };
}
