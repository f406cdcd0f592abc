/**
 * A cluster's certificates, as an EKS cluster has them: its own CA (DescribeCluster's
 * `certificateAuthority.data` is the base64 of its PEM, which kubeconfig trusts) and a
 * serving certificate for its API server, signed by that CA, naming every host name and
 * IP a client may dial (the listener's address, `kubernetes`, `kubernetes.default.svc`…,
 * and the first IP of the service range, where pods reach the API server).
 *
 * node-forge builds them: a maintained, dependency-free X.509 library (ASN.1, extensions,
 * PEM), where @peculiar/x509 needs a global reflect-metadata polyfill to load. Keys are
 * made by node's crypto at the edge (api/eks/cluster-keys.ts) and come in as PEM; RSA
 * signing is deterministic, so this is a pure function of its inputs.
 */
import forge from 'node-forge';

/** The CA's life: EKS cluster CAs are valid for ten years. */
export const CA_VALIDITY_MS = 10 * 365 * 24 * 60 * 60 * 1000;
/** The serving certificate's life: as long as the CA's, so a cluster never serves an expired one while its CA holds. */
export const SERVING_VALIDITY_MS = CA_VALIDITY_MS;
/** Certificates are valid from a little before `now`, so a client whose clock is behind still accepts them. */
const BACKDATE_MS = 5 * 60 * 1000;

export interface ClusterPkiInput {
  /** PEM (PKCS#1 or PKCS#8) RSA private keys. */
  readonly caKey: string;
  readonly servingKey: string;
  /** Positive serial numbers, hex (random at the edge). */
  readonly caSerial: string;
  readonly servingSerial: string;
  readonly clusterName: string;
  /** The host names and IPs the API server is dialled by. */
  readonly hosts: readonly string[];
  /** Epoch ms. */
  readonly now: number;
}

export interface ClusterPki {
  /** PEM. */
  readonly caCert: string;
  readonly servingCert: string;
}

/** The names every cluster's API server answers to inside the cluster, as kube-apiserver's certificate has them. */
export const IN_CLUSTER_NAMES = ['kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local'] as const;

export function issueClusterPki(input: ClusterPkiInput): ClusterPki {
  const caKey = forge.pki.privateKeyFromPem(input.caKey) as forge.pki.rsa.PrivateKey;
  const servingKey = forge.pki.privateKeyFromPem(input.servingKey) as forge.pki.rsa.PrivateKey;
  const caSubject = [{ name: 'commonName', value: 'kubernetes' }];

  const ca = forge.pki.createCertificate();
  ca.publicKey = forge.pki.setRsaPublicKey(caKey.n, caKey.e);
  ca.serialNumber = positiveSerial(input.caSerial);
  ca.validity.notBefore = new Date(input.now - BACKDATE_MS);
  ca.validity.notAfter = new Date(input.now + CA_VALIDITY_MS);
  ca.setSubject(caSubject);
  ca.setIssuer(caSubject);
  ca.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  ca.sign(caKey, forge.md.sha256.create());

  const serving = forge.pki.createCertificate();
  serving.publicKey = forge.pki.setRsaPublicKey(servingKey.n, servingKey.e);
  serving.serialNumber = positiveSerial(input.servingSerial);
  serving.validity.notBefore = new Date(input.now - BACKDATE_MS);
  serving.validity.notAfter = new Date(input.now + SERVING_VALIDITY_MS);
  serving.setSubject([{ name: 'commonName', value: 'kube-apiserver' }]);
  serving.setIssuer(caSubject);
  serving.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    { name: 'authorityKeyIdentifier', keyIdentifier: ca.generateSubjectKeyIdentifier().getBytes() },
    { name: 'subjectAltName', altNames: subjectAltNames(input.hosts) },
  ]);
  serving.sign(caKey, forge.md.sha256.create());

  // forge writes CRLF line ends; PEM as EKS and every Kubernetes tool writes it has LF.
  return { caCert: lf(forge.pki.certificateToPem(ca)), servingCert: lf(forge.pki.certificateToPem(serving)) };
}

/** The first address of an IPv4 CIDR (`10.100.0.0/16` → `10.100.0.1`): the `kubernetes` service's cluster IP. */
export function firstServiceIp(cidr: string): string {
  const [ip] = cidr.split('/') as [string];
  const parts = ip.split('.').map(Number);
  parts[3] = (parts[3] ?? 0) + 1;
  return parts.join('.');
}

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

/** DNS names as dNSName (2), IPv4 and IPv6 addresses as iPAddress (7); duplicates dropped. */
function subjectAltNames(hosts: readonly string[]): { type: number; value?: string; ip?: string }[] {
  return [...new Set(hosts)].map((h) => (IPV4.test(h) || h.includes(':') ? { type: 7, ip: h } : { type: 2, value: h }));
}

/** A serial as X.509 wants it: hex, positive (a leading 0 bit), never empty. */
function positiveSerial(hex: string): string {
  const clean = hex.replace(/[^0-9a-f]/gi, '') || '01';
  return /^[89a-f]/i.test(clean) ? `00${clean}` : clean;
}

function lf(pem: string): string {
  return pem.replace(/\r\n/g, '\n');
}
