// package.json's runtime dependencies are exactly what the shipped code (src/, tests
// aside) imports: a dependency nothing imports is installed on every host for nothing (as
// sorted-btree was, once the cluster state's LazySorted replaced it), and a module the code
// imports from devDependencies is missing where `npm ci --omit=dev` installed Berth.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { ROOT } from './support/berth.ts';

/** Type-only imports and re-exports (`import type … ;`, `export type … from …;`): erased before the code runs, so a devDependency may serve them. */
const TYPE_ONLY = /^\s*(?:import|export)\s+type\s[^;]*;/gm;
/**
 * Module specifiers of static imports and re-exports, of dynamic imports of a string, and of
 * `require('…')` of a string (a `createRequire` require: how a module loads a CommonJS native
 * addon lazily, as runtime/container/attach.ts does).
 */
const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|^\s*import\s+)(['"])([^'"\n]+)\1/gm;

/** The package a bare specifier names ('@scope/name/sub' → '@scope/name'); undefined for a relative or built-in one. */
function packageOf(specifier: string): string | undefined {
  if (specifier.startsWith('.') || specifier.startsWith('/') || specifier.startsWith('node:') || builtinModules.includes(specifier)) return undefined;
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/** Which packages the shipped modules under `dir` import, each with one file that does. */
function importedPackages(dir: string, out = new Map<string, string>()): Map<string, string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) importedPackages(path, out);
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) {
      for (const m of readFileSync(path, 'utf8').replace(TYPE_ONLY, '').matchAll(SPECIFIER)) {
        const pkg = packageOf(m[2]!);
        if (pkg !== undefined && !out.has(pkg)) out.set(pkg, path.slice(ROOT.length + 1));
      }
    }
  }
  return out;
}

const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
const runtime = Object.keys(manifest.dependencies ?? {}).sort();
const imported = importedPackages(join(ROOT, 'src'));

/** Dependencies no module imports because another dependency loads them itself, each with why it is there. */
const LOADED_BY_DEPENDENCIES: Record<string, string> = {
  bufferutil: "ws's optional native companion: ws masks and unmasks every frame with it when it is installed (the agent session's awslogs batches)",
};

test('every runtime dependency in package.json is imported by the shipped code', () => {
  assert.deepEqual(runtime.filter((d) => !imported.has(d) && !(d in LOADED_BY_DEPENDENCIES)), [], 'declared in dependencies but imported by no module of src/ (tests aside): remove it');
});

test('every package the shipped code imports is a runtime dependency', () => {
  const undeclared = [...imported].filter(([pkg]) => !runtime.includes(pkg)).map(([pkg, file]) => `${pkg} (${file})`);
  assert.deepEqual(undeclared, [], 'imported by src/ but not in dependencies: add it there (devDependencies are not installed with --omit=dev)');
});

test('the scan finds what it looks for', () => {
  // Guards the scan itself: ws is what the agent session and gateway speak.
  assert.ok(imported.has('ws'), 'ws is imported by src/');
  assert.equal(packageOf('@aws-sdk/client-ecs/dist'), '@aws-sdk/client-ecs');
  assert.equal(packageOf('node:fs'), undefined);
  assert.equal(packageOf('fs'), undefined);
  assert.equal(packageOf('./x.ts'), undefined);
});
