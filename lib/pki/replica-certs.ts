// A new master replica's certificates and metadata, made from what an existing master's metadata holds,
// the way kube-up's replicate-master-instance does it: the new member gets its own etcd peer cert and (in
// the layout that has them) its own etcd-apiserver server cert, with kube-up's SANs, written gzip+base64 as
// configure-helper expects; everything else is copied byte for byte: MASTER_CERT/KEY (the shared serving
// cert, also the service-account key pair), KUBEAPISERVER_CERT/KEY (the kubelet client cert), the etcd
// client cert, the CAs. Quorum keeps no per-replica serving cert (APISERVER_SERVER_CERT stays unset).

import { readKubeYaml, rewriteKubeYaml } from './kube-yaml';
import { decodePemValue, encodePemValue, encodingOf } from './pem-encoding';
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
  /** Signs etcd's client-port server certs (ETCD_APISERVER_CA_*); null in the pre-1.16 layout, which has none. */
  etcdApiserver: Signer | null;
};

export type ReplicaIdentity = {
  /** Instance name, e.g. `prod-master-x7k`. */
  name: string;
};

export type ReplicaCerts = {
  etcdPeer: IssuedPair;
  /** null where the cluster has no etcd-apiserver PKI (plain http etcd main). */
  etcdApiserverServer: IssuedPair | null;
};

export type MetadataItem = { key: string; value: string };

type Docs = { kubeEnv: Map<string, string>; masterCerts: Map<string, string> };

function readDocs(metadata: Readonly<Record<string, string>>): Docs {
  const kubeEnvText = metadata[KUBE_ENV];
  if (kubeEnvText === undefined) throw new PkiError('the existing master has no kube-env metadata');
  const masterCertsText = metadata[KUBE_MASTER_CERTS];
  if (masterCertsText === undefined) throw new PkiError('the existing master has no kube-master-certs metadata');
  return {
    kubeEnv: readKubeYaml(kubeEnvText, KUBE_ENV),
    masterCerts: readKubeYaml(masterCertsText, KUBE_MASTER_CERTS),
  };
}

