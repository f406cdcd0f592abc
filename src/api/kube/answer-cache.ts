/**
 * Objects' JSON as a GET answers it (stored-object.ts's `withResourceVersion`), as bytes, kept
 * by store key and modRevision. A key's value at one modRevision never changes, so an entry
 * is either exactly the answer or for another revision (then replaced): no invalidation. A
 * GET checks the key's modRevision (the store's index, not the value) and writes the Buffer
 * it holds; a LIST reads keys and revisions only (the store's keys-only list) and joins the
 * Buffers. Measured on the kube-api bench (bench/README.md): the string splice, its UTF-8
 * encoding per request and the values' copies out of SQLite were most of a GET's and a
 * LIST's CPU beside the TLS write.
 */
import { Lru } from '../../lib/lru.ts';
import type { RawListPage } from './storage-backend.ts';

/** Bytes of answers kept per cluster's API server: every object of a cluster of 10,000 pods of 3 KB. */
export const MAX_ANSWER_BYTES = 32 * 1024 * 1024;
/** Answers kept per cluster's API server at most: small objects (a 300-byte lease) are bounded by count. */
export const MAX_ANSWERS = 50_000;
/** What an entry costs besides its bytes: the key string, the Buffer object, the entry and the map slot. */
const ENTRY_OVERHEAD_BYTES = 200;

interface Entry {
  readonly modRevision: number;
  readonly answer: Buffer;
}

export class AnswerCache {
  readonly #lru = new Lru<string, Entry>({
    maxEntries: MAX_ANSWERS,
    maxWeight: MAX_ANSWER_BYTES,
    weigh: (e, key) => e.answer.length + key.length + ENTRY_OVERHEAD_BYTES,
  });

  /** The answer for `key` at `modRevision`, if this is the revision kept. */
  get(key: string, modRevision: number): Buffer | undefined {
    const e = this.#lru.get(key);
    return e !== undefined && e.modRevision === modRevision ? e.answer : undefined;
  }

  /** Keeps `answer` (text) for `key` at `modRevision`; returns its bytes. */
  set(key: string, modRevision: number, answer: string): Buffer {
    const bytes = ownBytes(answer);
    this.#lru.set(key, { modRevision, answer: bytes });
    return bytes;
  }

  get size(): number {
    return this.#lru.size;
  }

  get bytes(): number {
    return this.#lru.weight;
  }
}

/**
 * The text's UTF-8 bytes in a memory block of their own: `Buffer.from` puts short strings in
 * a shared 8 KiB pool slab, which one kept slice would hold whole, beyond what the cache counts.
 */
function ownBytes(text: string): Buffer {
  const b = Buffer.allocUnsafeSlow(Buffer.byteLength(text));
  b.write(text);
  return b;
}

/** Whole lists kept per cluster's API server (ListCache): the kinds and namespaces listed lately. */
export const MAX_LISTS = 64;
/**
 * Bytes of whole lists kept per cluster's API server: their items' answers (mostly the answer
 * cache's own Buffers, shared), and as much again for each list's joined answer (listAnswer).
 */
export const MAX_LIST_BYTES = 32 * 1024 * 1024;

interface ListEntry {
  readonly revision: number;
  readonly page: RawListPage;
  readonly bytes: number;
}

/**
 * Whole lists (no limit, no continue token) by their key prefix, as read at one store
 * revision. The store's revision moves with every write, so while it is the one a list was
 * read at, nothing anywhere changed and the list is the same page: answered without reading
 * the store again (a LIST of 1,000 objects otherwise reads 1,000 keys). Any write, here or
 * elsewhere, makes the next LIST read again (the answer cache still saves its values).
 */
export class ListCache {
  readonly #lru = new Lru<string, ListEntry>({ maxEntries: MAX_LISTS, maxWeight: MAX_LIST_BYTES, weigh: (e, key) => e.bytes + key.length });

  get(prefix: string, revision: number): RawListPage | undefined {
    const e = this.#lru.get(prefix);
    return e !== undefined && e.revision === revision ? e.page : undefined;
  }

  set(prefix: string, revision: number, page: RawListPage): void {
    let bytes = 0;
    for (const i of page.items) bytes += i.length;
    this.#lru.set(prefix, { revision, page, bytes });
  }

  /**
   * The whole list under `prefix`: the one kept while the store's revision is the one it was
   * read at, else `read` — and kept only when no write landed while it was read (then it is
   * the list at that revision).
   */
  async whole(prefix: string, revision: () => Promise<number>, read: () => Promise<RawListPage>): Promise<RawListPage> {
    const before = await revision();
    const kept = this.get(prefix, before);
    if (kept) return kept;
    const page = await read();
    if (page.resourceVersion === String(before) && await revision() === before) this.set(prefix, before, page);
    return page;
  }
}

/**
 * A LIST's answer for `page`: kept beside the page while it lives (a WeakMap: bounded by what
 * keeps pages, the ListCache), so the same page kept is answered with the same bytes.
 */
const listAnswers = new WeakMap<RawListPage, { readonly kind: string; readonly apiVersion: string; readonly answer: Buffer }>();

export function listAnswer(kind: string, apiVersion: string, page: RawListPage): Buffer {
  const kept = listAnswers.get(page);
  if (kept?.kind === kind && kept.apiVersion === apiVersion) return kept.answer;
  const meta = JSON.stringify({ resourceVersion: page.resourceVersion, ...(page.continueToken !== undefined && { continue: page.continueToken }) });
  const answer = joinAnswer(`{"kind":"${kind}List","apiVersion":"${apiVersion}","metadata":${meta},"items":[`, page.items, ']}');
  listAnswers.set(page, { kind, apiVersion, answer });
  return answer;
}

/** One answer of `head`, the items separated by commas, and `tail`: a LIST's JSON, copied once. */
export function joinAnswer(head: string, items: readonly (string | Buffer)[], tail: string): Buffer {
  const parts = items.map((i) => (typeof i === 'string' ? Buffer.from(i) : i));
  let size = Buffer.byteLength(head) + Buffer.byteLength(tail) + Math.max(0, parts.length - 1);
  for (const p of parts) size += p.length;
  const out = Buffer.allocUnsafe(size);
  let at = out.write(head);
  for (let i = 0; i < parts.length; i++) {
    if (i > 0) out[at++] = COMMA;
    at += parts[i]!.copy(out, at);
  }
  out.write(tail, at);
  return out;
}

const COMMA = 0x2c;
