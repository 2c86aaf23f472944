import { describe, expect, it } from 'vitest';
import { decodePemValue, parseKubeYaml, readMasterIdentity, readMasterMetadata } from './master-metadata';

const pem = (label: string, body: string) => `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----\n`;
const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
const quote = (v: string) => `'${v.replaceAll("'", "''")}'`;
const kubeYaml = (entries: Record<string, string>) =>
  Object.entries(entries)
    .map(([k, v]) => `${k}: ${quote(v)}\n`)
    .join('');

const CA = pem('CERTIFICATE', 'Y2x1c3Rlci1jYQ==');
const KUBECFG_CERT = pem('CERTIFICATE', 'YWRtaW4=');
const KUBECFG_KEY = pem('PRIVATE KEY', 'YWRtaW4ta2V5');
const ETCD_CA = pem('CERTIFICATE', 'ZXRjZC1jYQ==');
const ETCD_CLIENT = pem('CERTIFICATE', 'Y2xpZW50');
const ETCD_CLIENT_KEY = pem('EC PRIVATE KEY', 'Y2xpZW50LWtleQ==');

function masterMetadata(overrides: { kubeEnv?: Record<string, string>; masterCerts?: Record<string, string> | null } = {}) {
  const kubeEnv = {
    MASTER_NAME: 'prod-master',
    KUBERNETES_MASTER: 'true',
    MULTIZONE: 'true',
    ENABLE_ETCD_QUORUM_READS: 'true',
    CA_CERT: b64(CA),
    KUBECFG_CERT: b64(KUBECFG_CERT),
    KUBECFG_KEY: b64(KUBECFG_KEY),
    INITIAL_ETCD_CLUSTER: 'prod-master-abc,prod-master-def',
    ...overrides.kubeEnv,
  };
  const masterCerts = overrides.masterCerts === undefined
    ? {
        CA_KEY: b64(pem('PRIVATE KEY', 'c2VjcmV0')),
        ETCD_APISERVER_CA_CERT: b64(ETCD_CA),
        ETCD_APISERVER_CLIENT_CERT: b64(ETCD_CLIENT),
        ETCD_APISERVER_CLIENT_KEY: b64(ETCD_CLIENT_KEY),
      }
    : overrides.masterCerts;
  const md: Record<string, string> = { 'kube-env': kubeYaml(kubeEnv), 'cluster-name': 'prod' };
  if (masterCerts !== null) md['kube-master-certs'] = kubeYaml(masterCerts);
  return md;
}

describe('parseKubeYaml', () => {
  it.each([
    ["A: 'x'\nB: 'it''s'\n", { A: 'x', B: "it's" }],
    ['A: true\nB: 3\nC: null\n', { A: 'true', B: '3' }],
    ["A: ''\n", { A: '' }],
  ])('reads %j', (text, expected) => {
    expect(parseKubeYaml(text)).toEqual(expected);
  });

  it.each([['- a\n- b\n'], ['A:\n  nested: 1\n'], ['just text']])('rejects %j', (text) => {
    expect(() => parseKubeYaml(text)).toThrow();
  });
});

describe('decodePemValue', () => {
  it.each([
    ['base64 of PEM', b64(CA), CA],
    ['PEM as is', CA, CA],
    ['base64 with trailing newline', `${b64(CA)}\n`, CA],
    ['base64 of not PEM', b64('hello'), null],
    ['garbage', 'not base64 !!', null],
    ['empty', '', null],
  ])('%s', (_label, value, expected) => {
    expect(decodePemValue(value)).toBe(expected);
  });
});

describe('readMasterMetadata', () => {
  it('reads credentials and settings the way kube-up writes them', () => {
    const m = readMasterMetadata(masterMetadata());
    expect(m).toEqual({
      isMaster: true,
      masterName: 'prod-master',
      settings: { multizone: true, quorumReads: true },
      etcdClient: { caCert: ETCD_CA, clientCert: ETCD_CLIENT, clientKey: ETCD_CLIENT_KEY },
      kube: { caCert: CA, clientCert: KUBECFG_CERT, clientKey: KUBECFG_KEY },
      problems: [],
    });
  });

  it.each([
    ['ENABLE_ETCD_QUORUM_READS', 'true', true],
    ['ENABLE_ETCD_QUORUM_READ', 'true', true],
    ['ETCD_QUORUM_READ', 'true', true],
    ['ENABLE_ETCD_QUORUM_READ', 'false', false],
    ['ETCD_QUORUM_READ', 'True', true],
  ])('quorum reads from %s=%s', (key, value, expected) => {
    const md = masterMetadata({ kubeEnv: { ENABLE_ETCD_QUORUM_READS: '' } });
    const env = parseKubeYaml(md['kube-env'] ?? '');
    delete env['ENABLE_ETCD_QUORUM_READS'];
    env[key] = value;
    md['kube-env'] = kubeYaml(env);
    expect(readMasterMetadata(md)?.settings.quorumReads).toBe(expected);
  });

  it('quorum reads and multizone default to off', () => {
    const md = masterMetadata();
    const env = parseKubeYaml(md['kube-env'] ?? '');
    delete env['ENABLE_ETCD_QUORUM_READS'];
    delete env['MULTIZONE'];
    md['kube-env'] = kubeYaml(env);
    expect(readMasterMetadata(md)?.settings).toEqual({ multizone: false, quorumReads: false });
  });

  it('names what is missing without leaking values', () => {
    const m = readMasterMetadata(masterMetadata({ masterCerts: { ETCD_APISERVER_CA_CERT: b64(ETCD_CA), ETCD_APISERVER_CLIENT_CERT: 'bm9wZQ==' } }));
    expect(m?.etcdClient).toBeNull();
    expect(m?.kube).not.toBeNull();
    expect(m?.problems).toEqual([
      'etcd client: ETCD_APISERVER_CLIENT_CERT is not base64 of a PEM block',
      'etcd client: ETCD_APISERVER_CLIENT_KEY missing',
    ]);
    expect(JSON.stringify(m?.problems)).not.toContain('bm9wZQ');
  });

  it('without kube-master-certs there are no etcd credentials', () => {
    const m = readMasterMetadata(masterMetadata({ masterCerts: null }));
    expect(m?.etcdClient).toBeNull();
    expect(m?.problems[0]).toBe('kube-master-certs missing');
  });

  it('is null for instances kube-up did not configure', () => {
    expect(readMasterMetadata({ 'startup-script': '#!/bin/sh' })).toBeNull();
    expect(readMasterMetadata({ 'kube-env': '- not\n- a map\n' })).toBeNull();
  });
});

describe('readMasterIdentity', () => {
  it.each([
    [{ KUBERNETES_MASTER: 'true', MASTER_NAME: 'prod-master' }, { isMaster: true, masterName: 'prod-master' }],
    [{ KUBERNETES_MASTER: 'false', MASTER_NAME: 'prod-master' }, { isMaster: false, masterName: 'prod-master' }],
    [{ KUBERNETES_MASTER_NAME: 'x-master' }, { isMaster: false, masterName: 'x-master' }],
  ])('%j', (env, expected) => {
    expect(readMasterIdentity({ 'kube-env': kubeYaml(env) })).toEqual(expected);
  });
});
