// Real certificates for sandbox masters, laid out and named the way kube-up's scripts make them
// (cluster/gce/util.sh: create-certs, create-etcd-certs, create-etcd-apiserver-certs, build-kube-env,
// build-kube-master-certs), so anything that reads a kube-up master's metadata can read a sandbox one.
// ECDSA P-256 keeps generation fast; etcd, Go TLS and Node all accept it.

import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { parse as parseYaml } from 'yaml';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

const subtle = webcrypto.subtle;
const EC_ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const SIGNING_ALG = { name: 'ECDSA', hash: 'SHA-256' } as const;
// kube-up's cfssl profiles sign for 43800h (5 years); CAs the same here.
const VALIDITY_MS = 43_800 * 3600 * 1000;
// Tolerate small clock differences between the process that signs and the ones that verify.
const BACKDATE_MS = 5 * 60 * 1000;

/** The API server's port on every replica's internal IP (443 as on GCE; we run as root). */
export const APISERVER_PORT: number = parsePort(process.env.SANDBOX_APISERVER_PORT, 443);

/** kube-env's service range (kube-up's default); the API server's service IP is its first address. */
export const SERVICE_CLUSTER_IP_RANGE = '10.0.0.0/16';
export const KUBERNETES_SERVICE_IP = '10.0.0.1';
const CLUSTER_IP_RANGE = '10.64.0.0/14';
const DNS_DOMAIN = 'cluster.local';

export type ClusterPki = {
  caCert: string;
  caKey: string;
  etcdCaCert: string;
  etcdCaKey: string;
  etcdApiserverCaCert: string;
  etcdApiserverCaKey: string;
  kubecfgCert: string;
  kubecfgKey: string;
};

export type ReplicaCerts = {
  etcdPeerCert: string;
  etcdPeerKey: string;
  etcdApiserverServerCert: string;
  etcdApiserverServerKey: string;
  etcdApiserverClientCert: string;
  etcdApiserverClientKey: string;
  masterCert: string;
  masterKey: string;
};

type Signer = { cert: x509.X509Certificate; key: CryptoKey };
type Issued = { cert: string; key: string };

function parsePort(raw: string | undefined, fallback: number): number {
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`SANDBOX_APISERVER_PORT must be a TCP port, got ${JSON.stringify(raw)}`);
  }
  return port;
}

function randomSerial(): string {
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  // Keep the DER INTEGER positive and of fixed length.
  bytes[0] = ((bytes[0] ?? 0) & 0x7f) | 0x01;
  return Buffer.from(bytes).toString('hex');
}

function validity(): { notBefore: Date; notAfter: Date } {
  const now = Date.now();
  return { notBefore: new Date(now - BACKDATE_MS), notAfter: new Date(now + VALIDITY_MS) };
}

async function generateKeyPair(): Promise<CryptoKeyPair> {
  return (await subtle.generateKey(EC_ALG, true, ['sign', 'verify'])) as CryptoKeyPair;
}

async function privateKeyPem(key: CryptoKey): Promise<string> {
  const pkcs8 = await subtle.exportKey('pkcs8', key);
  return x509.PemConverter.encode(pkcs8, 'PRIVATE KEY');
}

async function importSigner(certPem: string, keyPem: string): Promise<Signer> {
  const der = x509.PemConverter.decode(keyPem)[0];
  if (der === undefined) throw new Error('CA key is not PEM');
  const key = (await subtle.importKey('pkcs8', der, EC_ALG, false, ['sign'])) as CryptoKey;
  return { cert: new x509.X509Certificate(certPem), key };
}

async function createCa(commonName: string): Promise<Issued> {
  const keys = await generateKeyPair();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: [{ CN: [commonName] }],
    ...validity(),
    signingAlgorithm: SIGNING_ALG,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { cert: cert.toString('pem'), key: await privateKeyPem(keys.privateKey) };
}

type LeafSpec = {
  subject: Array<Record<string, string[]>>;
  usages: Array<'serverAuth' | 'clientAuth'>;
  ips?: string[];
  dnsNames?: string[];
};

async function issueLeaf(signer: Signer, spec: LeafSpec): Promise<Issued> {
  const keys = await generateKeyPair();
  const altNames: x509.JsonGeneralName[] = [
    ...unique(spec.dnsNames ?? []).map((value) => ({ type: 'dns' as const, value })),
    ...unique(spec.ips ?? []).map((value) => ({ type: 'ip' as const, value })),
  ];
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
    new x509.ExtendedKeyUsageExtension(spec.usages.map((usage) => x509.ExtendedKeyUsage[usage])),
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    await x509.AuthorityKeyIdentifierExtension.create(signer.cert.publicKey),
  ];
  if (altNames.length > 0) extensions.push(new x509.SubjectAlternativeNameExtension(altNames));
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: spec.subject,
    issuer: signer.cert.subject,
    ...validity(),
    signingAlgorithm: SIGNING_ALG,
    publicKey: keys.publicKey,
    signingKey: signer.key,
    extensions,
  });
  return { cert: cert.toString('pem'), key: await privateKeyPem(keys.privateKey) };
}

