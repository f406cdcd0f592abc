import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildJs } from './js-build.ts';

test('the JavaScript copy: types blanked in place, relative .ts imports renamed, tests and other files left out, and it runs', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-js-build-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const src = join(dir, 'src');
  mkdirSync(join(src, 'lib'), { recursive: true });
  const main = [
    "import { twice } from './lib/twice.ts';",
    "import data from './lib/data.json' with { type: 'json' };",
    'const n: number = twice(data.n);',
    "const late = await import('./lib/twice.ts');",
    'console.log(n, late.twice(1));',
  ].join('\n');
  writeFileSync(join(src, 'main.ts'), main);
  writeFileSync(join(src, 'lib', 'twice.ts'), 'export function twice(x: number): number {\n  return x * 2;\n}\n');
  writeFileSync(join(src, 'lib', 'twice.test.ts'), 'throw new Error("tests are not copied");\n');
  writeFileSync(join(src, 'lib', 'data.json'), '{ "n": 21 }\n');
  writeFileSync(join(src, 'lib', 'README.md'), '# not code\n');
  const out = join(dir, 'out');
  assert.equal(buildJs(src, out), 2);
  const js = readFileSync(join(out, 'main.js'), 'utf8');
  assert.equal(js.split('\n').length, main.split('\n').length, 'every line where it was');
  assert.match(js, /from '\.\/lib\/twice\.js'/);
  assert.match(js, /import\('\.\/lib\/twice\.js'\)/);
  assert.doesNotMatch(js, /: number/);
  assert.equal(existsSync(join(out, 'lib', 'twice.test.js')), false);
  assert.equal(existsSync(join(out, 'lib', 'README.md')), false);
  assert.equal(execFileSync(process.execPath, [join(out, 'main.js')], { encoding: 'utf8' }), '42 2\n');
});
