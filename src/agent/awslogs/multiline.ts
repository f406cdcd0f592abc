/**
 * Multiline events, as Docker's awslogs driver makes them: with `awslogs-multiline-pattern`
 * or `awslogs-datetime-format`, a line that matches starts a new event and the lines that
 * do not are added to the event before them (joined with "\n"). The event is complete when
 * the next one starts, or when no line has come for the flush interval.
 *
 * `awslogs-datetime-format` is a strftime format: Docker turns it into a regex anchored at
 * the line's start with a fixed table, reproduced here. No npm package does this (the
 * strftime packages format dates, and strptime-style parsers want the whole string to be
 * a date, not a line that starts with one).
 */

/**
 * Docker's table: each strftime directive and the text it matches. Its ranges are written
 * here as meant ([1-4], [0-5]): Docker's own are typed with commas ([1,4], [0,5]), which
 * leave out days 361-365 of %j and weeks 20-39 of %U and %W.
 */
const DIRECTIVES: Readonly<Record<string, string>> = {
  a: '(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)',
  A: '(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)',
  b: '(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)',
  B: '(?:January|February|March|April|May|June|July|August|September|October|November|December)',
  d: '(?:0[1-9]|[12][0-9]|3[01])',
  f: '\\d{6}',
  H: '(?:[01][0-9]|2[0-3])',
  I: '(?:0[0-9]|1[0-2])',
  j: '(?:00[1-9]|0[1-9][0-9]|[12][0-9][0-9]|3[0-5][0-9]|36[0-6])',
  L: '\\.\\d{3}',
  m: '(?:0[1-9]|1[0-2])',
  M: '[0-5][0-9]',
  p: '[AP]M',
  S: '[0-5][0-9]',
  U: '(?:0[0-9]|[1-4][0-9]|5[0-3])',
  w: '[0-6]',
  W: '(?:0[0-9]|[1-4][0-9]|5[0-3])',
  y: '\\d{2}',
  Y: '\\d{4}',
  z: '[+-]\\d{4}',
  Z: '[A-Z]{1,4}T',
  '%': '%',
};

/** The regex a line must match at its start to begin an event, for a strftime format. */
export function datetimeRegex(format: string): RegExp {
  let out = '';
  for (let i = 0; i < format.length; i++) {
    const c = format[i]!;
    if (c === '%' && i + 1 < format.length && DIRECTIVES[format[i + 1]!] !== undefined) {
      out += DIRECTIVES[format[++i]!];
    } else {
      out += c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    }
  }
  return new RegExp(`^${out}`);
}

/** One line or event, with where it ends in the container's output (the producer offset). */
export interface Line {
  readonly timestamp: number;
  readonly message: string;
  readonly end: number;
}

/**
 * Joins lines into events by a start pattern. Pure: the caller gives each line and asks for
 * the pending event when the flush interval passed (`flush`).
 */
export class MultilineJoiner {
  readonly #start: RegExp;
  #pending: { timestamp: number; parts: string[]; end: number } | undefined;

  constructor(start: RegExp) {
    this.#start = start;
  }

  /** Takes a line; answers the event it completed, if any. */
  push(line: Line): Line | undefined {
    if (this.#pending && !this.#start.test(line.message)) {
      this.#pending.parts.push(line.message);
      this.#pending.end = line.end;
      return undefined;
    }
    const done = this.flush();
    this.#pending = { timestamp: line.timestamp, parts: [line.message], end: line.end };
    return done;
  }

  /** The event being built, now complete (the flush interval passed, or the output ended). */
  flush(): Line | undefined {
    const p = this.#pending;
    this.#pending = undefined;
    return p && { timestamp: p.timestamp, message: p.parts.join('\n'), end: p.end };
  }

  get pending(): boolean {
    return this.#pending !== undefined;
  }
}