function pemOf(docs: Docs, key: string, missing: string[]): Pem | null {
  const raw = docs.kubeEnv.get(key) || docs.masterCerts.get(key);
  if (!raw) {
    missing.push(key);
    return null;
  }
  const pem = decodePemValue(key, raw);
  if (pem === null) missing.push(`${key} (not ${encodingOf(key)} of PEM)`);
  return pem;
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

/** The service IP and DNS domain a cluster's kube-env names (kube-up's defaults otherwise). */
export function serviceNetworkOf(metadata: Readonly<Record<string, string>>): {
  kubernetesServiceIp: string;
  dnsDomain: string;
} {
  const docs = readDocs(metadata);
  return {
    kubernetesServiceIp: firstServiceIp(
      docs.kubeEnv.get('SERVICE_CLUSTER_IP_RANGE') || DEFAULT_SERVICE_CLUSTER_IP_RANGE,
    ),
    dnsDomain: docs.kubeEnv.get('DNS_DOMAIN') || DEFAULT_DNS_DOMAIN,
  };
}

/**
 * The etcd CAs a new replica's certificates need, from an existing master's metadata: the etcd peer CA
 * always, the etcd-apiserver CA where the metadata has the ETCD_APISERVER_* set. Throws PkiError naming
 * every missing or unreadable item.
 */
export async function readClusterAuthorities(metadata: Readonly<Record<string, string>>): Promise<ClusterAuthorities> {
  const docs = readDocs(metadata);
  const missing: string[] = [];
  const etcdCaCert = pemOf(docs, 'ETCD_CA_CERT', missing);
  const etcdCaKey = pemOf(docs, 'ETCD_CA_KEY', missing);
  const mtls = docs.masterCerts.get('ETCD_APISERVER_CA_CERT') || docs.kubeEnv.get('ETCD_APISERVER_CA_CERT');
  const apiCaCert = mtls ? pemOf(docs, 'ETCD_APISERVER_CA_CERT', missing) : null;
  const apiCaKey = mtls ? pemOf(docs, 'ETCD_APISERVER_CA_KEY', missing) : null;
  if (missing.length > 0 || !etcdCaCert || !etcdCaKey || (mtls && (!apiCaCert || !apiCaKey))) {
    throw new PkiError(
      `the existing master's metadata lacks what a new replica's certificates need: ${missing.join(', ')}`,
    );
  }
  const [etcdPeer, etcdApiserver] = await Promise.all([
    importSigner(etcdCaCert, etcdCaKey, 'etcd CA (ETCD_CA_CERT/ETCD_CA_KEY)'),
    apiCaCert && apiCaKey
      ? importSigner(apiCaCert, apiCaKey, 'etcd-apiserver CA (ETCD_APISERVER_CA_CERT/KEY)')
      : Promise.resolve(null),
  ]);
  return { etcdPeer, etcdApiserver };
}

/** The `kubernetes` service's DNS names for a cluster domain. */
export function kubernetesServiceNames(dnsDomain: string): string[] {
  return ['kubernetes', 'kubernetes.default', 'kubernetes.default.svc', `kubernetes.default.svc.${dnsDomain}`];
}

/**
 * A replica's own etcd certificates with kube-up's SANs (common.sh generate-etcd-cert): the peer cert CN and
 * DNS `<instance>`, IP 127.0.0.1; the client-port server cert CN and DNS `etcd-<instance>`, IP 127.0.0.1.
 */
export async function issueReplicaCerts(
  ca: ClusterAuthorities,
  replica: ReplicaIdentity,
  now?: Date,
): Promise<ReplicaCerts> {
  const at = now ? { now } : {};
  const [etcdPeer, etcdApiserverServer] = await Promise.all([
    issueLeaf(ca.etcdPeer, {
      commonName: replica.name,
      usages: ['serverAuth', 'clientAuth'],
      // Peers dial each other by instance name (https://<instance>:2380), never by address.
      ips: ['127.0.0.1'],
      dnsNames: [replica.name],
      ...at,
    }),
    // clientAuth too: etcd's gRPC gateway dials its own client port with this cert under --client-cert-auth.
    ca.etcdApiserver
      ? issueLeaf(ca.etcdApiserver, {
          commonName: `etcd-${replica.name}`,
          usages: ['serverAuth', 'clientAuth'],
          ips: ['127.0.0.1'],
          dnsNames: [`etcd-${replica.name}`],
          ...at,
        })
      : Promise.resolve(null),
  ]);
  return { etcdPeer, etcdApiserverServer };
}

/**
 * The new replica's metadata: every item of the existing master's, in its order, with kube-env's
 * INITIAL_ETCD_CLUSTER (existing replicas + the new one), INITIAL_ETCD_CLUSTER_STATE=existing and
 * ETCD_PEER_CERT/KEY, and kube-master-certs' ETCD_APISERVER_SERVER_CERT/KEY (where present) rewritten in
 * place. Nothing else changes by a byte.
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
      ['ETCD_PEER_KEY', encodePemValue('ETCD_PEER_KEY', certs.etcdPeer.key)],
      ['ETCD_PEER_CERT', encodePemValue('ETCD_PEER_CERT', certs.etcdPeer.cert)],
      ['INITIAL_ETCD_CLUSTER', cluster.join(',')],
      ['INITIAL_ETCD_CLUSTER_STATE', 'existing'],
    ]),
    KUBE_ENV,
  );
  const server = certs.etcdApiserverServer;
  if (server) {
    masterCerts.value = rewriteKubeYaml(
      masterCerts.value,
      new Map([
        ['ETCD_APISERVER_SERVER_KEY', encodePemValue('ETCD_APISERVER_SERVER_KEY', server.key)],
        ['ETCD_APISERVER_SERVER_CERT', encodePemValue('ETCD_APISERVER_SERVER_CERT', server.cert)],
      ]),
      KUBE_MASTER_CERTS,
    );
  }
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
