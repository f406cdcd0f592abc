import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JsonClient } from '../api/aws/client.ts';
import { register, type AgentConfig } from './registration.ts';

/** An ECS API that records what the agent registers and answers with one fixed ARN. */
function fakeEcs() {
  const registrations: Record<string, unknown>[] = [];
  const api: JsonClient = {
    async call<T>(target: string, input: unknown): Promise<T> {
      if (target.endsWith('.RegisterContainerInstance')) {
        registrations.push(input as Record<string, unknown>);
        return { containerInstance: { containerInstanceArn: 'arn:aws:ecs:us-east-1:000000000000:container-instance/default/abc' } } as T;
      }
      return {} as T;
    },
  };
  return { api, registrations };
}

function config(t: { after(fn: () => void): void }): AgentConfig {
  const dataDir = mkdtempSync(join(tmpdir(), 'berth-registration-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  return { cluster: 'default', dataDir, availabilityZone: 'local-1a', instanceType: 'berth.host', reservedMemoryMiB: 256, reservedPorts: [], capabilities: [] };
}

test('a restarted agent registers again as the same instance, from the identity it kept', async (t) => {
  const cfg = config(t);
  const { api, registrations } = fakeEcs();
  await register(api, cfg);
  const saved = JSON.parse(readFileSync(join(cfg.dataDir, 'identity.json'), 'utf8')) as { instanceId: string; containerInstanceArn: string };
  assert.match(saved.instanceId, /^i-[0-9a-f]{17}$/);
  assert.equal(saved.containerInstanceArn, 'arn:aws:ecs:us-east-1:000000000000:container-instance/default/abc');
  await register(api, cfg);
  assert.equal(registrations[1]!.containerInstanceArn, saved.containerInstanceArn);
  assert.equal(JSON.parse(registrations[1]!.instanceIdentityDocument as string).instanceId, saved.instanceId);
});

test('an unreadable identity file stops the agent with what to do, and is left as it was', async (t) => {
  const cfg = config(t);
  const path = join(cfg.dataDir, 'identity.json');
  writeFileSync(path, '');
  await assert.rejects(register(fakeEcs().api, cfg), (err: Error) => {
    assert.match(err.message, new RegExp(`identity file ${path} is unreadable .*: remove it, and this host joins as a new container instance`));
    return true;
  });
  assert.equal(readFileSync(path, 'utf8'), '');
});
