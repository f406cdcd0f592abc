// The order in which bringing up the host changes the kernel, with the tools recorded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ensureHost } from './apply.ts';
import { resolveConfig } from './config.ts';
import { emptyState } from './state.ts';
import type { ToolResult, Tools } from './tools.ts';

const done: ToolResult = { code: 0, stdout: '', stderr: '' };

function recordingTools(calls: string[]): Tools {
  return {
    ipBatch: async (lines) => (calls.push(`ip ${lines[0] ?? ''}`), done),
    ipJson: async () => [],
    nft: async (script) => (calls.push(script.includes('chain guard_loopback') ? 'nft ruleset with the loopback guard' : 'nft other'), done),
    readSysctl: async () => '1',
    writeSysctl: async (path, value) => void calls.push(`sysctl ${path}=${value}`),
    check: async () => undefined,
  };
}

test('the loopback guard is in place before route_localnet lets the bridge accept 127.0.0.0/8', async () => {
  const calls: string[] = [];
  await ensureHost(resolveConfig({ stateDir: '/unused' }), recordingTools(calls), emptyState());
  assert.deepEqual(calls, ['ip link add berth0 type bridge', 'nft ruleset with the loopback guard', 'sysctl net/ipv4/conf/berth0/route_localnet=1']);
});
