import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chooseProtocol, decodeClientFrame, encodeFrame, exitStatus } from './kube-channel.ts';

test('the first of our protocols the client offers is chosen; none of them refuses', () => {
  assert.equal(chooseProtocol(['v4.channel.k8s.io', 'v5.channel.k8s.io']), 'v5.channel.k8s.io');
  assert.equal(chooseProtocol(['v4.channel.k8s.io', 'channel.k8s.io']), 'v4.channel.k8s.io');
  assert.equal(chooseProtocol(['channel.k8s.io', 'base64.channel.k8s.io']), undefined);
});

test('client frames: stdin bytes, a resize, the v5 close signal; anything else ignored', () => {
  assert.deepEqual(decodeClientFrame('v5.channel.k8s.io', Buffer.from([0, 104, 105])), { kind: 'stdin', data: Buffer.from('hi') });
  assert.deepEqual(decodeClientFrame('v5.channel.k8s.io', encodeFrame(4, '{"Width":120,"Height":40}')), { kind: 'resize', cols: 120, rows: 40 });
  assert.deepEqual(decodeClientFrame('v5.channel.k8s.io', Buffer.from([255, 0])), { kind: 'close', stream: 0 });
  // v4 has no close signal; bad sizes and unknown streams change nothing.
  assert.deepEqual(decodeClientFrame('v4.channel.k8s.io', Buffer.from([255, 0])), { kind: 'ignored' });
  for (const bad of ['{"Width":0,"Height":40}', '{"Width":"80"}', 'not json']) {
    assert.deepEqual(decodeClientFrame('v5.channel.k8s.io', encodeFrame(4, bad)), { kind: 'ignored' });
  }
  assert.deepEqual(decodeClientFrame('v5.channel.k8s.io', Buffer.from([7, 1])), { kind: 'ignored' });
  assert.deepEqual(decodeClientFrame('v5.channel.k8s.io', Buffer.alloc(0)), { kind: 'ignored' });
});

test('a frame is its stream id then its bytes', () => {
  assert.deepEqual(encodeFrame(1, 'ok'), Buffer.from([1, 111, 107]));
  assert.deepEqual(encodeFrame(2, Buffer.alloc(0)), Buffer.from([2]));
});

test('the closing Status: Success, NonZeroExitCode with the code as a cause, or InternalError', () => {
  assert.deepEqual(exitStatus(['true'], 0), { metadata: {}, status: 'Success' });
  assert.deepEqual(exitStatus(['sh', '-c', 'exit 3'], 3), {
    metadata: {}, status: 'Failure', reason: 'NonZeroExitCode',
    message: 'command terminated with non-zero exit code: error executing command [sh -c exit 3], exit code 3',
    details: { causes: [{ reason: 'ExitCode', message: '3' }] },
  });
  assert.deepEqual(exitStatus(['x'], undefined, 'the agent is not connected'),
    { metadata: {}, status: 'Failure', message: 'the agent is not connected', reason: 'InternalError', code: 500 });
});
