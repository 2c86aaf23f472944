// A new cluster's PKI and its first master's metadata, the way kube-up's create-certs,
// create-etcd-certs, create-etcd-apiserver-certs, build-kube-env and build-kube-master-certs make them:
// three CAs (cluster, etcd peer, etcd-apiserver), the admin credential, and the first master's own
// certificates, each under kube-up's variable name as base64 of its PEM. Pure: no I/O.

import { X509Certificate } from '@peculiar/x509';
import { z } from 'zod';
import { firstServiceIp, issueReplicaCerts, KUBE_ENV, KUBE_MASTER_CERTS, type ClusterAuthorities, type MetadataItem, type ReplicaIdentity } from './replica-certs';
import { yamlQuote } from './kube-yaml';
import { createCa, importSigner, issueLeaf, PkiError, type Pem } from './x509';

/** kube-up's config-default.sh values a new cluster starts with. */
export const SERVICE_CLUSTER_IP_RANGE = '10.0.0.0/16';
const CLUSTER_IP_RANGE = '10.64.0.0/14';
const DNS_DOMAIN = 'cluster.local';

/** Every certificate and key of a new cluster, by kube-up's variable name, each base64 of its PEM. */
export const CLUSTER_SECRET_KEYS = [
  'CA_CERT',
  'CA_KEY',
  'ETCD_CA_CERT',
  'ETCD_CA_KEY',
  'ETCD_APISERVER_CA_CERT',
  'ETCD_APISERVER_CA_KEY',
  'KUBECFG_CERT',
  'KUBECFG_KEY',
  'MASTER_CERT',
  'MASTER_KEY',
  'ETCD_PEER_CERT',
  'ETCD_PEER_KEY',
  'ETCD_APISERVER_SERVER_CERT',
  'ETCD_APISERVER_SERVER_KEY',
  'ETCD_APISERVER_CLIENT_CERT',
  'ETCD_APISERVER_CLIENT_KEY',
] as const;
export type ClusterSecretKey = (typeof CLUSTER_SECRET_KEYS)[number];

/**
 * What the certificates step keeps for the instance step: the identity the first master's certificates
 * were issued for, and the secrets. JSON, so the store can hold it as text.
 */
export const clusterSecretsSchema = z.object({
  identity: z.object({ name: z.string().min(1), internalIp: z.string().min(1), staticIp: z.string().min(1) }),
  secrets: z.object(Object.fromEntries(CLUSTER_SECRET_KEYS.map((k) => [k, z.string().min(1)])) as Record<ClusterSecretKey, z.ZodString>),
});
export type ClusterSecrets = z.infer<typeof clusterSecretsSchema>;

const b64 = (pem: Pem) => Buffer.from(pem, 'utf8').toString('base64');
const pemOf = (value: string) => Buffer.from(value, 'base64').toString('utf8');

/**
 * New CAs, the admin credential (CN admin, O system:masters) and the first master's certificates
 * (issueReplicaCerts: etcd peer and client-port certs for its internal IP, an API-server cert for the
 * static IP, its internal IP and the service names).
 */
export async function issueClusterSecrets(first: ReplicaIdentity, now: Date = new Date()): Promise<ClusterSecrets> {
  const stamp = Math.floor(now.getTime() / 1000);
  const [ca, etcdCa, etcdApiserverCa] = await Promise.all([
    // easy-rsa's build-ca in kube-up names the CA "<primary cn>@<unix time>".
    createCa(`${first.staticIp}@${stamp}`, { now }),
    createCa('etcd-ca', { now }),
    createCa('etcd-apiserver-ca', { now }),
  ]);
  const [cluster, etcdPeer, etcdApiserver] = await Promise.all([
    importSigner(ca.cert, ca.key, 'new cluster CA'),
    importSigner(etcdCa.cert, etcdCa.key, 'new etcd CA'),
    importSigner(etcdApiserverCa.cert, etcdApiserverCa.key, 'new etcd-apiserver CA'),
  ]);
  const authorities: ClusterAuthorities = {
    cluster,
    etcdPeer,
    etcdApiserver,
    kubernetesServiceIp: firstServiceIp(SERVICE_CLUSTER_IP_RANGE),
    dnsDomain: DNS_DOMAIN,
  };
  const [kubecfg, certs] = await Promise.all([
    issueLeaf(cluster, { commonName: 'admin', organization: 'system:masters', usages: ['clientAuth'], now }),
    issueReplicaCerts(authorities, first, now),
  ]);
  return {
    identity: { name: first.name, internalIp: first.internalIp, staticIp: first.staticIp },
    secrets: {
      CA_CERT: b64(ca.cert),
      CA_KEY: b64(ca.key),
      ETCD_CA_CERT: b64(etcdCa.cert),
      ETCD_CA_KEY: b64(etcdCa.key),
      ETCD_APISERVER_CA_CERT: b64(etcdApiserverCa.cert),
      ETCD_APISERVER_CA_KEY: b64(etcdApiserverCa.key),
      KUBECFG_CERT: b64(kubecfg.cert),
      KUBECFG_KEY: b64(kubecfg.key),
      MASTER_CERT: b64(certs.apiserver.cert),
      MASTER_KEY: b64(certs.apiserver.key),
      ETCD_PEER_CERT: b64(certs.etcdPeer.cert),
      ETCD_PEER_KEY: b64(certs.etcdPeer.key),
      ETCD_APISERVER_SERVER_CERT: b64(certs.etcdApiserverServer.cert),
      ETCD_APISERVER_SERVER_KEY: b64(certs.etcdApiserverServer.key),
      ETCD_APISERVER_CLIENT_CERT: b64(certs.etcdApiserverClient.cert),
      ETCD_APISERVER_CLIENT_KEY: b64(certs.etcdApiserverClient.key),
    },
  };
}

