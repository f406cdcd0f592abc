/**
 * The additional checksums S3 verifies on upload (`x-amz-checksum-<algorithm>`, base64 of
 * the digest; S3 user guide, "Checking object integrity"). CRC32 is zlib's; CRC32C and
 * CRC64NVME are table-driven here (reflected polynomials 0x82F63B78 and
 * 0x9A6C9329AC4BC9B5, initial value and final xor all ones); the SHA family and MD5 are
 * node:crypto's. The xxHash family is not supported (refused with NotImplemented).
 */

import { createHash, type Hash } from 'node:crypto';
import { crc32 } from 'node:zlib';

export const CHECKSUM_ALGORITHMS = ['CRC32', 'CRC32C', 'CRC64NVME', 'SHA1', 'SHA256', 'SHA512', 'MD5'] as const;
export type ChecksumAlgorithm = (typeof CHECKSUM_ALGORITHMS)[number];
/** Algorithms the S3 API names that Berth does not compute. */
export const UNSUPPORTED_CHECKSUM_ALGORITHMS = ['XXHASH64', 'XXHASH3', 'XXHASH128'] as const;

/** The digest length of each algorithm, in bytes (to refuse malformed header values). */
export const CHECKSUM_BYTES: Readonly<Record<ChecksumAlgorithm, number>> = {
  CRC32: 4, CRC32C: 4, CRC64NVME: 8, SHA1: 20, SHA256: 32, SHA512: 64, MD5: 16,
};

/** A running checksum: feed it the bytes, then read the base64 digest once. */
export interface Checksum {
  update(data: Uint8Array): void;
  digestBase64(): string;
}

export function isChecksumAlgorithm(name: string): name is ChecksumAlgorithm {
  return (CHECKSUM_ALGORITHMS as readonly string[]).includes(name);
}

export function newChecksum(algorithm: ChecksumAlgorithm): Checksum {
  switch (algorithm) {
    case 'CRC32': return crc32Checksum();
    case 'CRC32C': return crc32cChecksum();
    case 'CRC64NVME': return crc64nvmeChecksum();
    case 'SHA1': return hashChecksum(createHash('sha1'));
    case 'SHA256': return hashChecksum(createHash('sha256'));
    case 'SHA512': return hashChecksum(createHash('sha512'));
    case 'MD5': return hashChecksum(createHash('md5'));
  }
}

function hashChecksum(hash: Hash): Checksum {
  return { update: (d) => void hash.update(d), digestBase64: () => hash.digest('base64') };
}

function uint32Base64(value: number): string {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(value >>> 0);
  return b.toString('base64');
}

function crc32Checksum(): Checksum {
  let value = 0;
  return { update: (d) => { value = crc32(d, value); }, digestBase64: () => uint32Base64(value) };
}

const CRC32C_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32cChecksum(): Checksum {
  let crc = 0xffffffff;
  return {
    update(d) {
      let c = crc;
      for (let i = 0; i < d.length; i++) c = CRC32C_TABLE[(c ^ d[i]!) & 0xff]! ^ (c >>> 8);
      crc = c;
    },
    digestBase64: () => uint32Base64(~crc >>> 0),
  };
}

/** The CRC64NVME table as two 32-bit halves (high and low words of each entry). */
const CRC64_TABLE = (() => {
  const hi = new Uint32Array(256);
  const lo = new Uint32Array(256);
  const POLY_HI = 0x9a6c9329;
  const POLY_LO = 0xac4bc9b5;
  for (let n = 0; n < 256; n++) {
    let h = 0;
    let l = n;
    for (let k = 0; k < 8; k++) {
      const carry = l & 1;
      l = ((l >>> 1) | ((h & 1) << 31)) >>> 0;
      h = h >>> 1;
      if (carry) { h = (h ^ POLY_HI) >>> 0; l = (l ^ POLY_LO) >>> 0; }
    }
    hi[n] = h;
    lo[n] = l;
  }
  return { hi, lo };
})();

function crc64nvmeChecksum(): Checksum {
  let h = 0xffffffff;
  let l = 0xffffffff;
  return {
    update(d) {
      const { hi, lo } = CRC64_TABLE;
      let ch = h;
      let cl = l;
      for (let i = 0; i < d.length; i++) {
        const idx = (cl ^ d[i]!) & 0xff;
        cl = (((cl >>> 8) | (ch << 24)) ^ lo[idx]!) >>> 0;
        ch = ((ch >>> 8) ^ hi[idx]!) >>> 0;
      }
      h = ch;
      l = cl;
    },
    digestBase64() {
      const b = Buffer.alloc(8);
      b.writeUInt32BE(~h >>> 0, 0);
      b.writeUInt32BE(~l >>> 0, 4);
      return b.toString('base64');
    },
  };
}
