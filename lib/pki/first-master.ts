// A new cluster's PKI and its first master's metadata, the way kube-up's create-certs,
// create-etcd-certs, create-etcd-apiserver-certs, build-kube-env and build-kube-master-certs make them:
// three CAs (cluster, etcd peer, etcd-apiserver), the shared serving cert (MASTER_CERT: static IP, service
// IP, `kubernetes` names, MASTER_NAME), the kubelet client cert (KUBEAPISERVER_CERT, CN kube-apiserver),
// the admin credentials (KUBECFG_CERT, KUBE_BEARER_TOKEN), the etcd client cert and the first master's own
// etcd certs, each under kube-up's variable name and in its encoding (gzip+base64 for the etcd certs,
// base64 otherwise). The modern layout: mutual TLS on etcd main. Pure: no I/O.

import { randomBytes } from 'node:crypto';
import { X509Certificate } from '@peculiar/x509';
import { z } from 'zod';
import { decodePemValue, encodePemValue } from './pem-encoding';
import {
  firstServiceIp,
  issueReplicaCerts,
  KUBE_ENV,
  KUBE_MASTER_CERTS,
  kubernetesServiceNames,
  type ClusterAuthorities,
  type MetadataItem,
  type ReplicaIdentity,
} from './replica-certs';
import { yamlQuote } from './kube-yaml';
import { createCa, importSigner, issueLeaf, PkiError, type Pem } from './x509';

/** kube-up's config-default.sh values a new cluster starts with. */
export const SERVICE_CLUSTER_IP_RANGE = '10.0.0.0/16';
const CLUSTER_IP_RANGE = '10.64.0.0/14';
const DNS_DOMAIN = 'cluster.local';

/** Every secret of a new cluster, by kube-up's variable name, each as kube-up writes it into metadata. */
export const CLUSTER_SECRET_KEYS = [
  'CA_CERT',
  'CA_KEY',
  'ETCD_CA_CERT',
  'ETCD_CA_KEY',
  'ETCD_APISERVER_CA_CERT',
  'ETCD_APISERVER_CA_KEY',
  'KUBECFG_CERT',
  'KUBECFG_KEY',
  'KUBE_BEARER_TOKEN',
  'MASTER_CERT',
  'MASTER_KEY',
  'KUBEAPISERVER_CERT',
  'KUBEAPISERVER_KEY',
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
  secrets: z.object(
    Object.fromEntries(CLUSTER_SECRET_KEYS.map((k) => [k, z.string().min(1)])) as Record<ClusterSecretKey, z.ZodString>,
  ),
});
export type ClusterSecrets = z.infer<typeof clusterSecretsSchema>;

/** kube-up's gen-kube-bearertoken: base64 of random bytes with `=+/` removed, 32 characters. */
function bearerToken(): string {
  return randomBytes(48).toString('base64').replace(/[=+/]/g, '').slice(0, 32);
}

/**
 * New CAs and every cluster-wide credential, and the first master's own etcd certificates (issueReplicaCerts).
 * `first.staticIp`: the reserved address, the serving cert's primary name and KUBERNETES_MASTER_NAME.
 */
