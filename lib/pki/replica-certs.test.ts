import { X509Certificate, createPrivateKey } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { readMasterMetadata } from '@/lib/adapters/gce/master-metadata';
import { readKubeYaml, rewriteKubeYaml, yamlQuote } from './kube-yaml';
import {
  buildReplicaMetadata,
  firstServiceIp,
  issueReplicaCerts,
  PkiError,
  readClusterAuthorities,
  replicaMetadata,
  type MetadataItem,
} from './replica-certs';
import { createCa, issueLeaf, importSigner, type IssuedPair } from './x509';

const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
const b64 = (pem: string) => Buffer.from(pem).toString('base64');
const gz = (pem: string) => gzipSync(Buffer.from(pem)).toString('base64');
const pem = (value: string | undefined) => Buffer.from(value ?? '', 'base64').toString('utf8');
const gunzipPem = (value: string | undefined) => gunzipSync(Buffer.from(value ?? '', 'base64')).toString('utf8');

type Cas = { ca: IssuedPair; etcdCa: IssuedPair; etcdApiserverCa: IssuedPair };

/** An existing master's metadata, laid out as kube-up's build-kube-env / build-kube-master-certs write it. */
async function existingMaster(
  cas: Cas,
  keyInKubeEnv = true,
  layout: 'mtls' | 'legacy' = 'mtls',
): Promise<MetadataItem[]> {
  const first = await issueLeaf(await importSigner(cas.ca.cert, cas.ca.key, 'ca'), {
    commonName: '127.30.2.50',
    usages: ['serverAuth'],
    ips: ['127.30.2.50'],
    dnsNames: ['kubernetes'],
  });
  const kubelet = await issueLeaf(await importSigner(cas.ca.cert, cas.ca.key, 'ca'), {
    commonName: 'kube-apiserver',
    usages: ['clientAuth'],
  });
  const admin = await issueLeaf(await importSigner(cas.ca.cert, cas.ca.key, 'ca'), {
    commonName: 'admin',
    organization: 'system:masters',
    usages: ['clientAuth'],
  });
  const peer = await issueLeaf(await importSigner(cas.etcdCa.cert, cas.etcdCa.key, 'etcd'), {
    commonName: '127.30.2.2',
    usages: ['serverAuth', 'clientAuth'],
    ips: ['127.30.2.2'],
  });
  const eaSigner = await importSigner(cas.etcdApiserverCa.cert, cas.etcdApiserverCa.key, 'etcd-apiserver');
  const server = await issueLeaf(eaSigner, {
    commonName: '127.30.2.2',
    usages: ['serverAuth', 'clientAuth'],
    ips: ['127.30.2.2'],
  });
  const client = await issueLeaf(eaSigner, { commonName: 'client', usages: ['clientAuth'] });
  const lines = (entries: Array<[string, string]>) => entries.map(([k, v]) => `${k}: ${yamlQuote(v)}\n`).join('');
  const kubeEnv = lines([
    ['ENV_TIMESTAMP', '2026-11-25T10:00:00+0000'],
    ['INSTANCE_PREFIX', 'staging'],
    ['SERVICE_CLUSTER_IP_RANGE', '10.0.0.0/16'],
    ['DNS_DOMAIN', 'cluster.local'],
    ['ZONE', 'us-central1-b'],
    ['MULTIZONE', 'true'],
    ['CA_CERT', b64(cas.ca.cert)],
    ['KUBERNETES_MASTER', 'true'],
    ['KUBERNETES_MASTER_NAME', '127.30.2.50'],
    ['MASTER_CERT', b64(first.cert)],
    ['MASTER_KEY', b64(first.key)],
    ['KUBECFG_CERT', b64(admin.cert)],
    ['KUBECFG_KEY', b64(admin.key)],
    ['KUBE_ADMISSION_CONTROL', "it's quoted, kube-up style"],
    ...(keyInKubeEnv ? ([['ETCD_CA_KEY', b64(cas.etcdCa.key)]] as Array<[string, string]>) : []),
    ['ETCD_CA_CERT', gz(cas.etcdCa.cert)],
    ['ETCD_PEER_KEY', b64(peer.key)],
    ['ETCD_PEER_CERT', gz(peer.cert)],
    ['INITIAL_ETCD_CLUSTER', 'staging-master'],
    ['INITIAL_ETCD_CLUSTER_STATE', 'new'],
    ['ETCD_QUORUM_READ', 'false'],
  ]);
  const masterCerts = lines([
    ['CA_KEY', b64(cas.ca.key)],
    ['KUBEAPISERVER_CERT', b64(kubelet.cert)],
    ['KUBEAPISERVER_KEY', b64(kubelet.key)],
    ...((layout === 'mtls'
      ? [
          ['ETCD_APISERVER_CA_KEY', b64(cas.etcdApiserverCa.key)],
          ['ETCD_APISERVER_CA_CERT', gz(cas.etcdApiserverCa.cert)],
          ['ETCD_APISERVER_SERVER_KEY', b64(server.key)],
          ['ETCD_APISERVER_SERVER_CERT', gz(server.cert)],
          ['ETCD_APISERVER_CLIENT_KEY', b64(client.key)],
          ['ETCD_APISERVER_CLIENT_CERT', gz(client.cert)],
        ]
      : []) as Array<[string, string]>),
  ]);
  return [
    { key: 'cluster-name', value: 'staging' },
    { key: 'kube-env', value: kubeEnv },
    { key: 'kube-master-certs', value: masterCerts },
    { key: 'cluster-location', value: 'us-central1' },
    { key: 'startup-script', value: '#!/bin/sh\n# boot\n' },
  ];
}

