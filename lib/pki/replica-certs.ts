// A new master replica's certificates and metadata, made from what an existing master's metadata holds
// (the cluster's CAs with their keys), the way kube-up's replicate-master-instance does it but with the
// API-server certificate kube-up never makes: one whose SANs cover this replica's own internal IP and name.

import { readKubeYaml, rewriteKubeYaml } from './kube-yaml';
import { importSigner, issueLeaf, PkiError, type IssuedPair, type Pem, type Signer } from './x509';

export { PkiError } from './x509';

export const KUBE_ENV = 'kube-env';
export const KUBE_MASTER_CERTS = 'kube-master-certs';

/** kube-up's defaults when kube-env does not say (config-default.sh). */
const DEFAULT_SERVICE_CLUSTER_IP_RANGE = '10.0.0.0/16';
const DEFAULT_DNS_DOMAIN = 'cluster.local';

export type ClusterAuthorities = {
  /** Signs etcd peer certificates (ETCD_CA_CERT / ETCD_CA_KEY). */
  etcdPeer: Signer;
  /** Signs etcd's client-port server certs and the API server's etcd client certs (ETCD_APISERVER_CA_*). */
  etcdApiserver: Signer;
  /** The cluster CA: signs the API server's serving cert (CA_CERT / CA_KEY). */
  cluster: Signer;
  /** The API server's service IP (first address of SERVICE_CLUSTER_IP_RANGE) and DNS_DOMAIN. */
  kubernetesServiceIp: string;
  dnsDomain: string;
};

export type ReplicaIdentity = {
  /** Instance name, e.g. `prod-master-x7k`. */
  name: string;
  /** Its internal IP, chosen before the instance exists (the certificates name it). */
  internalIp: string;
  /** The cluster's static IP (the forwarding rule's address once there are several replicas). */
  staticIp: string;
};

export type ReplicaCerts = {
  etcdPeer: IssuedPair;
  etcdApiserverServer: IssuedPair;
  etcdApiserverClient: IssuedPair;
  apiserver: IssuedPair;
};

export type MetadataItem = { key: string; value: string };

type Docs = { kubeEnv: Map<string, string>; masterCerts: Map<string, string> };

function readDocs(metadata: Readonly<Record<string, string>>): Docs {
  const kubeEnvText = metadata[KUBE_ENV];
  if (kubeEnvText === undefined) throw new PkiError('the existing master has no kube-env metadata');
  const masterCertsText = metadata[KUBE_MASTER_CERTS];
  if (masterCertsText === undefined) throw new PkiError('the existing master has no kube-master-certs metadata');
  return { kubeEnv: readKubeYaml(kubeEnvText, KUBE_ENV), masterCerts: readKubeYaml(masterCertsText, KUBE_MASTER_CERTS) };
}

/** kube-up's *_BASE64 values -> PEM (a value that is PEM already is taken as is). */
function pemOf(docs: Docs, key: string, missing: string[]): Pem | null {
  const raw = docs.kubeEnv.get(key) || docs.masterCerts.get(key);
  if (!raw) {
    missing.push(key);
    return null;
  }
  const trimmed = raw.trim();
  const text = trimmed.startsWith('-----BEGIN ') ? trimmed : Buffer.from(trimmed, 'base64').toString('utf8').trim();
  if (!text.startsWith('-----BEGIN ')) {
    missing.push(`${key} (not base64 of PEM)`);
    return null;
  }
  return `${text}\n`;
}

/** The first host address of an IPv4 CIDR (kube-up: the `kubernetes` service IP of SERVICE_CLUSTER_IP_RANGE). */
export function firstServiceIp(cidr: string): string {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr.trim());
  if (!m) throw new PkiError(`SERVICE_CLUSTER_IP_RANGE ${JSON.stringify(cidr)} is not an IPv4 CIDR`);
  const octets = m.slice(1, 5).map(Number);
  const prefix = Number(m[5]);
  if (octets.some((o) => o > 255) || prefix > 30) throw new PkiError(`SERVICE_CLUSTER_IP_RANGE ${cidr} is not usable`);
  const base = octets.reduce((n, o) => n * 256 + o, 0);
  const size = 2 ** (32 - prefix);
  const first = base - (base % size) + 1;
  return [first >>> 24, (first >>> 16) & 255, (first >>> 8) & 255, first & 255].join('.');
}

