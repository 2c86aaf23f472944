import { X509Certificate, createPrivateKey, createPublicKey } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  buildMasterMetadata,
  createClusterPki,
  createReplicaCerts,
  decodeBase64Pem,
  decodeGzipBase64Pem,
  parseKubeYaml,
  yamlQuote,
  type ClusterPki,
  type ReplicaCerts,
} from './index';

const replica = { name: 'prod-master-abc', internalIp: '127.77.9.2' };
const staticIp = '127.77.9.100';
const GZIPPED = new Set([
  'ETCD_CA_CERT',
  'ETCD_PEER_CERT',
  'ETCD_APISERVER_CA_CERT',
  'ETCD_APISERVER_SERVER_CERT',
  'ETCD_APISERVER_CLIENT_CERT',
]);

let pki: ClusterPki;
let certs: ReplicaCerts;
let kubeEnv: Record<string, string>;
let masterCerts: Record<string, string>;
let items: Map<string, string>;

beforeAll(async () => {
  pki = await createClusterPki('prod-master', staticIp);
  certs = await createReplicaCerts(pki, replica);
  const metadata = buildMasterMetadata({
    masterName: 'prod-master',
    clusterName: 'prod',
    zone: 'europe-west1-b',
    staticIp,
    pki,
    certs,
    layout: 'mtls',
    initialEtcdCluster: ['prod-master-abc', 'prod-master-def'],
    initialEtcdClusterState: 'new',
    multizone: true,
    quorumReads: true,
  });
  items = new Map(metadata.map((item) => [item.key, item.value]));
  kubeEnv = parseKubeYaml(items.get('kube-env') ?? '');
  masterCerts = parseKubeYaml(items.get('kube-master-certs') ?? '');
});

function certFrom(doc: Record<string, string>, key: string): X509Certificate {
  const value = doc[key];
  if (value === undefined) throw new Error(`missing ${key}`);
  return new X509Certificate(GZIPPED.has(key) ? decodeGzipBase64Pem(value) : decodeBase64Pem(value));
}

function keyMatches(doc: Record<string, string>, keyName: string, cert: X509Certificate): boolean {
  const value = doc[keyName];
  if (value === undefined) throw new Error(`missing ${keyName}`);
  const pem = decodeBase64Pem(value);
  expect(pem).toMatch(/^-----BEGIN PRIVATE KEY-----/);
  const fromKey = createPublicKey(createPrivateKey(pem)).export({ format: 'der', type: 'spki' });
  const fromCert = cert.publicKey.export({ format: 'der', type: 'spki' });
  return Buffer.compare(fromKey, fromCert) === 0;
}

function sans(cert: X509Certificate): string[] {
  return (cert.subjectAltName ?? '').split(', ').filter((s) => s !== '');
}