/** Public facts about the issued CAs, safe to journal and show: subjects and SHA-256 fingerprints of the certificates. */
export async function describeClusterCas(s: ClusterSecrets): Promise<Array<{ key: string; subject: string; sha256: string }>> {
  const out = [];
  for (const key of ['CA_CERT', 'ETCD_CA_CERT', 'ETCD_APISERVER_CA_CERT'] as const) {
    const cert = new X509Certificate(pemOf(s.secrets[key]));
    const sha256 = Buffer.from(await cert.getThumbprint('SHA-256')).toString('hex');
    out.push({ key, subject: cert.subject, sha256 });
  }
  return out;
}

export type FirstMasterSettings = {
  masterName: string;
  zone: string;
  multizone: boolean;
  quorumReads: boolean;
  /** ENV_TIMESTAMP; the metadata is otherwise a function of its inputs. */
  now?: Date;
};

function kubeYaml(entries: ReadonlyArray<readonly [string, string]>): string {
  return entries.map(([key, value]) => `${key}: ${yamlQuote(value)}\n`).join('');
}

/**
 * The first master's metadata: kube-env (settings, INITIAL_ETCD_CLUSTER = the master alone, state new,
 * the certificates kube-up keeps there) and kube-master-certs (the CA keys and etcd-apiserver PKI),
 * `cluster-name` and `cluster-location`. kube-up's boot scripts (user-data, configure-sh) are not here:
 * only the sandbox's VM agent boots from this, which is why a create runs in the sandbox only.
 */
export function firstMasterMetadata(s: ClusterSecrets, settings: FirstMasterSettings): MetadataItem[] {
  const { masterName, zone } = settings;
  if (s.identity.name !== masterName) throw new PkiError(`the certificates were issued for ${s.identity.name}, not ${masterName}`);
  const region = zone.replace(/-[a-z]$/, '');
  const prefix = masterName.endsWith('-master') ? masterName.slice(0, -'-master'.length) : masterName;
  const stamp = `${(settings.now ?? new Date()).toISOString().slice(0, 19)}+0000`;
  const k = s.secrets;
  const kubeEnv = kubeYaml([
    ['ENV_TIMESTAMP', stamp],
    ['INSTANCE_PREFIX', prefix],
    ['NODE_INSTANCE_PREFIX', `${prefix}-minion`],
    ['CLUSTER_IP_RANGE', CLUSTER_IP_RANGE],
    ['SERVICE_CLUSTER_IP_RANGE', SERVICE_CLUSTER_IP_RANGE],
    ['DNS_DOMAIN', DNS_DOMAIN],
    ['ZONE', zone],
    ['REGION', region],
    ['MULTIZONE', String(settings.multizone)],
    ['CA_CERT', k.CA_CERT],
    ['KUBERNETES_MASTER', 'true'],
    ['KUBERNETES_MASTER_NAME', masterName],
    ['MASTER_NAME', masterName],
    ['MASTER_CERT', k.MASTER_CERT],
    ['MASTER_KEY', k.MASTER_KEY],
    ['KUBECFG_CERT', k.KUBECFG_CERT],
    ['KUBECFG_KEY', k.KUBECFG_KEY],
    ['STORAGE_BACKEND', 'etcd3'],
    ['ETCD_CA_KEY', k.ETCD_CA_KEY],
    ['ETCD_CA_CERT', k.ETCD_CA_CERT],
    ['ETCD_PEER_KEY', k.ETCD_PEER_KEY],
    ['ETCD_PEER_CERT', k.ETCD_PEER_CERT],
    ['INITIAL_ETCD_CLUSTER', masterName],
    ['INITIAL_ETCD_CLUSTER_STATE', 'new'],
    // The operator's flag as the source document names it, and the variable kube-up's config-default.sh
    // derives from it (what build-kube-env writes); both are read back, so both carry the same value.
    ['ENABLE_ETCD_QUORUM_READS', String(settings.quorumReads)],
    ['ETCD_QUORUM_READ', String(settings.quorumReads)],
  ]);
  const masterCerts = kubeYaml([
    ['CA_KEY', k.CA_KEY],
    ['KUBEAPISERVER_CERT', k.MASTER_CERT],
    ['KUBEAPISERVER_KEY', k.MASTER_KEY],
    ['ETCD_APISERVER_CA_KEY', k.ETCD_APISERVER_CA_KEY],
    ['ETCD_APISERVER_CA_CERT', k.ETCD_APISERVER_CA_CERT],
    ['ETCD_APISERVER_SERVER_KEY', k.ETCD_APISERVER_SERVER_KEY],
    ['ETCD_APISERVER_SERVER_CERT', k.ETCD_APISERVER_SERVER_CERT],
    ['ETCD_APISERVER_CLIENT_KEY', k.ETCD_APISERVER_CLIENT_KEY],
    ['ETCD_APISERVER_CLIENT_CERT', k.ETCD_APISERVER_CLIENT_CERT],
  ]);
  return [
    { key: KUBE_ENV, value: kubeEnv },
    { key: KUBE_MASTER_CERTS, value: masterCerts },
    { key: 'cluster-name', value: prefix },
    { key: 'cluster-location', value: region },
  ];
}
