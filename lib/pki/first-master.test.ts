import { X509Certificate } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { readMasterMetadata } from '@/lib/adapters/gce/master-metadata';
import { describeClusterCas, firstMasterMetadata, issueClusterSecrets, type ClusterSecrets } from './first-master';
import { readKubeYaml } from './kube-yaml';
import { buildReplicaMetadata, readClusterAuthorities, type MetadataItem } from './replica-certs';

const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
const identity = { name: 'blue-master', internalIp: '127.30.1.9', staticIp: '127.31.1.4' };
const settings = { masterName: 'blue-master', zone: 'europe-west1-c', multizone: true, quorumReads: true, now: new Date('2026-01-02T03:04:05Z') };
const cert = (b64: string) => new X509Certificate(Buffer.from(b64, 'base64').toString('utf8'));
const toRecord = (items: MetadataItem[]) => Object.fromEntries(items.map((i) => [i.key, i.value]));

let s: ClusterSecrets;
let metadata: MetadataItem[];

beforeAll(async () => {
  s = await issueClusterSecrets(identity);
  metadata = firstMasterMetadata(s, settings);
});

describe('issueClusterSecrets', () => {
  it('makes three self-signed CAs and signs every leaf with the one kube-up uses for it', () => {
    const ca = cert(s.secrets.CA_CERT);
    const etcdCa = cert(s.secrets.ETCD_CA_CERT);
    const etcdApiserverCa = cert(s.secrets.ETCD_APISERVER_CA_CERT);
    for (const c of [ca, etcdCa, etcdApiserverCa]) {
      expect(c.ca).toBe(true);
      expect(c.verify(c.publicKey)).toBe(true);
    }
    const signedBy: Array<[string, X509Certificate]> = [
      [s.secrets.MASTER_CERT, ca],
      [s.secrets.KUBECFG_CERT, ca],
      [s.secrets.ETCD_PEER_CERT, etcdCa],
      [s.secrets.ETCD_APISERVER_SERVER_CERT, etcdApiserverCa],
      [s.secrets.ETCD_APISERVER_CLIENT_CERT, etcdApiserverCa],
    ];
    for (const [leaf, issuer] of signedBy) expect(cert(leaf).verify(issuer.publicKey)).toBe(true);
    // Three fresh, distinct authorities: a peer cert must not validate as an etcd client cert.
    expect(cert(s.secrets.ETCD_PEER_CERT).verify(etcdApiserverCa.publicKey)).toBe(false);
  });

  it("covers the first master's addresses and names, and makes the admin a system:masters client", () => {
    const apiserver = cert(s.secrets.MASTER_CERT);
    for (const san of ['IP Address:127.31.1.4', 'IP Address:127.30.1.9', 'IP Address:10.0.0.1', 'DNS:blue-master', 'DNS:kubernetes.default.svc.cluster.local']) {
      expect(apiserver.subjectAltName).toContain(san);
    }
    expect(apiserver.keyUsage).toContain(SERVER_AUTH);
    expect(cert(s.secrets.ETCD_PEER_CERT).subjectAltName).toContain('IP Address:127.30.1.9');
    const admin = cert(s.secrets.KUBECFG_CERT);
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
    expect(Object.fromEntries(['MASTER_NAME', 'KUBERNETES_MASTER', 'ZONE', 'REGION', 'MULTIZONE', 'ENABLE_ETCD_QUORUM_READS', 'ETCD_QUORUM_READ', 'INITIAL_ETCD_CLUSTER', 'INITIAL_ETCD_CLUSTER_STATE', 'INSTANCE_PREFIX', 'ENV_TIMESTAMP'].map((k) => [k, kubeEnv.get(k)]))).toEqual({
      MASTER_NAME: 'blue-master',
      KUBERNETES_MASTER: 'true',
      ZONE: 'europe-west1-c',
      REGION: 'europe-west1',
      MULTIZONE: 'true',
      ENABLE_ETCD_QUORUM_READS: 'true',
      ETCD_QUORUM_READ: 'true',
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
    expect(read).toMatchObject({ isMaster: true, masterName: 'blue-master', settings: { multizone: true, quorumReads: true }, problems: [] });
    expect(read?.etcdClient?.caCert).toContain('BEGIN CERTIFICATE');
    expect(read?.kube?.clientKey).toContain('PRIVATE KEY');
    const off = readMasterMetadata(toRecord(firstMasterMetadata(s, { ...settings, multizone: false, quorumReads: false })));
    expect(off?.settings).toEqual({ multizone: false, quorumReads: false });
  });

  it('carries the CA keys a later add-replica signs its certificates with', async () => {
    const authorities = await readClusterAuthorities(toRecord(metadata));
    expect(authorities.kubernetesServiceIp).toBe('10.0.0.1');
    const { metadata: next } = await buildReplicaMetadata(toRecord(metadata), { name: 'blue-master-x7k', internalIp: '127.30.1.10', staticIp: identity.staticIp }, ['blue-master']);
    const kubeEnv = readKubeYaml(toRecord(next)['kube-env'] ?? '');
    expect(kubeEnv.get('INITIAL_ETCD_CLUSTER')).toBe('blue-master,blue-master-x7k');
    expect(cert(kubeEnv.get('ETCD_PEER_CERT') ?? '').verify(cert(s.secrets.ETCD_CA_CERT).publicKey)).toBe(true);
  });

  it('refuses secrets issued for another master', () => {
    expect(() => firstMasterMetadata(s, { ...settings, masterName: 'green-master' })).toThrow(/issued for blue-master/);
  });
});