function unique(values: string[]): string[] {
  return [...new Set(values.filter((v) => v !== ''))];
}

/**
 * The cluster-wide authorities and the admin credential, made once per master name (kube-up's
 * create-certs, create-etcd-certs and create-etcd-apiserver-certs).
 */
export async function createClusterPki(masterName: string): Promise<ClusterPki> {
  const stamp = Math.floor(Date.now() / 1000);
  const [ca, etcdCa, etcdApiserverCa] = await Promise.all([
    // easy-rsa's build-ca in kube-up names the CA "<primary cn>@<unix time>".
    createCa(`${masterName}@${stamp}`),
    createCa('etcd-ca'),
    createCa('etcd-apiserver-ca'),
  ]);
  const clusterSigner = await importSigner(ca.cert, ca.key);
  const kubecfg = await issueLeaf(clusterSigner, {
    subject: [{ CN: ['admin'] }, { O: ['system:masters'] }],
    usages: ['clientAuth'],
  });
  return {
    caCert: ca.cert,
    caKey: ca.key,
    etcdCaCert: etcdCa.cert,
    etcdCaKey: etcdCa.key,
    etcdApiserverCaCert: etcdApiserverCa.cert,
    etcdApiserverCaKey: etcdApiserverCa.key,
    kubecfgCert: kubecfg.cert,
    kubecfgKey: kubecfg.key,
  };
}

/**
 * One replica's certificates. Unlike kube-up (which reuses the first master's serving cert, SANs
 * holding only the static IP), each replica's API-server cert also covers its own internal IP and name.
 */
export async function createReplicaCerts(
  pki: ClusterPki,
  replica: { name: string; internalIp: string; staticIp: string },
): Promise<ReplicaCerts> {
  const [clusterSigner, etcdSigner, etcdApiserverSigner] = await Promise.all([
    importSigner(pki.caCert, pki.caKey),
    importSigner(pki.etcdCaCert, pki.etcdCaKey),
    importSigner(pki.etcdApiserverCaCert, pki.etcdApiserverCaKey),
  ]);
  const memberIps = [replica.internalIp, '127.0.0.1'];
  const memberNames = [replica.name, 'localhost'];
  // kube-up's cfssl requests use the member IP as CN for server and peer certs, "client" for clients.
  const [peer, server, client, master] = await Promise.all([
    issueLeaf(etcdSigner, {
      subject: [{ CN: [replica.internalIp] }],
      usages: ['serverAuth', 'clientAuth'],
      ips: memberIps,
      dnsNames: memberNames,
    }),
    // clientAuth as well: etcd's own gRPC gateway dials the client port with this cert, and with
    // --client-cert-auth a serverAuth-only cert is refused (kube-up's later "server" profile has both).
    issueLeaf(etcdApiserverSigner, {
      subject: [{ CN: [replica.internalIp] }],
      usages: ['serverAuth', 'clientAuth'],
      ips: memberIps,
      dnsNames: memberNames,
    }),
    issueLeaf(etcdApiserverSigner, { subject: [{ CN: ['client'] }], usages: ['clientAuth'] }),
    issueLeaf(clusterSigner, {
      subject: [{ CN: [replica.staticIp || replica.internalIp] }],
      usages: ['serverAuth'],
      ips: [replica.staticIp, replica.internalIp, KUBERNETES_SERVICE_IP],
      dnsNames: [
        replica.name,
        'kubernetes',
        'kubernetes.default',
        'kubernetes.default.svc',
        `kubernetes.default.svc.${DNS_DOMAIN}`,
      ],
    }),
  ]);
  return {
    etcdPeerCert: peer.cert,
    etcdPeerKey: peer.key,
    etcdApiserverServerCert: server.cert,
    etcdApiserverServerKey: server.key,
    etcdApiserverClientCert: client.cert,
    etcdApiserverClientKey: client.key,
    masterCert: master.cert,
    masterKey: master.key,
  };
}

