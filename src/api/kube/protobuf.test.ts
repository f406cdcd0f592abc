import { it } from 'node:test';
import assert from 'node:assert/strict';
import { decodeProtobuf } from './protobuf.ts';

/** Protobuf wire helpers: a length-delimited field, a varint field. */
const bytes = (num: number, payload: Buffer | string): Buffer => {
  const b = Buffer.isBuffer(payload) ? payload : Buffer.from(payload);
  return Buffer.concat([Buffer.from([(num << 3) | 2, b.length]), b]);
};
const varint = (num: number, v: number): Buffer => Buffer.from([num << 3, v]);

it('decodes the k8s envelope and a ConfigMap, dropping the zero values Go encodes', () => {
  const meta = Buffer.concat([bytes(1, 'web'), bytes(2, ''), bytes(11, Buffer.concat([bytes(1, 'app'), bytes(2, 'x')])), bytes(14, 'example.com/f')]);
  const cm = Buffer.concat([bytes(1, meta), bytes(2, Buffer.concat([bytes(1, 'k'), bytes(2, 'v')])), varint(4, 1)]);
  const envelope = Buffer.concat([Buffer.from('k8s\0', 'latin1'), bytes(1, Buffer.concat([bytes(1, 'v1'), bytes(2, 'ConfigMap')])), bytes(2, cm)]);
  assert.deepEqual(decodeProtobuf(envelope), {
    apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'web', labels: { app: 'x' }, finalizers: ['example.com/f'] }, data: { k: 'v' }, immutable: true,
  });
});

it('refuses a body without the magic, and a kind it has no table for with 415', () => {
  assert.throws(() => decodeProtobuf(Buffer.from('{}')), /k8s magic/);
  const envelope = Buffer.concat([Buffer.from('k8s\0', 'latin1'), bytes(1, Buffer.concat([bytes(1, 'v1'), bytes(2, 'Pod')])), bytes(2, Buffer.alloc(0))]);
  assert.throws(() => decodeProtobuf(envelope), (e: unknown) => (e as { code?: number }).code === 415);
});
