import { X509Certificate } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { readMasterMetadata } from '@/lib/adapters/gce/master-metadata';
import { describeClusterCas, firstMasterMetadata, issueClusterSecrets, type ClusterSecrets } from './first-master';
import { readKubeYaml } from './kube-yaml';
import { buildReplicaMetadata, readClusterAuthorities, type MetadataItem } from './replica-certs';

const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
const identity = { name: 'blue-master', internalIp: '127.30.1.9', staticIp: '127.31.1.4' };
const settings = {
  masterName: 'blue-master',
  zone: 'europe-west1-c',
  multizone: true,
  now: new Date('2026-01-02T03:04:05Z'),
};
const GZIPPED = new Set([
  'ETCD_CA_CERT',
  'ETCD_PEER_CERT',
  'ETCD_APISERVER_CA_CERT',
  'ETCD_APISERVER_SERVER_CERT',
  'ETCD_APISERVER_CLIENT_CERT',
]);
/** A secret as kube-up writes it -> the certificate (gzip+base64 for the etcd ones, base64 otherwise). */
const certOf = (key: string, value: string) => {
  const bytes = Buffer.from(value, 'base64');
  return new X509Certificate(GZIPPED.has(key) ? gunzipSync(bytes) : bytes);
};
const sec = (key: keyof ClusterSecrets['secrets']) => certOf(key, s.secrets[key]);
const toRecord = (items: MetadataItem[]) => Object.fromEntries(items.map((i) => [i.key, i.value]));

let s: ClusterSecrets;
let metadata: MetadataItem[];

beforeAll(async () => {
  s = await issueClusterSecrets(identity);
  metadata = firstMasterMetadata(s, settings);
});

describe('issueClusterSecrets', () => {
  it('makes three self-signed CAs and signs every leaf with the one kube-up uses for it', () => {
    const ca = sec('CA_CERT');
    const etcdCa = sec('ETCD_CA_CERT');
    const etcdApiserverCa = sec('ETCD_APISERVER_CA_CERT');
    for (const c of [ca, etcdCa, etcdApiserverCa]) {
      expect(c.ca).toBe(true);
      expect(c.verify(c.publicKey)).toBe(true);
    }
    const signedBy: Array<[keyof ClusterSecrets['secrets'], X509Certificate]> = [
      ['MASTER_CERT', ca],
      ['KUBEAPISERVER_CERT', ca],
      ['KUBECFG_CERT', ca],
      ['ETCD_PEER_CERT', etcdCa],
      ['ETCD_APISERVER_SERVER_CERT', etcdApiserverCa],
      ['ETCD_APISERVER_CLIENT_CERT', etcdApiserverCa],
    ];
    for (const [leaf, issuer] of signedBy) expect(sec(leaf).verify(issuer.publicKey), leaf).toBe(true);
    // Three fresh, distinct authorities: a peer cert must not validate as an etcd client cert.
    expect(sec('ETCD_PEER_CERT').verify(etcdApiserverCa.publicKey)).toBe(false);
  });

  it("gives MASTER_CERT kube-up's names only, the etcd certs kube-up's SANs, and makes the admin a system:masters client", () => {
    const apiserver = sec('MASTER_CERT');
    expect(apiserver.subjectAltName?.split(', ').sort()).toEqual(
      [
        'IP Address:127.31.1.4',
        'IP Address:10.0.0.1',
        'DNS:blue-master',
        'DNS:kubernetes',
        'DNS:kubernetes.default',
        'DNS:kubernetes.default.svc',
        'DNS:kubernetes.default.svc.cluster.local',
      ].sort(),
    );
    expect(apiserver.keyUsage).toContain(SERVER_AUTH);
    expect(sec('KUBEAPISERVER_CERT').subject).toBe('CN=kube-apiserver');
    expect(sec('KUBEAPISERVER_CERT').keyUsage).toEqual([CLIENT_AUTH]);
    expect(sec('ETCD_PEER_CERT').subjectAltName?.split(', ').sort()).toEqual([
      'DNS:blue-master',
      'IP Address:127.0.0.1',
    ]);
    expect(sec('ETCD_APISERVER_SERVER_CERT').subjectAltName?.split(', ').sort()).toEqual([
      'DNS:etcd-blue-master',
      'IP Address:127.0.0.1',
    ]);
    expect(s.secrets.KUBE_BEARER_TOKEN).toMatch(/^[A-Za-z0-9]{32}$/);
    const admin = sec('KUBECFG_CERT');
    expect(admin.subject).toContain('CN=admin');
    expect(admin.subject).toContain('O=system:masters');
    expect(admin.keyUsage).toEqual([CLIENT_AUTH]);
  });

  it('describes the CAs by subject and fingerprint only', async () => {
    const described = await describeClusterCas(s);
    expect(described.map((d) => d.key)).toEqual(['CA_CERT', 'ETCD_CA_CERT', 'ETCD_APISERVER_CA_CERT']);
    expect(described[1]?.subject).toBe('CN=etcd-ca');
    expect(described[0]?.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(described)).not.toMatch(/PRIVATE|LS0tLS1CRUdJTi/);
  });
});

