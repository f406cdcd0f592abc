import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { loadDefinitions } from './data.ts';
import { KINDS } from './kinds.ts';

test('the committed definitions are what scripts/gen-kube-schemas.ts writes from kubernetes-models', () => {
  const script = fileURLToPath(new URL('../../../../scripts/gen-kube-schemas.ts', import.meta.url));
  const out = execFileSync(process.execPath, [script, '--check'], { encoding: 'utf8' });
  assert.match(out, /is current \(\d+ definitions\)/);
});

test('every served kind has its definition, its list, and its group-version-kind', () => {
  const { definitions } = loadDefinitions();
  for (const k of KINDS) {
    const def = definitions[k.definition];
    assert.ok(def !== undefined && (k.createOnly === true || definitions[`${k.definition}List`] !== undefined), k.definition);
    assert.deepEqual(def['x-kubernetes-group-version-kind'], [{ group: k.group, version: k.version, kind: k.kind }]);
  }
});