/** The cluster's three CAs from an existing master's metadata. Throws PkiError naming every missing item. */
export async function readClusterAuthorities(metadata: Readonly<Record<string, string>>): Promise<ClusterAuthorities> {
  const docs = readDocs(metadata);
  const missing: string[] = [];
  const pems = {
    etcdCaCert: pemOf(docs, 'ETCD_CA_CERT', missing),
    etcdCaKey: pemOf(docs, 'ETCD_CA_KEY', missing),
    etcdApiserverCaCert: pemOf(docs, 'ETCD_APISERVER_CA_CERT', missing),
    etcdApiserverCaKey: pemOf(docs, 'ETCD_APISERVER_CA_KEY', missing),
    caCert: pemOf(docs, 'CA_CERT', missing),
    caKey: pemOf(docs, 'CA_KEY', missing),
  };
  const { etcdCaCert, etcdCaKey, etcdApiserverCaCert, etcdApiserverCaKey, caCert, caKey } = pems;
  if (missing.length > 0 || !etcdCaCert || !etcdCaKey || !etcdApiserverCaCert || !etcdApiserverCaKey || !caCert || !caKey) {
    throw new PkiError(`the existing master's metadata lacks what a new replica's certificates need: ${missing.join(', ')}`);
  }
  const [etcdPeer, etcdApiserver, cluster] = await Promise.all([
    importSigner(etcdCaCert, etcdCaKey, 'etcd CA (ETCD_CA_CERT/ETCD_CA_KEY)'),
    importSigner(etcdApiserverCaCert, etcdApiserverCaKey, 'etcd-apiserver CA (ETCD_APISERVER_CA_CERT/KEY)'),
    importSigner(caCert, caKey, 'cluster CA (CA_CERT/CA_KEY)'),
  ]);
  return {
    etcdPeer,
    etcdApiserver,
    cluster,
    kubernetesServiceIp: firstServiceIp(docs.kubeEnv.get('SERVICE_CLUSTER_IP_RANGE') || DEFAULT_SERVICE_CLUSTER_IP_RANGE),
    dnsDomain: docs.kubeEnv.get('DNS_DOMAIN') || DEFAULT_DNS_DOMAIN,
  };
}

/** The `kubernetes` service's DNS names for a cluster domain. */
export function kubernetesServiceNames(dnsDomain: string): string[] {
  return ['kubernetes', 'kubernetes.default', 'kubernetes.default.svc', `kubernetes.default.svc.${dnsDomain}`];
}

/**
 * A replica's certificates. etcd's (peer, client-port server) cover the internal IP, the name, 127.0.0.1
 * and localhost; the API server's covers the static IP, the internal IP, the service IP, the name and
 * the service names. CNs follow kube-up's cfssl requests (member IP; `client` for the client cert).
 */
export async function issueReplicaCerts(ca: ClusterAuthorities, replica: ReplicaIdentity, now?: Date): Promise<ReplicaCerts> {
  const memberIps = [replica.internalIp, '127.0.0.1'];
  const memberNames = [replica.name, 'localhost'];
  const at = now ? { now } : {};
  const [etcdPeer, etcdApiserverServer, etcdApiserverClient, apiserver] = await Promise.all([
    issueLeaf(ca.etcdPeer, { commonName: replica.internalIp, usages: ['serverAuth', 'clientAuth'], ips: memberIps, dnsNames: memberNames, ...at }),
    // clientAuth too: etcd's gRPC gateway dials its own client port with this cert under --client-cert-auth.
    issueLeaf(ca.etcdApiserver, {
      commonName: replica.internalIp,
      usages: ['serverAuth', 'clientAuth'],
      ips: memberIps,
      dnsNames: memberNames,
      ...at,
    }),
    issueLeaf(ca.etcdApiserver, { commonName: 'client', usages: ['clientAuth'], ...at }),
    issueLeaf(ca.cluster, {
      commonName: replica.staticIp || replica.internalIp,
      usages: ['serverAuth'],
      ips: [replica.staticIp, replica.internalIp, ca.kubernetesServiceIp],
      dnsNames: [replica.name, ...kubernetesServiceNames(ca.dnsDomain)],
      ...at,
    }),
  ]);
  return { etcdPeer, etcdApiserverServer, etcdApiserverClient, apiserver };
}

