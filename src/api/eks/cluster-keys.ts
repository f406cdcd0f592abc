/**
 * A new cluster's key material: two RSA 2048 keys (its CA's and its API server's) and two
 * random certificate serials, from node's crypto. RSA 2048 is what EKS's cluster CAs use
 * and what every Kubernetes client accepts; key generation is native (tens of ms).
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import type { ClusterKeys } from './deps.ts';

const RSA_BITS = 2048;
/** Serial numbers of 16 random bytes (RFC 5280 allows up to 20 octets; CAs use at least 64 random bits). */
const SERIAL_BYTES = 16;

export function newClusterKeys(): ClusterKeys {
  const key = () => generateKeyPairSync('rsa', { modulusLength: RSA_BITS, privateKeyEncoding: { type: 'pkcs1', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } }).privateKey;
  return { caKey: key(), servingKey: key(), caSerial: randomBytes(SERIAL_BYTES).toString('hex'), servingSerial: randomBytes(SERIAL_BYTES).toString('hex') };
}