const toRecord = (items: MetadataItem[]) => Object.fromEntries(items.map((i) => [i.key, i.value]));
const replica = { name: 'staging-master-x7k' };

function lineMap(text: string): Map<string, string> {
  return new Map(
    text
      .split('\n')
      .filter(Boolean)
      .map((l) => [l.slice(0, l.indexOf(':')), l]),
  );
}

describe.each([
  ['ECDSA CAs (the sandbox), mutual TLS layout', 'ecdsa' as const, 'mtls' as const],
  ['RSA CAs (kube-up easy-rsa), mutual TLS layout', 'rsa' as const, 'mtls' as const],
  ['ECDSA CAs, pre-1.16 layout', 'ecdsa' as const, 'legacy' as const],
])('a new replica from an existing master, %s', (_label, keyType, layout) => {
  let cas: Cas;
  let existing: MetadataItem[];
  let out: MetadataItem[];
  let certs: Awaited<ReturnType<typeof issueReplicaCerts>>;

  beforeAll(async () => {
    const [ca, etcdCa, etcdApiserverCa] = await Promise.all([
      createCa('staging-master@1', { keyType }),
      createCa('etcd-ca', { keyType }),
      createCa('etcd-apiserver-ca', { keyType }),
    ]);
    cas = { ca, etcdCa, etcdApiserverCa };
    existing = await existingMaster(cas, true, layout);
    const built = await buildReplicaMetadata(toRecord(existing), replica, ['staging-master']);
    out = built.metadata;
    certs = built.certs;
  }, 30_000);

  it('issues only the etcd certs, each signed by its CA, with a key that matches', () => {
    const cases: Array<[IssuedPair | null, string]> = [
      [certs.etcdPeer, cas.etcdCa.cert],
      [certs.etcdApiserverServer, cas.etcdApiserverCa.cert],
    ];
    expect(certs.etcdApiserverServer === null).toBe(layout === 'legacy');
    for (const [pair, caPem] of cases) {
      if (pair === null) continue;
      const cert = new X509Certificate(pair.cert);
      const ca = new X509Certificate(caPem);
      expect(cert.checkIssued(ca)).toBe(true);
      expect(cert.verify(ca.publicKey)).toBe(true);
      expect(cert.checkPrivateKey(createPrivateKey(pair.key))).toBe(true);
      expect(cert.ca).toBe(false);
      for (const other of [cas.ca.cert, cas.etcdCa.cert, cas.etcdApiserverCa.cert].filter((p) => p !== caPem)) {
        expect(cert.verify(new X509Certificate(other).publicKey)).toBe(false);
      }
    }
  });

  it("gives the etcd certs kube-up's SANs, no address of the VM (peers dial by instance name)", () => {
    const peer = new X509Certificate(certs.etcdPeer.cert);
    expect(peer.subjectAltName?.split(', ').sort()).toEqual([`DNS:${replica.name}`, 'IP Address:127.0.0.1'].sort());
    expect(peer.keyUsage).toEqual(expect.arrayContaining([SERVER_AUTH, CLIENT_AUTH]));
    if (certs.etcdApiserverServer) {
      const server = new X509Certificate(certs.etcdApiserverServer.cert);
      expect(server.subject).toBe(`CN=etcd-${replica.name}`);
      expect(server.subjectAltName?.split(', ').sort()).toEqual([`DNS:etcd-${replica.name}`, 'IP Address:127.0.0.1']);
      expect(server.keyUsage).toEqual(expect.arrayContaining([SERVER_AUTH, CLIENT_AUTH]));
    }
  });

  it('keeps every item and its order; only the member-specific values change, etcd certs gzip+base64', () => {
    expect(out.map((i) => i.key)).toEqual(existing.map((i) => i.key));
    for (const item of existing.filter((i) => i.key !== 'kube-env' && i.key !== 'kube-master-certs')) {
      expect(out.find((i) => i.key === item.key)?.value).toBe(item.value);
    }
    const rewritten: Record<string, string[]> = {
      'kube-env': ['ETCD_PEER_KEY', 'ETCD_PEER_CERT', 'INITIAL_ETCD_CLUSTER', 'INITIAL_ETCD_CLUSTER_STATE'],
      'kube-master-certs': layout === 'mtls' ? ['ETCD_APISERVER_SERVER_KEY', 'ETCD_APISERVER_SERVER_CERT'] : [],
    };
    for (const [doc, keys] of Object.entries(rewritten)) {
      const before = existing.find((i) => i.key === doc)?.value ?? '';
      const after = out.find((i) => i.key === doc)?.value ?? '';
      const beforeLines = lineMap(before);
      const afterLines = lineMap(after);
      expect([...afterLines.keys()]).toEqual([...beforeLines.keys()]);
      for (const [key, line] of beforeLines) {
        if (keys.includes(key)) {
          expect(afterLines.get(key)).not.toBe(line);
          expect(afterLines.get(key)).toMatch(new RegExp(`^${key}: '[^']*'$`));
        } else {
          // MASTER_CERT/KEY, KUBEAPISERVER_CERT/KEY, the etcd client cert, the CAs: byte for byte.
          expect(afterLines.get(key), key).toBe(line);
        }
      }
      expect(after.split('\n').length).toBe(before.split('\n').length);
    }
    const env = readKubeYaml(out.find((i) => i.key === 'kube-env')?.value ?? '');
    expect(env.get('INITIAL_ETCD_CLUSTER')).toBe('staging-master,staging-master-x7k');
    expect(env.get('INITIAL_ETCD_CLUSTER_STATE')).toBe('existing');
    expect(env.get('KUBE_ADMISSION_CONTROL')).toBe("it's quoted, kube-up style");
    expect(gunzipPem(env.get('ETCD_PEER_CERT'))).toBe(certs.etcdPeer.cert);
    expect(pem(env.get('ETCD_PEER_KEY'))).toBe(certs.etcdPeer.key);
    const mc = readKubeYaml(out.find((i) => i.key === 'kube-master-certs')?.value ?? '');
    if (certs.etcdApiserverServer) {
      expect(gunzipPem(mc.get('ETCD_APISERVER_SERVER_CERT'))).toBe(certs.etcdApiserverServer.cert);
      expect(pem(mc.get('ETCD_APISERVER_SERVER_KEY'))).toBe(certs.etcdApiserverServer.key);
    }
  });

  it('parses with master-metadata.ts into the layout it describes', () => {
    const read = readMasterMetadata(toRecord(out));
    expect(read?.problems).toEqual([]);
    expect(read?.isMaster).toBe(true);
    expect(read?.settings).toEqual({ multizone: true, quorumReads: false });
    expect(read?.etcd?.events).toBeNull();
    expect(read?.etcd?.main === null).toBe(layout === 'legacy');
  });

  it('a replica made from a replica keeps growing the list', async () => {
    const third = await buildReplicaMetadata(toRecord(out), { name: 'staging-master-q2p' }, [
      'staging-master',
      'staging-master-x7k',
    ]);
    const env = readKubeYaml(third.metadata.find((i) => i.key === 'kube-env')?.value ?? '');
    expect(env.get('INITIAL_ETCD_CLUSTER')).toBe('staging-master,staging-master-x7k,staging-master-q2p');
  });
});

