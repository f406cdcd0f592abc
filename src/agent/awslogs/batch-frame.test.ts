import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BadFrame, decodeBatchFrame, encodeBatchFrame, type BatchFrameHeader } from './batch-frame.ts';
import { MAX_MESSAGE_BYTES } from './batcher.ts';
import { decodeEvents, EventBatch } from './event-batch.ts';

const header: BatchFrameHeader = { id: 7, taskArn: 'arn:aws:ecs:us-east-1:123456789012:task/c/t', region: 'us-east-1', group: 'g', stream: 's', createGroup: true };
function batchOf(lines: [number, string, number][]): EventBatch {
  const b = new EventBatch();
  for (const [ts, message, end] of lines) {
    const bytes = Buffer.from(message);
    b.add(ts, bytes, 0, bytes.length, end);
  }
  return b;
}

test('a batch goes through a frame as it is: header, offsets, events in the store\'s encoding', () => {
  const lines: [number, string, number][] = [[1, 'héllo', 10], [1, 'x'.repeat(100), 120], [5, 'last', 130]];
  const frame = encodeBatchFrame(header, batchOf(lines));
  const { header: h, events } = decodeBatchFrame(frame, MAX_MESSAGE_BYTES);
  assert.deepEqual(h, header);
  assert.equal(events.count, 3);
  assert.deepEqual(decodeEvents(events.region, events.ends), lines.map(([timestamp, message, end]) => ({ timestamp, message, end })));
});

test('a frame that is not a whole, ordered batch is refused, with its id once the header is read', () => {
  const refused = (frame: Buffer, why: RegExp, id?: number) => assert.throws(() => decodeBatchFrame(frame, MAX_MESSAGE_BYTES), (e: unknown) => e instanceof BadFrame && why.test(e.message) && e.id === id && e.code === 'InvalidParameterException');
  const good = encodeBatchFrame(header, batchOf([[1, 'a', 1], [2, 'b', 2]]));
  refused(Buffer.from('{"type":"awslogs"}'), /not an awslogs batch/);
  refused(good.subarray(0, 20), /header overruns/);
  refused(good.subarray(0, good.length - 1), /events overrun|bytes after/, 7);
  refused(Buffer.concat([good, Buffer.from([0])]), /bytes after its events/, 7);
  refused(encodeBatchFrame(header, batchOf([[2, 'a', 1], [1, 'b', 2]])), /timestamps must not go back/, 7);
  refused(encodeBatchFrame(header, batchOf([[1, 'a', 2], [1, 'b', 2]])), /offsets must increase/, 7);
  refused(encodeBatchFrame(header, batchOf([[1, 'a'.repeat(MAX_MESSAGE_BYTES + 1), 2]])), /a message of/, 7);
  const noId = encodeBatchFrame({ ...header, id: undefined as unknown as number }, batchOf([[1, 'a', 1]]));
  refused(noId, /no id/);
});
