import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EnvFilesError, mergeEnvironment, parseEnvFile, resolveEnvironment } from './env-files.ts';

test('a file is VARIABLE=VALUE lines, split at the first =, with nothing trimmed or unquoted', () => {
  const vars = parseEnvFile('A=1\nURL=postgres://u:p@h/db?x=1\n QUOTED="two words" \nSPACED = x\r\nEMPTY=\n=novar\nNOEQUALS\n# COMMENT=1\n  # not a comment=1\n\nA=2');
  assert.deepEqual([...vars], [
    ['A', '2'],
    ['URL', 'postgres://u:p@h/db?x=1'],
    [' QUOTED', '"two words" '],
    ['SPACED ', ' x'],
    ['  # not a comment', '1'],
  ]);
});

test('environment wins over every file; the first file that sets a variable wins over later ones', () => {
  const merged = mergeEnvironment([{ name: 'A', value: 'env' }], [new Map([['A', 'f1'], ['B', 'f1']]), new Map([['B', 'f2'], ['C', 'f2']])]);
  assert.deepEqual(merged, [{ name: 'A', value: 'env' }, { name: 'B', value: 'f1' }, { name: 'C', value: 'f2' }]);
});

test('files are read through the reader and merged in their order', async () => {
  const objects: Record<string, string> = { 'config/a.env': 'X=from-a\nY=from-a', 'config/dir/b.env': 'Y=from-b\nZ=from-b' };
  const read = async ({ bucket, key }: { bucket: string; key: string }) => Buffer.from(objects[`${bucket}/${key}`]!);
  const env = await resolveEnvironment([{ name: 'Z', value: 'def' }], [
    { type: 's3', value: 'arn:aws:s3:::config/a.env' }, { type: 's3', value: 'arn:aws:s3:::config/dir/b.env' },
  ], read);
  assert.deepEqual(env, [{ name: 'Z', value: 'def' }, { name: 'X', value: 'from-a' }, { name: 'Y', value: 'from-a' }]);
});

test('every file that cannot be read is named in one ResourceInitializationError', async () => {
  const read = async ({ key }: { key: string }) => {
    if (key === 'ok.env') return Buffer.from('A=1');
    throw new Error('NoSuchKey: The specified key does not exist. status code: 404');
  };
  await assert.rejects(resolveEnvironment([], [
    { type: 's3', value: 'arn:aws:s3:::config/ok.env' }, { type: 's3', value: 'arn:aws:s3:::config/missing.env' }, { type: 's3', value: 's3://config/x.env' },
  ], read), (e: unknown) => e instanceof EnvFilesError && e.message === 'ResourceInitializationError: failed to download env files: '
    + 'unable to download env file with key missing.env from bucket config, error: NoSuchKey: The specified key does not exist. status code: 404; '
    + 'unable to parse bucket and key from s3 ARN specified in environmentFile s3://config/x.env');
});
