import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ContainerSpec, TaskSpec } from '../core/workload/spec.ts';
import { taskLayout } from './task-layout.ts';
import { taskMounts } from './volumes.ts';

const container = (name: string, mounts: ContainerSpec['mounts']): ContainerSpec => ({ name, image: 'busybox', essential: true, env: [], ports: [], resources: { cpu: 0 }, mounts });

test('mounts: host paths as they are, scratch and unknown volumes as task directories, files written first, subPath inside', () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-volumes-'));
  try {
    const layout = taskLayout(dir, 't1');
    const spec: Pick<TaskSpec, 'volumes' | 'containers'> = {
      volumes: [
        { name: 'host', hostPath: { path: join(dir, 'host') } },
        { name: 'scratch', scratch: {} },
        { name: 'cfg', files: { items: [{ path: 'app/config.yaml', content: Buffer.from('a: 1\n').toString('base64') }, { path: 'token', content: Buffer.from('secret').toString('base64'), mode: 0o600 }] } },
      ],
      containers: [container('app', [
        { volume: 'host', path: '/h', readOnly: false }, { volume: 'scratch', path: '/s', readOnly: true },
        { volume: 'cfg', path: '/etc/app', readOnly: true, subPath: 'app' }, { volume: 'undeclared', path: '/u', readOnly: false },
      ])],
    };
    const mounts = taskMounts(spec, 'app', layout);
    assert.deepEqual(mounts, [
      { source: join(dir, 'host'), destination: '/h', readOnly: false },
      { source: layout.volume('scratch'), destination: '/s', readOnly: true },
      { source: join(layout.volume('cfg'), 'app'), destination: '/etc/app', readOnly: true },
      { source: layout.volume('undeclared'), destination: '/u', readOnly: false },
    ]);
    assert.equal(readFileSync(join(layout.volume('cfg'), 'app', 'config.yaml'), 'utf8'), 'a: 1\n');
    assert.equal(statSync(join(layout.volume('cfg'), 'token')).mode & 0o777, 0o600);
    assert.equal(statSync(join(layout.volume('cfg'), 'app', 'config.yaml')).mode & 0o777, 0o644);
    assert.deepEqual(taskMounts(spec, 'other', layout), []);
    const escaping = { ...spec, volumes: [{ name: 'cfg', files: { items: [{ path: '../../x', content: '' }] } }] };
    assert.throws(() => taskMounts(escaping, 'app', layout), /leaves its volume/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