/** kube-up's yaml-quote: single quotes, embedded quotes doubled. */
export function yamlQuote(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/** kube-up's *_BASE64 variables: the PEM file base64-encoded on one line. */
function b64(pem: string): string {
  return Buffer.from(pem, 'utf8').toString('base64');
}

function toKubeYaml(entries: Array<[string, string]>): string {
  return entries.map(([key, value]) => `${key}: ${yamlQuote(value)}\n`).join('');
}

/** GCE zone -> region: drop the zone letter suffix (europe-west1-b -> europe-west1). */
export function regionOfZone(zone: string): string {
  return zone.replace(/-[a-z]$/, '');
}

/** kube-up's ENV_TIMESTAMP format: date -u +%Y-%m-%dT%T%z. */
function envTimestamp(now: Date): string {
  return `${now.toISOString().slice(0, 19)}+0000`;
}

/**
 * Key under which kube-up's build-kube-env writes the quorum-read setting. The operator flag is
 * ENABLE_ETCD_QUORUM_READ(S); config-default.sh copies it into ETCD_QUORUM_READ, which is what kube-env holds.
 */
export const QUORUM_READ_KEY = 'ETCD_QUORUM_READ';

export function buildMasterMetadata(opts: {
  masterName: string;
  clusterName: string;
  zone: string;
  pki: ClusterPki;
  certs: ReplicaCerts;
  initialEtcdCluster: string[];
  initialEtcdClusterState: 'new' | 'existing';
  multizone: boolean;
  quorumReads: boolean;
}): Array<{ key: string; value: string }> {
  const region = regionOfZone(opts.zone);
  const instancePrefix = opts.masterName.replace(/-master$/, '');
  const kubeEnv = toKubeYaml([
    ['ENV_TIMESTAMP', envTimestamp(new Date())],
    ['INSTANCE_PREFIX', instancePrefix],
    ['NODE_INSTANCE_PREFIX', `${instancePrefix}-minion`],
    ['CLUSTER_IP_RANGE', CLUSTER_IP_RANGE],
    ['SERVICE_CLUSTER_IP_RANGE', SERVICE_CLUSTER_IP_RANGE],
    ['DNS_DOMAIN', DNS_DOMAIN],
    ['ZONE', opts.zone],
    ['REGION', region],
    ['MULTIZONE', String(opts.multizone)],
    ['CA_CERT', b64(opts.pki.caCert)],
    ['KUBERNETES_MASTER', 'true'],
    ['KUBERNETES_MASTER_NAME', opts.masterName],
    ['MASTER_NAME', opts.masterName],
    ['MASTER_CERT', b64(opts.certs.masterCert)],
    ['MASTER_KEY', b64(opts.certs.masterKey)],
    ['KUBECFG_CERT', b64(opts.pki.kubecfgCert)],
    ['KUBECFG_KEY', b64(opts.pki.kubecfgKey)],
    ['STORAGE_BACKEND', 'etcd3'],
    ['ETCD_CA_KEY', b64(opts.pki.etcdCaKey)],
    ['ETCD_CA_CERT', b64(opts.pki.etcdCaCert)],
    ['ETCD_PEER_KEY', b64(opts.certs.etcdPeerKey)],
    ['ETCD_PEER_CERT', b64(opts.certs.etcdPeerCert)],
    ['INITIAL_ETCD_CLUSTER', opts.initialEtcdCluster.join(',')],
    ['INITIAL_ETCD_CLUSTER_STATE', opts.initialEtcdClusterState],
    [QUORUM_READ_KEY, String(opts.quorumReads)],
  ]);
  const kubeMasterCerts = toKubeYaml([
    ['CA_KEY', b64(opts.pki.caKey)],
    ['KUBEAPISERVER_CERT', b64(opts.certs.masterCert)],
    ['KUBEAPISERVER_KEY', b64(opts.certs.masterKey)],
    ['ETCD_APISERVER_CA_KEY', b64(opts.pki.etcdApiserverCaKey)],
    ['ETCD_APISERVER_CA_CERT', b64(opts.pki.etcdApiserverCaCert)],
    ['ETCD_APISERVER_SERVER_KEY', b64(opts.certs.etcdApiserverServerKey)],
    ['ETCD_APISERVER_SERVER_CERT', b64(opts.certs.etcdApiserverServerCert)],
    ['ETCD_APISERVER_CLIENT_KEY', b64(opts.certs.etcdApiserverClientKey)],
    ['ETCD_APISERVER_CLIENT_CERT', b64(opts.certs.etcdApiserverClientCert)],
  ]);
  const bootNote =
    '#!/bin/sh\n# Quorum sandbox: the VM agent (sandbox/vm/agent.ts) reads kube-env and kube-master-certs\n' +
    '# and runs etcd main/events and an API-server stand-in in place of this script.\n';
  return [
    { key: 'kube-env', value: kubeEnv },
    { key: 'kube-master-certs', value: kubeMasterCerts },
    { key: 'cluster-name', value: opts.clusterName },
    { key: 'cluster-location', value: region },
    { key: 'startup-script', value: bootNote },
    { key: 'user-data', value: bootNote },
  ];
}

/**
 * Reads a kube-env style document back (YAML mapping of strings) and decodes nothing: values stay as
 * written (base64 for certs). Throws when the text is not a flat mapping of scalars.
 */
export function parseKubeYaml(text: string): Record<string, string> {
  const doc: unknown = parseYaml(text);
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    throw new Error('kube-env is not a YAML mapping');
  }
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(doc)) {
    if (typeof value === 'string') out[key] = value;
    else if (typeof value === 'number' || typeof value === 'boolean') out[key] = String(value);
    else if (value !== null) throw new Error(`kube-env value of ${key} is not a scalar`);
  }
  return out;
}

/** Base64 value of a kube-env certificate or key -> PEM text. */
export function decodeBase64Pem(value: string): string {
  return Buffer.from(value, 'base64').toString('utf8');
}
