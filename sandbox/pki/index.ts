// Real certificates for sandbox masters, laid out and named the way kube-up's scripts make them
// (cluster/gce/util.sh: create-certs, create-etcd-certs, create-etcd-apiserver-certs, build-kube-env,
// build-kube-master-certs), so anything that reads a kube-up master's metadata can read a sandbox one.
// ECDSA P-256 keeps generation fast; etcd, Go TLS and Node all accept it.

import { webcrypto } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
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

/**
 * The cluster-wide secrets, made once per cluster and copied to every replica (kube-up's replicas copy the
 * first master's kube-env and kube-master-certs): the CAs, the API server's serving cert (MASTER_CERT, also
 * the service-account key pair), its kubelet client cert (KUBEAPISERVER_CERT), the admin credentials and the
 * API server's etcd client cert.
 */
export type ClusterPki = {
  caCert: string;
  caKey: string;
  etcdCaCert: string;
  etcdCaKey: string;
  etcdApiserverCaCert: string;
  etcdApiserverCaKey: string;
  kubecfgCert: string;
  kubecfgKey: string;
  /** KUBE_BEARER_TOKEN: the admin token of known_tokens.csv. */
  kubeBearerToken: string;
  masterCert: string;
  masterKey: string;
  kubeapiserverCert: string;
  kubeapiserverKey: string;
  etcdApiserverClientCert: string;
  etcdApiserverClientKey: string;
};

/** What each replica gets of its own: the etcd peer cert and the etcd client-port server cert. */
export type ReplicaCerts = {
  etcdPeerCert: string;
  etcdPeerKey: string;
  etcdApiserverServerCert: string;
  etcdApiserverServerKey: string;
};

/**
 * The two etcd layouts kube-up has shipped: `mtls` (Kubernetes >= ~1.16: ETCD_APISERVER_* in
 * kube-master-certs, mutual TLS on etcd main's client port) and `legacy` (the HA era: no ETCD_APISERVER_*,
 * main and events plain http, ETCD_QUORUM_READ in kube-env). Events is plain http in both.
 */
export type EtcdLayout = 'mtls' | 'legacy';

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

/** kube-up's gen-kube-bearertoken: 32 random bytes, base64, with `=+/` removed, cut to 32 characters. */
function bearerToken(): string {
  return Buffer.from(webcrypto.getRandomValues(new Uint8Array(48)))
    .toString('base64')
    .replace(/[=+/]/g, '')
    .slice(0, 32);
}

/** The `kubernetes` service's DNS names. */
export const KUBERNETES_SERVICE_NAMES = [
  'kubernetes',
  'kubernetes.default',
  'kubernetes.default.svc',
  `kubernetes.default.svc.${DNS_DOMAIN}`,
];

/**
 * The cluster-wide authorities and credentials, made once per cluster (kube-up's create-certs,
 * create-etcd-certs and create-etcd-apiserver-certs). MASTER_CERT names what kube-up's create-certs gives
 * easy-rsa: the static IP, the service IP, the `kubernetes` names and MASTER_NAME; no replica address.
 */
export async function createClusterPki(masterName: string, staticIp: string): Promise<ClusterPki> {
  const stamp = Math.floor(Date.now() / 1000);
  const [ca, etcdCa, etcdApiserverCa] = await Promise.all([
    // easy-rsa's build-ca in kube-up names the CA "<primary cn>@<unix time>", the primary cn being the static IP.
    createCa(`${staticIp}@${stamp}`),
    createCa('etcd-ca'),
    createCa('etcd-apiserver-ca'),
  ]);
  const clusterSigner = await importSigner(ca.cert, ca.key);
  const etcdApiserverSigner = await importSigner(etcdApiserverCa.cert, etcdApiserverCa.key);
  const [kubecfg, master, kubeapiserver, etcdClient] = await Promise.all([
    issueLeaf(clusterSigner, { subject: [{ CN: ['admin'] }, { O: ['system:masters'] }], usages: ['clientAuth'] }),
    issueLeaf(clusterSigner, {
      subject: [{ CN: [staticIp] }],
      usages: ['serverAuth'],
      ips: [staticIp, KUBERNETES_SERVICE_IP],
      dnsNames: [...KUBERNETES_SERVICE_NAMES, masterName],
    }),
    // The API server's client cert towards kubelets (bound to system:kubelet-api-admin), not a serving cert.
    issueLeaf(clusterSigner, { subject: [{ CN: ['kube-apiserver'] }], usages: ['clientAuth'] }),
    // common.sh generate-etcd-cert names the client after the first master (its `hostClient`).
    issueLeaf(etcdApiserverSigner, { subject: [{ CN: [masterName] }], usages: ['clientAuth'] }),
  ]);
  return {
    caCert: ca.cert,
    caKey: ca.key,
    etcdCaCert: etcdCa.cert,
    etcdCaKey: etcdCa.key,
    etcdApiserverCaCert: etcdApiserverCa.cert,
    etcdApiserverCaKey: etcdApiserverCa.key,
    kubecfgCert: kubecfg.cert,
    kubecfgKey: kubecfg.key,
    kubeBearerToken: bearerToken(),
    masterCert: master.cert,
    masterKey: master.key,
    kubeapiserverCert: kubeapiserver.cert,
    kubeapiserverKey: kubeapiserver.key,
    etcdApiserverClientCert: etcdClient.cert,
    etcdApiserverClientKey: etcdClient.key,
  };
}

/**
 * One replica's etcd certificates with kube-up's SANs (common.sh generate-etcd-cert): the peer cert DNS
 * `<instance>` and IP 127.0.0.1, the client-port server cert CN and DNS `etcd-<instance>` and IP 127.0.0.1.
 */
