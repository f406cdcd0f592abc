import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import { CA_VALIDITY_MS, firstServiceIp, issueClusterPki } from './pki.ts';

const key = () => generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs1', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } }).privateKey;
const NOW = Date.UTC(2026, 11, 7);

test('the CA is a CA, and it signed a serving certificate for every name and IP the API server is dialled by', () => {
  const pki = issueClusterPki({ caKey: key(), servingKey: key(), caSerial: 'ff01', servingSerial: '02', clusterName: 'demo', now: NOW, hosts: ['127.0.0.1', 'localhost', 'kubernetes', 'kubernetes.default.svc', '10.100.0.1', 'localhost'] });
  assert.ok(!pki.caCert.includes('\r'), 'PEM with LF line ends');
  const ca = new X509Certificate(pki.caCert);
  const serving = new X509Certificate(pki.servingCert);
  assert.ok(ca.ca);
  assert.ok(!serving.ca);
  assert.ok(ca.verify(ca.publicKey), 'self-signed');
  assert.ok(serving.verify(ca.publicKey), 'signed by the CA');
  assert.ok(serving.checkIssued(ca));
  assert.equal(serving.subjectAltName, 'IP Address:127.0.0.1, DNS:localhost, DNS:kubernetes, DNS:kubernetes.default.svc, IP Address:10.100.0.1');
  // 0xFF01 needs a leading zero byte in DER to stay positive; parsers show the number.
  assert.equal(ca.serialNumber, 'FF01');
  assert.equal(new Date(ca.validTo).getTime(), Math.floor((NOW + CA_VALIDITY_MS) / 1000) * 1000);
  assert.ok(new Date(ca.validFrom).getTime() < NOW, 'valid from a little before now');
});

test('the kubernetes service IP is the first of the service range', () => {
  assert.equal(firstServiceIp('10.100.0.0/16'), '10.100.0.1');
  assert.equal(firstServiceIp('172.20.0.0/16'), '172.20.0.1');
});
