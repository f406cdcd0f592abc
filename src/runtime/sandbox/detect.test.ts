import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { detectIsolation } from './detect.ts';

const userns = (() => {
  try {
    return Number(readFileSync('/proc/sys/user/max_user_namespaces', 'utf8')) > 0;
  } catch {
    return false;
  }
})();

test('without runsc, or with one that fails its probe, Fargate tasks fall back (userns where the kernel allows it), and the notes say why', async (t) => {
  const runDir = mkdtempSync(join(tmpdir(), 'berth-detect-'));
  t.after(() => rmSync(runDir, { recursive: true, force: true }));
  const none = await detectIsolation({ runDir, runsc: null, kvmDevice: '/nonexistent/kvm' });
  assert.equal(none.facts.fargate, userns ? 'userns' : 'container');
  assert.equal(none.backend?.isolation, userns ? 'userns' : undefined);
  assert.ok(none.facts.notes.some((n) => n.includes('runsc is not installed')), none.facts.notes.join('; '));
  assert.equal(none.facts.kvm, false);

  const broken = await detectIsolation({ runDir, runsc: '/bin/false', kvmDevice: '/nonexistent/kvm' });
  assert.equal(broken.facts.fargate, userns ? 'userns' : 'container');
  assert.deepEqual(broken.facts.notes.filter((n) => n.includes('failed its probe')).length, 2, 'systrap, then ptrace');
});