export async function createReplicaCerts(
  pki: ClusterPki,
  replica: { name: string; internalIp: string },
): Promise<ReplicaCerts> {
  const [etcdSigner, etcdApiserverSigner] = await Promise.all([
    importSigner(pki.etcdCaCert, pki.etcdCaKey),
    importSigner(pki.etcdApiserverCaCert, pki.etcdApiserverCaKey),
  ]);
  const [peer, server] = await Promise.all([
    issueLeaf(etcdSigner, {
      subject: [{ CN: [replica.name] }],
      usages: ['serverAuth', 'clientAuth'],
      // Peers dial each other by instance name (https://<instance>:2380), never by address.
      ips: ['127.0.0.1'],
      dnsNames: [replica.name],
    }),
    // clientAuth as well: etcd's own gRPC gateway dials the client port with this cert, and with
    // --client-cert-auth a serverAuth-only cert is refused (kube-up's "server" profile has both).
    issueLeaf(etcdApiserverSigner, {
      subject: [{ CN: [`etcd-${replica.name}`] }],
      usages: ['serverAuth', 'clientAuth'],
      ips: ['127.0.0.1'],
      dnsNames: [`etcd-${replica.name}`],
    }),
  ]);
  return {
    etcdPeerCert: peer.cert,
    etcdPeerKey: peer.key,
    etcdApiserverServerCert: server.cert,
    etcdApiserverServerKey: server.key,
  };
}

/** kube-up's yaml-quote: single quotes, embedded quotes doubled. */
export function yamlQuote(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/** kube-up's *_BASE64 variables of most certs and of every key: the PEM file base64-encoded on one line. */
function b64(pem: string): string {
  return Buffer.from(pem, 'utf8').toString('base64');
}

/**
 * kube-up's etcd certificates (ETCD_CA_CERT, ETCD_PEER_CERT, ETCD_APISERVER_{CA,SERVER,CLIENT}_CERT):
 * `gzip | base64`, which configure-helper undoes with `base64 --decode | gunzip`.
 */
export function gzipBase64(pem: string): string {
  return gzipSync(Buffer.from(pem, 'utf8')).toString('base64');
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
  /** The reserved static address: kube-up's KUBERNETES_MASTER_NAME (MASTER_RESERVED_IP). */
  staticIp: string;
  pki: ClusterPki;
  certs: ReplicaCerts;
  layout: EtcdLayout;
  initialEtcdCluster: string[];
  initialEtcdClusterState: 'new' | 'existing';
  multizone: boolean;
  /** Written (as ETCD_QUORUM_READ) only in the legacy layout: current kube-up has no such setting. */
  quorumReads: boolean;
}): Array<{ key: string; value: string }> {
  const region = regionOfZone(opts.zone);
  const instancePrefix = opts.masterName.replace(/-master$/, '');
  const { pki, certs } = opts;
  const legacy = opts.layout === 'legacy';
  // No MASTER_NAME key: kube-up's kube-env has none; a master's name comes from its instance name and tag.
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
    ['CA_CERT', b64(pki.caCert)],
    ['KUBERNETES_MASTER', 'true'],
    ['KUBERNETES_MASTER_NAME', opts.staticIp],
    ['KUBE_BEARER_TOKEN', pki.kubeBearerToken],
    ['MASTER_CERT', b64(pki.masterCert)],
    ['MASTER_KEY', b64(pki.masterKey)],
    ['KUBECFG_CERT', b64(pki.kubecfgCert)],
    ['KUBECFG_KEY', b64(pki.kubecfgKey)],
    ['STORAGE_BACKEND', 'etcd3'],
    ['ETCD_CA_KEY', b64(pki.etcdCaKey)],
    ['ETCD_CA_CERT', gzipBase64(pki.etcdCaCert)],
    ['ETCD_PEER_KEY', b64(certs.etcdPeerKey)],
    ['ETCD_PEER_CERT', gzipBase64(certs.etcdPeerCert)],
    ['INITIAL_ETCD_CLUSTER', opts.initialEtcdCluster.join(',')],
    ['INITIAL_ETCD_CLUSTER_STATE', opts.initialEtcdClusterState],
    ...(legacy ? ([[QUORUM_READ_KEY, String(opts.quorumReads)]] as Array<[string, string]>) : []),
  ]);
  const kubeMasterCerts = toKubeYaml([
    ['CA_KEY', b64(pki.caKey)],
    ['KUBEAPISERVER_CERT', b64(pki.kubeapiserverCert)],
    ['KUBEAPISERVER_KEY', b64(pki.kubeapiserverKey)],
    ...(legacy
      ? []
      : ([
          ['ETCD_APISERVER_CA_KEY', b64(pki.etcdApiserverCaKey)],
          ['ETCD_APISERVER_CA_CERT', gzipBase64(pki.etcdApiserverCaCert)],
          ['ETCD_APISERVER_SERVER_KEY', b64(certs.etcdApiserverServerKey)],
          ['ETCD_APISERVER_SERVER_CERT', gzipBase64(certs.etcdApiserverServerCert)],
          ['ETCD_APISERVER_CLIENT_KEY', b64(pki.etcdApiserverClientKey)],
          ['ETCD_APISERVER_CLIENT_CERT', gzipBase64(pki.etcdApiserverClientCert)],
        ] as Array<[string, string]>)),
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

/** Base64 value of a kube-env certificate or key -> PEM text (`base64 --decode`). */
export function decodeBase64Pem(value: string): string {
  return Buffer.from(value, 'base64').toString('utf8');
}

/** A gzip+base64 etcd certificate -> PEM text (`base64 --decode | gunzip`); throws when it is not gzip. */
export function decodeGzipBase64Pem(value: string): string {
  return gunzipSync(Buffer.from(value, 'base64')).toString('utf8');
}
