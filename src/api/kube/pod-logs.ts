/**
 * `GET pods/<name>/log`: the PodLogOptions of the query, checked as the API server checks them,
 * and the container's log (the agent's k8s-file lines, src/agent/log-stream.ts) turned into
 * what the kubelet answers: each record's text, the runtime's timestamp first with
 * `timestamps`, partial records (`P`) joined, only records since `sinceSeconds|sinceTime`, the
 * last `tailLines`, at most `limitBytes`. Pure: the route (pod-streams.ts) feeds it text.
 */
import type { FieldError } from '../../core/kube/names.ts';

export interface LogOptions {
  readonly container: string | undefined;
  readonly follow: boolean;
  readonly previous: boolean;
  readonly timestamps: boolean;
  /** Epoch ms: records before it are left out (sinceSeconds counted back from the request, or sinceTime). */
  readonly since: number | undefined;
  readonly tailLines: number | undefined;
  readonly limitBytes: number | undefined;
}

/**
 * Lines `tailLines` may keep while the log is read (each at most one record): a tail larger
 * than this answers this many, so a huge tail cannot hold a huge log in memory.
 */
export const MAX_TAIL_LINES = 100_000;
/** A record longer than this (joined from partial lines) is cut: conmon splits lines at 8 KiB, a writer without newlines would grow it forever. */
export const MAX_RECORD_BYTES = 1024 * 1024;

const isTrue = (v: string | null): boolean => v === 'true' || v === '1';

/** The query's options, or the field errors the API server's validation gives (422 PodLogOptions). */
export function parseLogOptions(query: URLSearchParams, now: number): LogOptions | FieldError[] {
  const errors: FieldError[] = [];
  const bad = (field: string, value: string | number, detail: string): FieldError =>
    ({ reason: 'FieldValueInvalid', field, message: `Invalid value: ${JSON.stringify(value)}: ${detail}` });
  const int = (field: string, min: number, words: string): number | undefined => {
    const raw = query.get(field);
    if (raw === null) return undefined;
    const n = Number(raw);
    if (!/^-?\d+$/.test(raw) || !Number.isSafeInteger(n)) {
      errors.push(bad(field, raw, 'must be an integer'));
      return undefined;
    }
    if (n < min) errors.push(bad(field, n, words));
    return n;
  };
  const tailLines = int('tailLines', 0, 'must be greater than or equal to 0');
  const limitBytes = int('limitBytes', 1, 'must be greater than 0');
  const sinceSeconds = int('sinceSeconds', 1, 'must be greater than 0');
  const sinceTime = query.get('sinceTime');
  let since: number | undefined;
  if (sinceTime !== null) {
    since = Date.parse(sinceTime);
    if (Number.isNaN(since)) errors.push(bad('sinceTime', sinceTime, 'must be an RFC3339 time'));
  }
  if (sinceSeconds !== undefined && sinceTime !== null) errors.push({ reason: 'FieldValueForbidden', field: '', message: 'Forbidden: at most one of `sinceTime` or `sinceSeconds` may be specified' });
  if (errors.length > 0) return errors;
  if (sinceSeconds !== undefined) since = now - sinceSeconds * 1000;
  return {
    container: query.get('container') ?? undefined,
    follow: isTrue(query.get('follow')),
    previous: isTrue(query.get('previous')),
    timestamps: isTrue(query.get('timestamps')),
    since, tailLines, limitBytes,
  };
}

/** One k8s-file record: `<RFC3339Nano> stdout|stderr F|P <text>`; a line in another shape (a sandbox's raw log) is its own full record. */
export function parseRecord(line: string): { time: string | undefined; stream: 'stdout' | 'stderr'; partial: boolean; text: string } {
  const m = /^(\d{4}-\d\d-\d\dT\S+) (stdout|stderr) ([FP]) ?(.*)$/s.exec(line);
  if (!m) return { time: undefined, stream: 'stdout', partial: false, text: line };
  return { time: m[1], stream: m[2] as 'stdout' | 'stderr', partial: m[3] === 'P', text: m[4]! };
}

/** The kubelet's timestamp: RFC3339 with nanoseconds, in UTC. */
function kubeletTime(time: string): string {
  const ms = Date.parse(time);
  if (Number.isNaN(ms)) return time;
  const nanos = /\.(\d+)/.exec(time)?.[1]?.padEnd(9, '0').slice(0, 9) ?? '000000000';
  return `${new Date(ms).toISOString().slice(0, 19)}.${nanos}Z`;
}

/**
 * Turns the agent's log text into the answer's bytes as it arrives. `write` gets output as
 * soon as it may be sent (with a tail: once the log read so far is all in, `flush`); `done`
 * says the limit was reached and nothing more should be read.
 */
export class LogFilter {
  readonly #o: LogOptions;
  readonly #write: (text: string) => void;
  #rest = '';
  #record = '';
  #recordTime: string | undefined;
  #sent = 0;
  /** With tailLines: the last lines so far, until flush (bounded by MAX_TAIL_LINES). */
  #tail: string[] | undefined;
  #done = false;

  constructor(options: LogOptions, write: (text: string) => void) {
    this.#o = options;
    this.#write = write;
    if (options.tailLines !== undefined) this.#tail = [];
  }

  get done(): boolean {
    return this.#done;
  }

  push(text: string): void {
    if (this.#done) return;
    const lines = (this.#rest + text).split('\n');
    this.#rest = lines.pop()!;
    for (const line of lines) this.#line(line);
  }

  /** The log read so far is all in: a tail is sent now, and what follows streams line by line. */
  flush(): void {
    if (!this.#tail) return;
    const tail = this.#tail;
    this.#tail = undefined;
    for (const out of tail.slice(Math.max(0, tail.length - this.#o.tailLines!))) this.#emit(out);
  }

  #line(line: string): void {
    if (line === '') return;
    const r = parseRecord(line);
    if (this.#record === '') this.#recordTime = r.time;
    this.#record = (this.#record + r.text).slice(0, MAX_RECORD_BYTES);
    if (r.partial) return;
    const text = this.#record;
    const time = this.#recordTime;
    this.#record = '';
    if (this.#o.since !== undefined && time !== undefined && Date.parse(time) < this.#o.since) return;
    const out = `${this.#o.timestamps && time ? `${kubeletTime(time)} ` : ''}${text}\n`;
    if (this.#tail) {
      this.#tail.push(out);
      if (this.#tail.length > Math.min(this.#o.tailLines!, MAX_TAIL_LINES)) this.#tail.shift();
      return;
    }
    this.#emit(out);
  }

  #emit(out: string): void {
    if (this.#done) return;
    const limit = this.#o.limitBytes;
    if (limit !== undefined) {
      const bytes = Buffer.from(out);
      if (this.#sent + bytes.length >= limit) {
        this.#write(bytes.subarray(0, limit - this.#sent).toString('utf8'));
        this.#sent = limit;
        this.#done = true;
        return;
      }
      this.#sent += bytes.length;
    }
    this.#write(out);
  }
}
