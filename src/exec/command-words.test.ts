import assert from 'node:assert/strict';
import { test } from 'node:test';
import { commandWords } from './command-words.ts';

test('splits on blanks and keeps quoted words whole', () => {
  assert.deepEqual(commandWords('/bin/sh'), ['/bin/sh']);
  assert.deepEqual(commandWords('  ls   -l /tmp '), ['ls', '-l', '/tmp']);
  assert.deepEqual(commandWords(`sh -c "echo \\"hi\\"; exit 3"`), ['sh', '-c', 'echo "hi"; exit 3']);
  assert.deepEqual(commandWords(`echo 'a  b'"c"d`), ['echo', 'a  bcd']);
  assert.deepEqual(commandWords(`echo a\\ b ''`), ['echo', 'a b', '']);
  assert.deepEqual(commandWords(`echo '$HOME' "$HOME"`), ['echo', '$HOME', '$HOME']);
});

test('an unterminated quote is an error, not a guess', () => {
  assert.deepEqual(commandWords(`echo 'a`), { error: 'the command has an unterminated single quote' });
  assert.deepEqual(commandWords('echo "a'), { error: 'the command has an unterminated double quote' });
});