describe('kube-up encoding', () => {
  it('quotes values like kube-up yaml-quote', () => {
    expect(yamlQuote("it's")).toBe("'it''s'");
    expect(parseKubeYaml(`A: ${yamlQuote("it's: ok")}\n`)).toEqual({ A: "it's: ok" });
  });

  it('writes kube-env as one quoted KEY: value line per setting', () => {
    const text = items.get('kube-env') ?? '';
    for (const line of text.trimEnd().split('\n')) expect(line).toMatch(/^[A-Z0-9_]+: '.*'$/);
    expect(kubeEnv).not.toHaveProperty('MASTER_NAME');
    expect(kubeEnv).not.toHaveProperty('ETCD_QUORUM_READ');
    expect(kubeEnv).toMatchObject({
      KUBERNETES_MASTER: 'true',
      KUBERNETES_MASTER_NAME: staticIp,
      INSTANCE_PREFIX: 'prod',
      ZONE: 'europe-west1-b',
      REGION: 'europe-west1',
      MULTIZONE: 'true',
      SERVICE_CLUSTER_IP_RANGE: '10.0.0.0/16',
      INITIAL_ETCD_CLUSTER: 'prod-master-abc,prod-master-def',
      INITIAL_ETCD_CLUSTER_STATE: 'new',
    });
    expect(items.get('cluster-name')).toBe('prod');
    expect(items.get('cluster-location')).toBe('europe-west1');
  });

  it('carries certificates as base64 of the PEM (the etcd ones gzip, then base64), no line breaks', () => {
    for (const key of ['CA_CERT', 'MASTER_CERT', 'KUBECFG_CERT']) {
      expect(kubeEnv[key]).toMatch(/^[A-Za-z0-9+/]+=*$/);
      expect(decodeBase64Pem(kubeEnv[key] ?? '')).toMatch(/^-----BEGIN CERTIFICATE-----/);
    }
    for (const [doc, key] of [
      [kubeEnv, 'ETCD_CA_CERT'],
      [kubeEnv, 'ETCD_PEER_CERT'],
      [masterCerts, 'ETCD_APISERVER_CA_CERT'],
      [masterCerts, 'ETCD_APISERVER_SERVER_CERT'],
      [masterCerts, 'ETCD_APISERVER_CLIENT_CERT'],
    ] as const) {
      expect(doc[key], key).toMatch(/^[A-Za-z0-9+/]+=*$/);
      expect(
        Buffer.from(doc[key] ?? '', 'base64')
          .subarray(0, 2)
          .toString('hex'),
        key,
      ).toBe('1f8b');
      expect(decodeGzipBase64Pem(doc[key] ?? ''), key).toMatch(/^-----BEGIN CERTIFICATE-----/);
    }
    expect(kubeEnv.KUBE_BEARER_TOKEN).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(masterCerts.KUBEAPISERVER_CERT).not.toBe(kubeEnv.MASTER_CERT);
  });

  it('writes the pre-1.16 layout without ETCD_APISERVER_* and with ETCD_QUORUM_READ', () => {
    const legacy = buildMasterMetadata({
      masterName: 'staging-master',
      clusterName: 'staging',
      zone: 'us-central1-b',
      staticIp,
      pki,
      certs,
      layout: 'legacy',
      initialEtcdCluster: ['staging-master'],
      initialEtcdClusterState: 'new',
      multizone: true,
      quorumReads: false,
    });
    const env = parseKubeYaml(legacy.find((i) => i.key === 'kube-env')?.value ?? '');
    const mc = parseKubeYaml(legacy.find((i) => i.key === 'kube-master-certs')?.value ?? '');
    expect(env.ETCD_QUORUM_READ).toBe('false');
    expect(Object.keys(mc).filter((k) => k.startsWith('ETCD_APISERVER_'))).toEqual([]);
    expect(Object.keys(mc).sort()).toEqual(['CA_KEY', 'KUBEAPISERVER_CERT', 'KUBEAPISERVER_KEY']);
  });
});

describe('certificate chains', () => {
  it('signs every leaf by its CA, with matching private keys', () => {
    const ca = certFrom(kubeEnv, 'CA_CERT');
    const etcdCa = certFrom(kubeEnv, 'ETCD_CA_CERT');
    const etcdApiCa = certFrom(masterCerts, 'ETCD_APISERVER_CA_CERT');
    for (const c of [ca, etcdCa, etcdApiCa]) {
      expect(c.ca).toBe(true);
      expect(c.verify(c.publicKey)).toBe(true);
    }
    const table: Array<[string, Record<string, string>, string, X509Certificate]> = [
      ['MASTER_CERT', kubeEnv, 'MASTER_KEY', ca],
      ['KUBEAPISERVER_CERT', masterCerts, 'KUBEAPISERVER_KEY', ca],
      ['KUBECFG_CERT', kubeEnv, 'KUBECFG_KEY', ca],
      ['ETCD_PEER_CERT', kubeEnv, 'ETCD_PEER_KEY', etcdCa],
      ['ETCD_APISERVER_SERVER_CERT', masterCerts, 'ETCD_APISERVER_SERVER_KEY', etcdApiCa],
      ['ETCD_APISERVER_CLIENT_CERT', masterCerts, 'ETCD_APISERVER_CLIENT_KEY', etcdApiCa],
    ];
    for (const [certKey, doc, keyKey, issuer] of table) {
      const leaf = certFrom(doc, certKey);
      expect(leaf.ca, certKey).toBe(false);
      expect(leaf.checkIssued(issuer), certKey).toBe(true);
      expect(leaf.verify(issuer.publicKey), certKey).toBe(true);
      expect(keyMatches(doc, keyKey, leaf), keyKey).toBe(true);
    }
    // A leaf is not accepted by the wrong authority.
    expect(certFrom(kubeEnv, 'ETCD_PEER_CERT').verify(ca.publicKey)).toBe(false);
    expect(keyMatches(kubeEnv, 'ETCD_CA_KEY', etcdCa)).toBe(true);
    expect(keyMatches(masterCerts, 'CA_KEY', ca)).toBe(true);
    expect(keyMatches(masterCerts, 'ETCD_APISERVER_CA_KEY', etcdApiCa)).toBe(true);
  });

  it('names the admin client system:masters', () => {
    const admin = certFrom(kubeEnv, 'KUBECFG_CERT');
    expect(admin.subject).toContain('CN=admin');
    expect(admin.subject).toContain('O=system:masters');
    expect(admin.keyUsage).toContain('1.3.6.1.5.5.7.3.2');
  });
});