export async function issueClusterSecrets(
  first: ReplicaIdentity & { internalIp: string; staticIp: string; masterName?: string },
  now: Date = new Date(),
): Promise<ClusterSecrets> {
  const stamp = Math.floor(now.getTime() / 1000);
  const masterName = first.masterName ?? first.name;
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
  const authorities: ClusterAuthorities = { etcdPeer, etcdApiserver };
  const [kubecfg, master, kubeapiserver, etcdClient, certs] = await Promise.all([
    issueLeaf(cluster, { commonName: 'admin', organization: 'system:masters', usages: ['clientAuth'], now }),
    issueLeaf(cluster, {
      commonName: first.staticIp,
      usages: ['serverAuth'],
      ips: [first.staticIp, firstServiceIp(SERVICE_CLUSTER_IP_RANGE)],
      dnsNames: [...kubernetesServiceNames(DNS_DOMAIN), masterName],
      now,
    }),
    issueLeaf(cluster, { commonName: 'kube-apiserver', usages: ['clientAuth'], now }),
    issueLeaf(etcdApiserver, { commonName: masterName, usages: ['clientAuth'], now }),
    issueReplicaCerts(authorities, first, now),
  ]);
  const server = certs.etcdApiserverServer;
  if (!server) throw new PkiError('no etcd-apiserver server certificate was issued');
  const v = (key: ClusterSecretKey, pem: Pem) => encodePemValue(key, pem);
  return {
    identity: { name: first.name, internalIp: first.internalIp, staticIp: first.staticIp },
    secrets: {
      CA_CERT: v('CA_CERT', ca.cert),
      CA_KEY: v('CA_KEY', ca.key),
      ETCD_CA_CERT: v('ETCD_CA_CERT', etcdCa.cert),
      ETCD_CA_KEY: v('ETCD_CA_KEY', etcdCa.key),
      ETCD_APISERVER_CA_CERT: v('ETCD_APISERVER_CA_CERT', etcdApiserverCa.cert),
      ETCD_APISERVER_CA_KEY: v('ETCD_APISERVER_CA_KEY', etcdApiserverCa.key),
      KUBECFG_CERT: v('KUBECFG_CERT', kubecfg.cert),
      KUBECFG_KEY: v('KUBECFG_KEY', kubecfg.key),
      KUBE_BEARER_TOKEN: bearerToken(),
      MASTER_CERT: v('MASTER_CERT', master.cert),
      MASTER_KEY: v('MASTER_KEY', master.key),
      KUBEAPISERVER_CERT: v('KUBEAPISERVER_CERT', kubeapiserver.cert),
      KUBEAPISERVER_KEY: v('KUBEAPISERVER_KEY', kubeapiserver.key),
      ETCD_PEER_CERT: v('ETCD_PEER_CERT', certs.etcdPeer.cert),
      ETCD_PEER_KEY: v('ETCD_PEER_KEY', certs.etcdPeer.key),
      ETCD_APISERVER_SERVER_CERT: v('ETCD_APISERVER_SERVER_CERT', server.cert),
      ETCD_APISERVER_SERVER_KEY: v('ETCD_APISERVER_SERVER_KEY', server.key),
      ETCD_APISERVER_CLIENT_CERT: v('ETCD_APISERVER_CLIENT_CERT', etcdClient.cert),
      ETCD_APISERVER_CLIENT_KEY: v('ETCD_APISERVER_CLIENT_KEY', etcdClient.key),
    },
  };
}

/** Public facts about the issued CAs, safe to journal and show: subjects and SHA-256 fingerprints of the certificates. */
export async function describeClusterCas(
  s: ClusterSecrets,
): Promise<Array<{ key: string; subject: string; sha256: string }>> {
  const out = [];
  for (const key of ['CA_CERT', 'ETCD_CA_CERT', 'ETCD_APISERVER_CA_CERT'] as const) {
    const pem = decodePemValue(key, s.secrets[key]);
    if (pem === null) throw new PkiError(`${key} is not readable`);
    const cert = new X509Certificate(pem);
    const sha256 = Buffer.from(await cert.getThumbprint('SHA-256')).toString('hex');
    out.push({ key, subject: cert.subject, sha256 });
  }
  return out;
}

export type FirstMasterSettings = {
  masterName: string;
  zone: string;
  multizone: boolean;
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
  if (s.identity.name !== masterName)
    throw new PkiError(`the certificates were issued for ${s.identity.name}, not ${masterName}`);
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
    // kube-up writes the reserved static IP here, and no MASTER_NAME key at all.
    ['KUBERNETES_MASTER_NAME', s.identity.staticIp],
    ['KUBE_BEARER_TOKEN', k.KUBE_BEARER_TOKEN],
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
    // No ETCD_QUORUM_READ: current kube-up has none (etcd3 reads are linearizable).
  ]);
  const masterCerts = kubeYaml([
    ['CA_KEY', k.CA_KEY],
    ['KUBEAPISERVER_CERT', k.KUBEAPISERVER_CERT],
    ['KUBEAPISERVER_KEY', k.KUBEAPISERVER_KEY],
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
