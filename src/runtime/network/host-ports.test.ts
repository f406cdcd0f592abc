import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseProcNet } from './host-ports.ts';

test('listening TCP and bound UDP ports are read from /proc/net tables', () => {
  const tcp = [
    '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
    '   0: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1',
    '   1: 0100007F:9C40 0100007F:1F90 01 00000000:00000000 00:00000000 00000000     0        0 2',
  ].join('\n');
  assert.deepEqual(parseProcNet(tcp, '0A'), [8080]);
  const tcp6 = '  sl  local_address ...\n   0: 00000000000000000000000000000000:0050 00000000000000000000000000000000:0000 0A 0 0 0\n';
  assert.deepEqual(parseProcNet(tcp6, '0A'), [80]);
});