describe('firstMasterMetadata', () => {
  it('writes kube-env with the settings, the master alone in INITIAL_ETCD_CLUSTER and state new', () => {
    const kubeEnv = readKubeYaml(toRecord(metadata)['kube-env'] ?? '');
    expect(kubeEnv.has('MASTER_NAME')).toBe(false);
    expect(
      Object.fromEntries(
        [
          'KUBERNETES_MASTER_NAME',
          'KUBERNETES_MASTER',
          'ZONE',
          'REGION',
          'MULTIZONE',
          'INITIAL_ETCD_CLUSTER',
          'INITIAL_ETCD_CLUSTER_STATE',
          'INSTANCE_PREFIX',
          'ENV_TIMESTAMP',
        ].map((k) => [k, kubeEnv.get(k)]),
      ),
    ).toEqual({
      KUBERNETES_MASTER_NAME: '127.31.1.4',
      KUBERNETES_MASTER: 'true',
      ZONE: 'europe-west1-c',
      REGION: 'europe-west1',
      MULTIZONE: 'true',
      INITIAL_ETCD_CLUSTER: 'blue-master',
      INITIAL_ETCD_CLUSTER_STATE: 'new',
      INSTANCE_PREFIX: 'blue',
      ENV_TIMESTAMP: '2026-01-02T03:04:05+0000',
    });
    expect(metadata.map((m) => m.key)).toEqual(['kube-env', 'kube-master-certs', 'cluster-name', 'cluster-location']);
    expect(toRecord(metadata)['cluster-location']).toBe('europe-west1');
  });

  it("is read by the dashboard like a kube-up master's: settings, etcd and API-server credentials", () => {
    const read = readMasterMetadata(toRecord(metadata));
    expect(read).toMatchObject({ isMaster: true, settings: { multizone: true, quorumReads: null }, problems: [] });
    expect(read?.etcd?.main?.caCert).toContain('BEGIN CERTIFICATE');
    expect(read?.etcd?.events).toBeNull();
    expect(read?.kube && 'clientKey' in read.kube ? read.kube.clientKey : null).toContain('PRIVATE KEY');
    // Current kube-up writes no ETCD_QUORUM_READ (etcd3 reads are linearizable): null, not "off".
    expect(toRecord(metadata)['kube-env']).not.toContain('ETCD_QUORUM_READ');
    const off = readMasterMetadata(toRecord(firstMasterMetadata(s, { ...settings, multizone: false })));
    expect(off?.settings).toEqual({ multizone: false, quorumReads: null });
  });

  it('carries the CA keys a later add-replica signs its certificates with', async () => {
    const authorities = await readClusterAuthorities(toRecord(metadata));
    expect(authorities.etcdApiserver).not.toBeNull();
    const { metadata: next } = await buildReplicaMetadata(toRecord(metadata), { name: 'blue-master-x7k' }, [
      'blue-master',
    ]);
    const kubeEnv = readKubeYaml(toRecord(next)['kube-env'] ?? '');
    expect(kubeEnv.get('INITIAL_ETCD_CLUSTER')).toBe('blue-master,blue-master-x7k');
    expect(certOf('ETCD_PEER_CERT', kubeEnv.get('ETCD_PEER_CERT') ?? '').verify(sec('ETCD_CA_CERT').publicKey)).toBe(
      true,
    );
    expect(kubeEnv.get('MASTER_CERT')).toBe(s.secrets.MASTER_CERT);
  });

  it('refuses secrets issued for another master', () => {
    expect(() => firstMasterMetadata(s, { ...settings, masterName: 'green-master' })).toThrow(/issued for blue-master/);
  });
});
