import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cgroup2Mount, cgroup2Of, joinCgroup2, makeCgroup2 } from './cgroup2.ts';
import { applyTaskCgroup } from './task-cgroup.ts';

/** A cgroup root of the given layout and a /proc with one process in `cgroup2`. */
function fakeHost(t: { after: (fn: () => void) => void }, layout: 'v2' | 'hybrid' | 'v1', cgroup2 = '/') {
  const dir = mkdtempSync(join(tmpdir(), 'berth-cgroup2-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const root = join(dir, 'cgroup');
  const mount = layout === 'v2' ? root : join(root, 'unified');
  mkdirSync(join(root, 'pids'), { recursive: true });
  if (layout !== 'v1') {
    mkdirSync(mount, { recursive: true });
    writeFileSync(join(mount, 'cgroup.controllers'), '');
  }
  const proc = join(dir, 'proc');
  mkdirSync(join(proc, '42'), { recursive: true });
  writeFileSync(join(proc, '42', 'cgroup'), `5:pids:/berth/t/c\n0::${cgroup2}\n`);
  return { root, mount, proc };
}

test('the cgroup2 mount: the root on pure v2, unified/ on hybrid, none on pure v1', (t) => {
  const v2 = fakeHost(t, 'v2');
  assert.equal(cgroup2Mount(v2.root), v2.root);
  const hybrid = fakeHost(t, 'hybrid');
  assert.equal(cgroup2Mount(hybrid.root), hybrid.mount);
  assert.equal(cgroup2Mount(fakeHost(t, 'v1').root), undefined);
});

test("crun's container on a hybrid host: its init is moved into the task's cgroup v2 leaf", (t) => {
  const h = fakeHost(t, 'hybrid');
  assert.equal(cgroup2Of(42, h.proc), '/');
  joinCgroup2(42, '/berth/t/c', h.root, h.proc);
  assert.equal(readFileSync(join(h.mount, 'berth/t/c/cgroup.procs'), 'utf8'), '42');
});

test('runc, or crun on pure v2: a container already there is left alone; pure v1 has nothing to join', (t) => {
  const h = fakeHost(t, 'hybrid', '/berth/t/c');
  joinCgroup2(42, '/berth/t/c', h.root, h.proc);
  assert.throws(() => readFileSync(join(h.mount, 'berth/t/c/cgroup.procs')), /ENOENT/);
  const v1 = fakeHost(t, 'v1');
  joinCgroup2(42, '/berth/t/c', v1.root, v1.proc);
});

test('a process that cannot be moved is an error naming it', (t) => {
  const h = fakeHost(t, 'hybrid');
  writeFileSync(join(h.mount, 'berth'), 'a file where a directory should be');
  assert.throws(() => joinCgroup2(42, '/berth/t/c', h.root, h.proc), /cannot move the container's init \(pid 42\) into cgroup v2 \/berth\/t\/c/);
});

test("the task's cgroup v2 is made with or without a pids limit", (t) => {
  const h = fakeHost(t, 'hybrid');
  applyTaskCgroup('/berth/t1', {}, h.root);
  applyTaskCgroup('/berth/t2', { pidsMax: 10 }, h.root);
  makeCgroup2('/berth/t3', h.root);
  for (const task of ['t1', 't2', 't3']) assert.ok(statSync(join(h.mount, 'berth', task)).isDirectory(), task);
  assert.equal(readFileSync(join(h.root, 'pids/berth/t2/pids.max'), 'utf8'), '10');
});
