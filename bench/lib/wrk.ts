/**
 * wrk (the C load generator) driven from a benchmark: a Lua script that cycles through a
 * fixed list of raw HTTP requests formatted here (so wrk spends no time building them),
 * and a `done` hook that prints the summary as one JSON line to parse.
 *
 * wrk measures latency from the moment a request is written on a connection to the
 * moment its response is read, with a fixed number of connections each keeping one
 * request in flight (closed-loop load).
 */

import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pinned, run } from './processes.ts';

export interface WrkRequest {
  /** POST when absent (the AWS JSON endpoints'). */
  readonly method?: string;
  /** `/` when absent. */
  readonly path?: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export interface WrkOptions {
  readonly url: string;
  /** Requests to cycle through (each a POST to `/` unless it names its method and path). */
  readonly requests: readonly WrkRequest[];
  readonly connections: number;
  readonly threads: number;
  readonly seconds: number;
  /** CPUs wrk is pinned to (taskset list), or undefined to let the kernel place it. */
  readonly cpus: string | undefined;
  /** Where the Lua script is written. */
  readonly workDir: string;
  readonly name: string;
}

export interface WrkResult {
  /** Responses read (any status). */
  readonly requests: number;
  readonly seconds: number;
  readonly requestsPerSecond: number;
  /** Responses with a status of 400 or more (wrk's "Non-2xx or 3xx responses"). */
  readonly errorStatus: number;
  readonly socketErrors: { connect: number; read: number; write: number; timeout: number };
  readonly latencyMs: { mean: number; p50: number; p90: number; p99: number; p999: number; max: number };
}

/** Each wrk thread steps through the request list with this stride, so that consecutive requests name far-apart keys. */
const STRIDE = 7919;
/** wrk counts a request as timed out after this long (its default is 2 s). */
const TIMEOUT = '5s';
const MARK = 'WRK_JSON ';

export async function runWrk(options: WrkOptions): Promise<WrkResult> {
  if (options.requests.length === 0) throw new Error('wrk needs at least one request');
  const script = join(options.workDir, `${options.name}.lua`);
  const requestPath = join(options.workDir, `${options.name}.requests`);
  await writeFile(requestPath, requestFile(options.requests, options.url));
  await writeFile(script, luaScript(requestPath));
  const args = ['-t', String(options.threads), '-c', String(options.connections), '-d', `${options.seconds}s`,
    '--timeout', TIMEOUT, '--latency', '-s', script, options.url];
  const cmd = [...pinned(options.cpus), 'wrk', ...args];
  const { stdout: out, stderr } = await run(cmd[0]!, cmd.slice(1));
  // wrk reports a Lua error on stderr and carries on with plain GETs: never measure those.
  if (stderr.trim()) throw new Error(`wrk (${options.name}) complained:\n${stderr}`);
  const line = out.split('\n').find((l) => l.startsWith(MARK));
  if (!line) throw new Error(`wrk printed no summary:\n${out}`);
  const s = JSON.parse(line.slice(MARK.length)) as {
    requests: number; duration_us: number; status: number; connect: number; read: number; write: number; timeout: number;
    mean: number; p50: number; p90: number; p99: number; p999: number; max: number;
  };
  const ms = (us: number) => us / 1000;
  const seconds = s.duration_us / 1e6;
  return {
    requests: s.requests,
    seconds,
    requestsPerSecond: s.requests / seconds,
    errorStatus: s.status,
    socketErrors: { connect: s.connect, read: s.read, write: s.write, timeout: s.timeout },
    latencyMs: { mean: ms(s.mean), p50: ms(s.p50), p90: ms(s.p90), p99: ms(s.p99), p999: ms(s.p999), max: ms(s.max) },
  };
}

/**
 * The raw HTTP/1.1 requests, each preceded by a line with its length in bytes: what the
 * Lua script reads in `init`. Formatting them here keeps wrk's own work per request to
 * handing over a string.
 */
function requestFile(requests: readonly WrkRequest[], url: string): Buffer {
  const host = new URL(url).host;
  const parts: Buffer[] = [];
  for (const r of requests) {
    const body = Buffer.from(r.body, 'utf8');
    const headers = Object.entries({ ...r.headers, host, 'content-length': String(body.length) })
      .map(([k, v]) => `${headerName(k)}: ${v}\r\n`).join('');
    const raw = Buffer.concat([Buffer.from(`${r.method ?? 'POST'} ${r.path ?? '/'} HTTP/1.1\r\n${headers}\r\n`, 'latin1'), body]);
    parts.push(Buffer.from(`${raw.length}\n`, 'latin1'), raw);
  }
  return Buffer.concat(parts);
}

/** Host, Content-Type, X-Amz-Target: the spelling SDKs put on the wire. */
function headerName(name: string): string {
  return name.replace(/(^|-)([a-z])/g, (_m, dash: string, c: string) => dash + c.toUpperCase());
}

/**
 * The Lua script: reads the request file once per thread in `init`, then `request` hands
 * out the requests round-robin with a stride; each thread starts at its own offset.
 */
function luaScript(requestPath: string): string {
  return `-- generated by bench/lib/wrk.ts
local requests = {}
local n = 0
local i = 0
local counter = 0

function setup(thread)
  thread:set("offset", counter)
  counter = counter + 1
end

function init(args)
  local f = assert(io.open(${JSON.stringify(requestPath)}, "rb"))
  local data = f:read("*a")
  f:close()
  local pos = 1
  while pos <= #data do
    local nl = string.find(data, "\\n", pos, true)
    local len = tonumber(string.sub(data, pos, nl - 1))
    n = n + 1
    requests[n] = string.sub(data, nl + 1, nl + len)
    pos = nl + 1 + len
  end
  i = ((offset or 0) * 131) % n
end

local stride = nil
function request()
  if stride == nil then
    stride = ${STRIDE} % n
    if stride == 0 then stride = 1 end
  end
  i = (i + stride) % n
  return requests[i + 1]
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('${MARK}{"requests":%d,"duration_us":%d,"status":%d,"connect":%d,"read":%d,"write":%d,"timeout":%d,' ..
    '"mean":%.1f,"p50":%d,"p90":%d,"p99":%d,"p999":%d,"max":%d}\\n',
    summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout,
    latency.mean, latency:percentile(50), latency:percentile(90), latency:percentile(99), latency:percentile(99.9), latency.max))
end
`;
}

/**
 * Several measured runs of the same load as one result: counts are summed (so a check of
 * acknowledged writes sees them all), rates and latencies are the median run's, which
 * keeps one run disturbed by the rest of the machine from deciding the figure.
 */
export function combine(runs: readonly WrkResult[]): WrkResult {
  if (runs.length === 0) throw new Error('no wrk runs to combine');
  if (runs.length === 1) return runs[0]!;
  const sum = (f: (r: WrkResult) => number) => runs.reduce((a, r) => a + f(r), 0);
  const median = (f: (r: WrkResult) => number) => {
    const v = runs.map(f).sort((a, b) => a - b);
    const mid = v.length >> 1;
    return v.length % 2 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
  };
  return {
    requests: sum((r) => r.requests),
    seconds: sum((r) => r.seconds),
    requestsPerSecond: median((r) => r.requestsPerSecond),
    errorStatus: sum((r) => r.errorStatus),
    socketErrors: {
      connect: sum((r) => r.socketErrors.connect), read: sum((r) => r.socketErrors.read),
      write: sum((r) => r.socketErrors.write), timeout: sum((r) => r.socketErrors.timeout),
    },
    latencyMs: {
      mean: median((r) => r.latencyMs.mean), p50: median((r) => r.latencyMs.p50), p90: median((r) => r.latencyMs.p90),
      p99: median((r) => r.latencyMs.p99), p999: median((r) => r.latencyMs.p999), max: Math.max(...runs.map((r) => r.latencyMs.max)),
    },
  };
}
