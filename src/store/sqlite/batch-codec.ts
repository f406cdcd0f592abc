/**
 * What crosses between the main thread and the store's writer worker (writer-worker.ts),
 * packed so that a batch is copied once and handed over, not cloned object by object.
 *
 *   main ── EncodedBatch ──▶ worker      nums  Float64Array  per txn: conditions, ops; each
 *            (transferred)                                   condition's modRevision, op's type
 *                                         ends  Uint32Array   where each string ends in `bytes`
 *                                         bytes Uint8Array    every key and value, UTF-8, in order
 *   main ◀── EncodedApplied ── worker    nums  per txn: kind, revision, strings, events;
 *                                               per event: type, createRevision, version
 *                                         strings  failed keys, error messages, deleted keys
 *
 * Values never come back: the main thread rebuilds each put's event from its own op, so an
 * event carries the very string the writer put (parsed-values.ts relies on that identity).
 */
import type { Op, Txn, TxnResult, WatchEvent } from '../store.ts';
import type { AppliedBatch } from './apply-batch.ts';

export interface EncodedBatch {
  readonly nums: Float64Array;
  readonly ends: Uint32Array;
  readonly bytes: Uint8Array;
}

export interface EncodedApplied {
  readonly nums: Float64Array;
  readonly strings: readonly string[];
}

const OP_PUT = 0;
const OP_DELETE = 1;
const OP_DELETE_PREFIX = 2;
const RESULT_OK = 0;
const RESULT_FAILED = 1;
const RESULT_ERROR = 2;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The batch as three typed arrays (their buffers are what postMessage transfers). */
export function encodeBatch(txns: readonly Txn[]): EncodedBatch {
  const nums: number[] = [txns.length];
  const strings: string[] = [];
  let chars = 0;
  const str = (s: string) => { strings.push(s); chars += s.length; };
  for (const txn of txns) {
    const conds = txn.if ?? [];
    nums.push(conds.length, txn.ops.length);
    for (const c of conds) { nums.push(c.modRevision); str(c.key); }
    for (const op of txn.ops) {
      if (op.type === 'put') { nums.push(OP_PUT); str(op.key); str(op.value); }
      else if (op.type === 'delete') { nums.push(OP_DELETE); str(op.key); }
      else { nums.push(OP_DELETE_PREFIX); str(op.prefix); }
    }
  }
  // Stored JSON is ASCII but for user text: one byte a character, grown if not.
  let bytes = new Uint8Array(chars + 1024);
  const ends = new Uint32Array(strings.length);
  let at = 0;
  for (let i = 0; i < strings.length; i++) {
    const s = strings[i]!;
    for (;;) {
      const r = encoder.encodeInto(s, bytes.subarray(at));
      if (r.read === s.length) { at += r.written; break; }
      const grown = new Uint8Array(Math.max(bytes.length * 2, at + s.length * 3));
      grown.set(bytes.subarray(0, at));
      bytes = grown;
    }
    ends[i] = at;
  }
  return { nums: Float64Array.from(nums), ends, bytes: bytes.subarray(0, at) };
}

/** The transactions of an encoded batch (in the worker). */
export function decodeBatch(b: EncodedBatch): Txn[] {
  let n = 0;
  let k = 0;
  let start = 0;
  const str = () => { const end = b.ends[k++]!; const s = decoder.decode(b.bytes.subarray(start, end)); start = end; return s; };
  const txns: Txn[] = [];
  const count = b.nums[n++]!;
  for (let t = 0; t < count; t++) {
    const nConds = b.nums[n++]!;
    const nOps = b.nums[n++]!;
    const conds = [];
    for (let i = 0; i < nConds; i++) conds.push({ modRevision: b.nums[n++]!, key: str() });
    const ops: Op[] = [];
    for (let i = 0; i < nOps; i++) {
      const type = b.nums[n++]!;
      if (type === OP_PUT) { const key = str(); ops.push({ type: 'put', key, value: str() }); }
      else if (type === OP_DELETE) ops.push({ type: 'delete', key: str() });
      else ops.push({ type: 'deletePrefix', prefix: str() });
    }
    txns.push(nConds ? { if: conds, ops } : { ops });
  }
  return txns;
}

/** An applied batch without its values (in the worker). */
export function encodeApplied(a: AppliedBatch): EncodedApplied {
  const nums: number[] = [];
  const strings: string[] = [];
  let e = 0;
  a.results.forEach((r, i) => {
    const count = a.eventCounts[i]!;
    if (r instanceof Error) { nums.push(RESULT_ERROR, 0, 1, count); strings.push(r.message); }
    else if (!r.ok) { nums.push(RESULT_FAILED, r.revision, r.failed.length, count); strings.push(...r.failed); }
    else nums.push(RESULT_OK, r.revision, 0, count);
    for (const end = e + count; e < end; e++) {
      const ev = a.events[e]!;
      if (ev.type === 'put') nums.push(OP_PUT, ev.kv.createRevision, ev.kv.version);
      else { nums.push(OP_DELETE, 0, 0); strings.push(ev.kv.key); }
    }
  });
  return { nums: Float64Array.from(nums), strings };
}

/** The applied batch again, each put's event built from its op in `txns` (on the main thread). */
export function decodeApplied(enc: EncodedApplied, txns: readonly Txn[]): AppliedBatch {
  const results: (TxnResult | Error)[] = [];
  const events: WatchEvent[] = [];
  const eventCounts: number[] = [];
  let n = 0;
  let k = 0;
  for (const txn of txns) {
    const kind = enc.nums[n++]!;
    const revision = enc.nums[n++]!;
    const nStrings = enc.nums[n++]!;
    const count = enc.nums[n++]!;
    if (kind === RESULT_ERROR) results.push(new Error(enc.strings[k++]));
    else if (kind === RESULT_FAILED) { results.push({ ok: false, revision, failed: enc.strings.slice(k, k + nStrings) }); k += nStrings; }
    else results.push({ ok: true, revision });
    eventCounts.push(count);
    // The k-th put event is the txn's k-th put op: a put always makes exactly one.
    let op = 0;
    for (let i = 0; i < count; i++) {
      const type = enc.nums[n++]!;
      const createRevision = enc.nums[n++]!;
      const version = enc.nums[n++]!;
      if (type === OP_PUT) {
        while (txn.ops[op]!.type !== 'put') op++;
        const put = txn.ops[op++] as Extract<Op, { type: 'put' }>;
        events.push({ type: 'put', revision, kv: { key: put.key, value: put.value, createRevision, modRevision: revision, version } });
      } else {
        events.push({ type: 'delete', revision, kv: { key: enc.strings[k++]!, value: '', createRevision: 0, modRevision: revision, version: 0 } });
      }
    }
  }
  return { results, events, eventCounts };
}
