import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CHECKSUM_ALGORITHMS, CHECKSUM_BYTES, newChecksum, type ChecksumAlgorithm } from './checksums.ts';

// The CRC catalogue's check values: the checksum of the ASCII bytes "123456789".
const CHECK: Readonly<Record<string, string>> = { CRC32: 'cbf43926', CRC32C: 'e3069283', CRC64NVME: 'ae8b14860a799888' };

const digestHex = (algorithm: ChecksumAlgorithm, ...pieces: string[]) => {
  const c = newChecksum(algorithm);
  for (const p of pieces) c.update(Buffer.from(p));
  return Buffer.from(c.digestBase64(), 'base64').toString('hex');
};

for (const [algorithm, hex] of Object.entries(CHECK)) {
  test(`${algorithm} of "123456789" is the catalogue's check value, in one piece or many`, () => {
    assert.equal(digestHex(algorithm as ChecksumAlgorithm, '123456789'), hex);
    assert.equal(digestHex(algorithm as ChecksumAlgorithm, '1', '2345', '', '6789'), hex);
  });
}

test('every digest has its algorithm\'s length; SHA256 is the usual one', () => {
  for (const a of CHECKSUM_ALGORITHMS) assert.equal(Buffer.from(newChecksum(a).digestBase64(), 'base64').length, CHECKSUM_BYTES[a], a);
  assert.equal(digestHex('SHA256', 'abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
});
