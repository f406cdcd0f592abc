import { test } from 'node:test';
import assert from 'node:assert/strict';
import { commonPrefixOf, listPage, type ListParams, type RecordSource } from './listing.ts';
import type { ObjectRecord } from './records.ts';

const record = (key: string): ObjectRecord => ({ key, blob: '', size: 1, etag: '""', lastModified: 0, headers: {}, metadata: {} });

/** An in-memory bucket, listed in UTF-8 byte order like the store, under a prefix. */
function source(keys: string[], prefix = ''): RecordSource {
  const sorted = keys.filter((k) => k.startsWith(prefix)).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  return async (after, limit) => {
    const rest = after === undefined ? sorted : sorted.filter((k) => Buffer.compare(Buffer.from(k), Buffer.from(after)) > 0);
    return { items: rest.slice(0, limit).map(record), more: rest.length > limit };
  };
}

const KEYS = ['a.txt', 'photos/2024/a.jpg', 'photos/2024/b.jpg', 'photos/2025/c.jpg', 'photos/top.jpg', 'videos/x.mp4', 'z.txt'];

async function list(keys: string[], p: Partial<ListParams>) {
  const params = { prefix: '', delimiter: undefined, maxKeys: 1000, marker: undefined, ...p };
  const page = await listPage(source(keys, params.prefix), params);
  return { keys: page.contents.map((c) => c.key), prefixes: page.commonPrefixes, truncated: page.truncated, last: page.last };
}

test('without a delimiter every key under the prefix, in order', async () => {
  assert.deepEqual((await list(KEYS, { prefix: 'photos/' })).keys, ['photos/2024/a.jpg', 'photos/2024/b.jpg', 'photos/2025/c.jpg', 'photos/top.jpg']);
});

test('a delimiter rolls keys up into common prefixes, each listed once', async () => {
  assert.deepEqual(await list(KEYS, { delimiter: '/' }), { keys: ['a.txt', 'z.txt'], prefixes: ['photos/', 'videos/'], truncated: false, last: 'z.txt' });
  assert.deepEqual(await list(KEYS, { prefix: 'photos/', delimiter: '/' }), { keys: ['photos/top.jpg'], prefixes: ['photos/2024/', 'photos/2025/'], truncated: false, last: 'photos/top.jpg' });
});

test('max-keys counts keys and prefixes; the pages, followed by their last entry, list everything once', async () => {
  const seen: string[] = [];
  let marker: string | undefined;
  let pages = 0;
  for (;;) {
    const page = await list(KEYS, { delimiter: '/', maxKeys: 1, marker });
    pages++;
    seen.push(...page.keys, ...page.prefixes);
    if (!page.truncated) break;
    marker = page.last;
  }
  assert.deepEqual(seen, ['a.txt', 'photos/', 'videos/', 'z.txt']);
  assert.equal(pages, 4);
});

test('a marker inside a rolled-up prefix does not list that prefix again', async () => {
  assert.deepEqual(await list(KEYS, { delimiter: '/', marker: 'photos/2024/a.jpg' }), { keys: ['z.txt'], prefixes: ['videos/'], truncated: false, last: 'z.txt' });
});

test('a prefix with many keys is skipped in one step, not read key by key', async () => {
  const many = Array.from({ length: 5000 }, (_, i) => `logs/${String(i).padStart(5, '0')}`);
  let reads = 0;
  const src = source([...many, 'm.txt']);
  const counting: RecordSource = (after, limit) => { reads++; return src(after, limit); };
  const page = await listPage(counting, { prefix: '', delimiter: '/', maxKeys: 1000, marker: undefined });
  assert.deepEqual([page.commonPrefixes, page.contents.map((c) => c.key)], [['logs/'], ['m.txt']]);
  assert.ok(reads <= 3, `${reads} reads`);
});

test('max-keys 0 lists nothing; keys sort by their UTF-8 bytes', async () => {
  assert.deepEqual(await list(KEYS, { maxKeys: 0 }), { keys: [], prefixes: [], truncated: false, last: undefined });
  assert.deepEqual((await list(['\uffff', '😀', 'a'], {})).keys, ['a', '\uffff', '😀']);
});

test('the common prefix of a key: up to and with the first delimiter after the prefix', () => {
  assert.equal(commonPrefixOf('a/b/c', 'a/', '/'), 'a/b/');
  assert.equal(commonPrefixOf('a/b', 'a/', '/'), undefined);
  assert.equal(commonPrefixOf('x--y--z', '', '--'), 'x--');
});
