import { describe, expect, it } from 'vitest';
import { gzipSync } from 'node:zlib';
import { parseKubeYaml, readMasterIdentity, readMasterMetadata } from './master-metadata';

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
// kube-up's `gzip | base64` of the etcd certificates.
const gz = (s: string) => gzipSync(Buffer.from(s, 'utf8')).toString('base64');

const MTLS_CERTS = {
  CA_KEY: b64(pem('PRIVATE KEY', 'c2VjcmV0')),
  ETCD_APISERVER_CA_KEY: b64(pem('PRIVATE KEY', 'Y2Eta2V5')),
  ETCD_APISERVER_CA_CERT: gz(ETCD_CA),
  ETCD_APISERVER_SERVER_KEY: b64(pem('PRIVATE KEY', 'c2VydmVyLWtleQ==')),
  ETCD_APISERVER_SERVER_CERT: gz(pem('CERTIFICATE', 'c2VydmVy')),
  ETCD_APISERVER_CLIENT_CERT: gz(ETCD_CLIENT),
  ETCD_APISERVER_CLIENT_KEY: b64(ETCD_CLIENT_KEY),
};

function masterMetadata(
  overrides: { kubeEnv?: Record<string, string>; masterCerts?: Record<string, string> | null } = {},
) {
  const kubeEnv = {
    KUBERNETES_MASTER: 'true',
    KUBERNETES_MASTER_NAME: '203.0.113.7',
    MULTIZONE: 'true',
    CA_CERT: b64(CA),
    KUBECFG_CERT: b64(KUBECFG_CERT),
    KUBECFG_KEY: b64(KUBECFG_KEY),
    INITIAL_ETCD_CLUSTER: 'prod-master-abc,prod-master-def',
    ...overrides.kubeEnv,
  };
  const masterCerts = overrides.masterCerts === undefined ? MTLS_CERTS : overrides.masterCerts;
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

describe('readMasterMetadata: API server credentials', () => {
  const TOKEN = 'AbCdEfGhIjKlMnOpQrStUvWxYz012345';
  const without = (keys: string[], extra: Record<string, string> = {}) => {
    const md = masterMetadata({ kubeEnv: extra });
    const env = Object.fromEntries(
      Object.entries(parseKubeYaml(md['kube-env'] ?? '')).filter(([k]) => !keys.includes(k)),
    );
    return { ...md, 'kube-env': kubeYaml(env) };
  };

  it('prefers the admin client certificate', () => {
    expect(readMasterMetadata(masterMetadata({ kubeEnv: { KUBE_BEARER_TOKEN: TOKEN } }))?.kube).toEqual({
      caCert: CA,
      clientCert: KUBECFG_CERT,
      clientKey: KUBECFG_KEY,
    });
  });

  it('falls back to KUBE_BEARER_TOKEN without KUBECFG_CERT/KEY, with no problem reported', () => {
    const m = readMasterMetadata(without(['KUBECFG_CERT', 'KUBECFG_KEY'], { KUBE_BEARER_TOKEN: TOKEN }));
    expect(m?.kube).toEqual({ caCert: CA, bearerToken: TOKEN });
    expect(m?.problems).toEqual([]);
  });

  it('uses the token but reports a broken certificate', () => {
    const m = readMasterMetadata(
      masterMetadata({ kubeEnv: { KUBECFG_CERT: 'not base64 !!', KUBE_BEARER_TOKEN: TOKEN } }),
    );
    expect(m?.kube).toEqual({ caCert: CA, bearerToken: TOKEN });
    expect(m?.problems).toEqual(['kube client: KUBECFG_CERT is not base64 of a PEM block']);
  });

  it.each([
    ['no certificate and no token', {}, ['kube client: KUBECFG_CERT missing', 'kube client: KUBECFG_KEY missing']],
    [
      'a token that is not token68 (space, so not one header value)',
      { KUBE_BEARER_TOKEN: `${TOKEN} X-Evil` },
      ['kube client: KUBE_BEARER_TOKEN is not a bearer token'],
    ],
  ])('none with %s', (_label, extra, problems) => {
    const m = readMasterMetadata(without(['KUBECFG_CERT', 'KUBECFG_KEY'], extra));
    expect(m?.kube).toBeNull();
    expect(m?.problems).toEqual(problems);
  });
});

describe('readMasterMetadata', () => {
  it('reads a current kube-up master: mutual TLS to etcd main, events plain http, no quorum-read setting', () => {
    const m = readMasterMetadata(masterMetadata());
    expect(m).toEqual({
      isMaster: true,
      settings: { multizone: true, quorumReads: null },
      etcd: { main: { caCert: ETCD_CA, clientCert: ETCD_CLIENT, clientKey: ETCD_CLIENT_KEY }, events: null },
      kube: { caCert: CA, clientCert: KUBECFG_CERT, clientKey: KUBECFG_KEY },
      problems: [],
    });
  });

  it('reads a pre-1.16 master: no ETCD_APISERVER_* means plain http to main too; ETCD_QUORUM_READ is its setting', () => {
    const m = readMasterMetadata(
      masterMetadata({ kubeEnv: { ETCD_QUORUM_READ: 'false' }, masterCerts: { CA_KEY: MTLS_CERTS.CA_KEY } }),
    );
    expect(m?.etcd).toEqual({ main: null, events: null });
    expect(m?.settings).toEqual({ multizone: true, quorumReads: false });
    expect(m?.problems).toEqual([]);
  });

  it.each([
    ['true', true],
    ['True', true],
    ['false', false],
    ['', false],
  ])('ETCD_QUORUM_READ=%j', (value, expected) => {
    expect(readMasterMetadata(masterMetadata({ kubeEnv: { ETCD_QUORUM_READ: value } }))?.settings.quorumReads).toBe(
      expected,
    );
  });

  it('some but not all ETCD_APISERVER_* is no layout at all (configure-kubeapiserver.sh stops there)', () => {
    const { ETCD_APISERVER_SERVER_KEY: _k, ETCD_APISERVER_SERVER_CERT: _c, ...partial } = MTLS_CERTS;
    const m = readMasterMetadata(masterMetadata({ masterCerts: partial }));
    expect(m?.etcd).toBeNull();
    expect(m?.problems).toEqual([
      'etcd client: some ETCD_APISERVER_* values are set but not ETCD_APISERVER_SERVER_KEY, ETCD_APISERVER_SERVER_CERT',
    ]);
  });

  it('names an etcd cert in the wrong encoding, or missing, without leaking values', () => {
    const m = readMasterMetadata(
      masterMetadata({
        masterCerts: { ...MTLS_CERTS, ETCD_APISERVER_CA_CERT: b64(ETCD_CA), ETCD_APISERVER_CLIENT_CERT: 'bm9wZQ==' },
      }),
    );
    expect(m?.etcd).toBeNull();
    expect(m?.kube).not.toBeNull();
    expect(m?.problems).toEqual([
      'etcd client: ETCD_APISERVER_CA_CERT is not gzip+base64 of a PEM block',
      'etcd client: ETCD_APISERVER_CLIENT_CERT is not gzip+base64 of a PEM block',
    ]);
    expect(JSON.stringify(m?.problems)).not.toContain('bm9wZQ');
  });

  it('without kube-master-certs the etcd layout is unknown', () => {
    const m = readMasterMetadata(masterMetadata({ masterCerts: null }));
    expect(m?.etcd).toBeNull();
    expect(m?.problems[0]).toBe('kube-master-certs missing');
  });

  it('is null for instances kube-up did not configure', () => {
    expect(readMasterMetadata({ 'startup-script': '#!/bin/sh' })).toBeNull();
    expect(readMasterMetadata({ 'kube-env': '- not\n- a map\n' })).toBeNull();
  });
});

describe('readMasterIdentity', () => {
  it.each([
    [
      { KUBERNETES_MASTER: 'true', KUBERNETES_MASTER_NAME: '203.0.113.7' },
      { isMaster: true, haEraMasterName: null },
    ],
    [{ KUBERNETES_MASTER: 'false' }, { isMaster: false, haEraMasterName: null }],
    [{ KUBERNETES_MASTER_NAME: 'x-master' }, { isMaster: false, haEraMasterName: null }],
    [{ MASTER_NAME: 'x-master' }, { isMaster: false, haEraMasterName: 'x-master' }],
  ])('%j (never a name: kube-env holds the static IP there)', (env, expected) => {
    expect(readMasterIdentity({ 'kube-env': kubeYaml(env) })).toEqual(expected);
  });
});