describe('SANs', () => {
  it('API-server cert covers the static IP, the service IP, the kubernetes names and MASTER_NAME, no replica address', () => {
    const master = certFrom(kubeEnv, 'MASTER_CERT');
    expect(master.checkIP(staticIp)).toBe(staticIp);
    expect(master.checkIP('10.0.0.1')).toBe('10.0.0.1');
    expect(master.checkIP(replica.internalIp)).toBeUndefined();
    expect(master.checkIP('127.0.0.1')).toBeUndefined();
    for (const host of [
      'prod-master',
      'kubernetes',
      'kubernetes.default',
      'kubernetes.default.svc',
      'kubernetes.default.svc.cluster.local',
    ]) {
      expect(master.checkHost(host), host).toBe(host);
    }
    expect(master.checkHost(replica.name)).toBeUndefined();
    expect(master.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1']);
    const kubelet = certFrom(masterCerts, 'KUBEAPISERVER_CERT');
    expect(kubelet.subject).toBe('CN=kube-apiserver');
    expect(kubelet.keyUsage).toEqual(['1.3.6.1.5.5.7.3.2']);
  });

  it("etcd certs carry kube-up's names: peer <instance> + 127.0.0.1, server etcd-<instance> + 127.0.0.1, no VM address", () => {
    const peer = certFrom(kubeEnv, 'ETCD_PEER_CERT');
    const server = certFrom(masterCerts, 'ETCD_APISERVER_SERVER_CERT');
    expect(sans(peer).sort()).toEqual([`DNS:${replica.name}`, 'IP Address:127.0.0.1'].sort());
    expect(sans(server).sort()).toEqual([`DNS:etcd-${replica.name}`, 'IP Address:127.0.0.1']);
    expect(server.subject).toBe(`CN=etcd-${replica.name}`);
    expect(server.checkIP(replica.internalIp)).toBeUndefined();
    expect([...(peer.keyUsage ?? [])].sort()).toEqual(['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']);
    expect([...(server.keyUsage ?? [])].sort()).toEqual(['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']);
    expect(certFrom(masterCerts, 'ETCD_APISERVER_CLIENT_CERT').keyUsage).toEqual(['1.3.6.1.5.5.7.3.2']);
    expect(sans(certFrom(masterCerts, 'ETCD_APISERVER_CLIENT_CERT'))).toEqual([]);
  });

  it('gives each replica its own etcd certs from the same authorities', async () => {
    const other = await createReplicaCerts(pki, { name: 'prod-master-def', internalIp: '127.77.9.3' });
    const peer = new X509Certificate(other.etcdPeerCert);
    expect(peer.checkHost('prod-master-def')).toBe('prod-master-def');
    expect(peer.checkHost(replica.name)).toBeUndefined();
    expect(peer.verify(new X509Certificate(pki.etcdCaCert).publicKey)).toBe(true);
    expect(other.etcdApiserverServerCert).not.toBe(certs.etcdApiserverServerCert);
  });
});