const b64 = (pem: Pem) => Buffer.from(pem, 'utf8').toString('base64');

/**
 * The new replica's metadata: every item of the existing master's, in its order, with kube-env's
 * INITIAL_ETCD_CLUSTER (existing replicas + the new one), INITIAL_ETCD_CLUSTER_STATE=existing,
 * ETCD_PEER_CERT/KEY, MASTER_CERT/KEY and kube-master-certs' ETCD_APISERVER_SERVER_*,
 * ETCD_APISERVER_CLIENT_*, KUBEAPISERVER_CERT/KEY rewritten in place. Nothing else changes by a byte.
 */
export function replicaMetadata(
  existing: ReadonlyArray<MetadataItem> | Readonly<Record<string, string>>,
  opts: { name: string; existingReplicas: readonly string[]; certs: ReplicaCerts },
): MetadataItem[] {
  const items: MetadataItem[] = Array.isArray(existing)
    ? existing.map((i: MetadataItem) => ({ key: i.key, value: i.value }))
    : Object.entries(existing).map(([key, value]) => ({ key, value }));
  const kubeEnv = items.find((i) => i.key === KUBE_ENV);
  const masterCerts = items.find((i) => i.key === KUBE_MASTER_CERTS);
  if (!kubeEnv) throw new PkiError('the existing master has no kube-env metadata');
  if (!masterCerts) throw new PkiError('the existing master has no kube-master-certs metadata');
  const cluster = [...new Set([...opts.existingReplicas.filter((n) => n !== ''), opts.name])];
  const { certs } = opts;
  kubeEnv.value = rewriteKubeYaml(
    kubeEnv.value,
    new Map([
      ['MASTER_CERT', b64(certs.apiserver.cert)],
      ['MASTER_KEY', b64(certs.apiserver.key)],
      ['ETCD_PEER_KEY', b64(certs.etcdPeer.key)],
      ['ETCD_PEER_CERT', b64(certs.etcdPeer.cert)],
      ['INITIAL_ETCD_CLUSTER', cluster.join(',')],
      ['INITIAL_ETCD_CLUSTER_STATE', 'existing'],
    ]),
    KUBE_ENV,
  );
  masterCerts.value = rewriteKubeYaml(
    masterCerts.value,
    new Map([
      ['KUBEAPISERVER_CERT', b64(certs.apiserver.cert)],
      ['KUBEAPISERVER_KEY', b64(certs.apiserver.key)],
      ['ETCD_APISERVER_SERVER_KEY', b64(certs.etcdApiserverServer.key)],
      ['ETCD_APISERVER_SERVER_CERT', b64(certs.etcdApiserverServer.cert)],
      ['ETCD_APISERVER_CLIENT_KEY', b64(certs.etcdApiserverClient.key)],
      ['ETCD_APISERVER_CLIENT_CERT', b64(certs.etcdApiserverClient.cert)],
    ]),
    KUBE_MASTER_CERTS,
  );
  return items;
}

/** Both at once: read the CAs from the existing master, issue the certificates, rewrite the metadata. */
export async function buildReplicaMetadata(
  existing: Readonly<Record<string, string>>,
  replica: ReplicaIdentity,
  existingReplicas: readonly string[],
): Promise<{ metadata: MetadataItem[]; certs: ReplicaCerts }> {
  const ca = await readClusterAuthorities(existing);
  const certs = await issueReplicaCerts(ca, replica);
  return { metadata: replicaMetadata(existing, { name: replica.name, existingReplicas, certs }), certs };
}
