import { test } from 'node:test';
import assert from 'node:assert/strict';
import { capabilitiesFromMask, capabilityMask, DOCKER_DEFAULT_CAPABILITIES, normalizeCapability, resolveCapabilities, CAPABILITIES } from './capabilities.ts';

test('Docker\'s default set is the CapEff mask Docker containers show', () => {
  assert.equal(capabilityMask(DOCKER_DEFAULT_CAPABILITIES), '00000000a80425fb');
});

test('masks from /proc/<pid>/status decode to names: this host\'s agent lacks only CAP_SYS_RESOURCE', () => {
  assert.deepEqual(capabilitiesFromMask('000001fffeffffff'), CAPABILITIES.filter((c) => c !== 'CAP_SYS_RESOURCE'));
  assert.deepEqual(capabilitiesFromMask('0000000000000000'), []);
  assert.deepEqual(capabilitiesFromMask(capabilityMask(['CAP_KILL', 'CAP_BPF'])), ['CAP_KILL', 'CAP_BPF']);
});

test('names are accepted with or without CAP_, in any case', () => {
  assert.equal(normalizeCapability('net_admin'), 'CAP_NET_ADMIN');
  assert.equal(normalizeCapability('CAP_SYS_PTRACE'), 'CAP_SYS_PTRACE');
  assert.equal(normalizeCapability('all'), 'ALL');
  assert.throws(() => normalizeCapability('FLY'), /unknown capability "FLY"/);
});

test('an add and a drop of the same capability: the add wins, as in Docker', () => {
  const { caps } = resolveCapabilities({ add: ['NET_ADMIN'], drop: ['NET_ADMIN'] }, false, CAPABILITIES);
  assert.ok(caps.includes('CAP_NET_ADMIN'));
});