describe('what cannot make a replica', () => {
  it('names every missing CA item', async () => {
    const [ca, etcdCa, etcdApiserverCa] = await Promise.all([createCa('c'), createCa('e'), createCa('ea')]);
    const md = toRecord(await existingMaster({ ca, etcdCa, etcdApiserverCa }, false));
    await expect(readClusterAuthorities(md)).rejects.toThrow(PkiError);
    await expect(readClusterAuthorities(md)).rejects.toThrow(/ETCD_CA_KEY/);
  });

  it('names an etcd CA cert written as plain base64', async () => {
    const [ca, etcdCa, etcdApiserverCa] = await Promise.all([createCa('c'), createCa('e'), createCa('ea')]);
    const md = toRecord(await existingMaster({ ca, etcdCa, etcdApiserverCa }));
    md['kube-env'] = rewriteKubeYaml(md['kube-env'] ?? '', new Map([['ETCD_CA_CERT', b64(etcdCa.cert)]]));
    await expect(readClusterAuthorities(md)).rejects.toThrow(/ETCD_CA_CERT \(not gzip\+base64 of PEM\)/);
  });

  it('refuses a CA key that does not belong to its certificate', async () => {
    const [ca, etcdCa, etcdApiserverCa, stray] = await Promise.all([
      createCa('c'),
      createCa('e'),
      createCa('ea'),
      createCa('x'),
    ]);
    const md = toRecord(await existingMaster({ ca, etcdCa, etcdApiserverCa }));
    md['kube-env'] = rewriteKubeYaml(md['kube-env'] ?? '', new Map([['ETCD_CA_KEY', b64(stray.key)]]));
    await expect(readClusterAuthorities(md)).rejects.toThrow(/does not match/);
  });

  it('refuses metadata without kube-env', () => {
    const certs = { etcdPeer: { cert: '', key: '' }, etcdApiserverServer: null };
    expect(() => replicaMetadata({ 'cluster-name': 'x' }, { name: 'n', existingReplicas: [], certs })).toThrow(
      PkiError,
    );
  });
});

describe('firstServiceIp', () => {
  it.each([
    ['10.0.0.0/16', '10.0.0.1'],
    ['10.96.0.0/12', '10.96.0.1'],
    ['192.168.7.128/25', '192.168.7.129'],
  ])('%s -> %s', (cidr, ip) => {
    expect(firstServiceIp(cidr)).toBe(ip);
  });
  it('rejects what is not an IPv4 CIDR', () => {
    expect(() => firstServiceIp('fd00::/108')).toThrow(PkiError);
  });
});
