// The VM's boot-time reading of its metadata, as configure-helper.sh does it: gzip+base64 etcd certs,
// base64 keys, the etcd layout from the ETCD_APISERVER_* set, APISERVER_SERVER_CERT over MASTER_CERT, and a
// visible failure (an error naming the key) on anything a real master would stop at.
import { beforeAll, describe, expect, it } from 'vitest';
import {
  buildMasterMetadata,
  createClusterPki,
  createReplicaCerts,
  parseKubeYaml,
  yamlQuote,
  type ClusterPki,
  type ReplicaCerts,
} from '../pki/index';
import { parseMasterConfig } from './master-config';

let pki: ClusterPki;
let certs: ReplicaCerts;

beforeAll(async () => {
  pki = await createClusterPki('unit-master', '203.0.113.7');
  certs = await createReplicaCerts(pki, { name: 'unit-master-abc', internalIp: '127.66.1.2' });
});

function metadata(layout: 'mtls' | 'legacy', quorumReads = false) {
  const items = buildMasterMetadata({
    masterName: 'unit-master',
    clusterName: 'unit',
    zone: 'europe-west1-b',
    staticIp: '203.0.113.7',
    pki,
    certs,
    layout,
    initialEtcdCluster: ['unit-master-abc'],
    initialEtcdClusterState: 'new',
    multizone: true,
    quorumReads,
  });
  const byKey = new Map(items.map((i) => [i.key, i.value]));
  return { env: byKey.get('kube-env') ?? '', certs: byKey.get('kube-master-certs') ?? '' };
}

/** Sets (or, with null, drops) keys of a kube-env style document. */
function edit(doc: string, changes: Record<string, string | null>): string {
  const values = parseKubeYaml(doc);
  for (const [k, v] of Object.entries(changes)) {
    if (v === null) delete values[k];
    else values[k] = v;
  }
  return Object.entries(values)
    .map(([k, v]) => `${k}: ${yamlQuote(v)}\n`)
    .join('');
}

const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('parseMasterConfig', () => {
  it('reads the current layout: gunzipped etcd certs, mutual TLS on main, reads linearizable', () => {
    const m = metadata('mtls');
    const config = parseMasterConfig(m.env, m.certs, 'unit-master-abc');
    expect(config.etcdLayout).toBe('mtls');
    expect(config.quorumReads).toBe(true);
    expect(config.pem.etcdPeerCert).toBe(certs.etcdPeerCert);
    expect(config.pem.etcdCaCert).toBe(pki.etcdCaCert);
    expect(config.pem.etcdApiserver).toEqual({
      caCert: pki.etcdApiserverCaCert,
      serverCert: certs.etcdApiserverServerCert,
      serverKey: certs.etcdApiserverServerKey,
      clientCert: pki.etcdApiserverClientCert,
      clientKey: pki.etcdApiserverClientKey,
    });
    expect(config.pem.servingCert).toBe(pki.masterCert);
    expect(config.bearerToken).toBe(pki.kubeBearerToken);
    expect(config.masterName).toBe('unit-master');
  });

  it('reads the pre-1.16 layout: no ETCD_APISERVER_*, plain http, ETCD_QUORUM_READ', () => {
    const m = metadata('legacy', false);
    const config = parseMasterConfig(m.env, m.certs, 'unit-master-abc');
    expect(config.etcdLayout).toBe('legacy');
    expect(config.pem.etcdApiserver).toBeNull();
    expect(config.quorumReads).toBe(false);
  });

  it('serves APISERVER_SERVER_CERT/KEY instead of MASTER_CERT/KEY when set', () => {
    const m = metadata('mtls');
    const env = edit(m.env, {
      APISERVER_SERVER_CERT: b64(certs.etcdPeerCert),
      APISERVER_SERVER_KEY: b64(certs.etcdPeerKey),
    });
    const config = parseMasterConfig(env, m.certs, 'unit-master-abc');
    expect(config.pem.servingCert).toBe(certs.etcdPeerCert);
    expect(config.pem.servingKey).toBe(certs.etcdPeerKey);
  });

  it.each([
    [
      'a plain-base64 etcd cert (would gunzip to nothing)',
      'env',
      { ETCD_PEER_CERT: b64('x') },
      /ETCD_PEER_CERT: not gzip after base64/,
    ],
    ['an etcd CA cert that is not base64', 'env', { ETCD_CA_CERT: 'not base64!' }, /ETCD_CA_CERT: not base64/],
    [
      'a gzipped key',
      'env',
      { ETCD_PEER_KEY: 'H4sIAAAAAAAAA0tMTAIAwkFYPwQAAAA=' },
      /ETCD_PEER_KEY: does not decode \(base64\) to a PEM private key/,
    ],
    ['a missing MASTER_CERT', 'env', { MASTER_CERT: null }, /kube-env is not usable: MASTER_CERT/],
    [
      'APISERVER_SERVER_CERT without its key',
      'env',
      { APISERVER_SERVER_CERT: b64('-----BEGIN CERTIFICATE-----\nYQ==\n-----END CERTIFICATE-----\n') },
      /must be set together/,
    ],
    [
      'some ETCD_APISERVER_* only',
      'certs',
      { ETCD_APISERVER_SERVER_CERT: null, ETCD_APISERVER_SERVER_KEY: null },
      /some of the ETCD_APISERVER_\* values are set but not ETCD_APISERVER_SERVER_KEY, ETCD_APISERVER_SERVER_CERT/,
    ],
    [
      'an ETCD_APISERVER cert in plain base64',
      'certs',
      { ETCD_APISERVER_CA_CERT: b64(certsPemPlaceholder()) },
      /ETCD_APISERVER_CA_CERT: not gzip/,
    ],
  ] as const)('fails on %s, naming the key', (_label, where, changes, message) => {
    const m = metadata('mtls');
    const env = where === 'env' ? edit(m.env, changes) : m.env;
    const mc = where === 'certs' ? edit(m.certs, changes) : m.certs;
    expect(() => parseMasterConfig(env, mc, 'unit-master-abc')).toThrow(message);
  });
});

function certsPemPlaceholder(): string {
  return '-----BEGIN CERTIFICATE-----\nYQ==\n-----END CERTIFICATE-----\n';
}
