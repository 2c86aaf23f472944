import { beforeAll, describe, expect, it } from 'vitest';
import {
  CLUSTER_SECRET_KEYS,
  firstMasterMetadata,
  issueClusterSecrets,
  type ClusterSecrets,
} from '@/lib/pki/first-master';
import { REDACTED, redactMetadata, redactSecrets } from './redact';

// Real keys, as a new cluster's first master carries them in kube-env and kube-master-certs.
let secrets: ClusterSecrets;
let metadata: Record<string, string>;
const pem = (b64: string) => Buffer.from(b64, 'base64').toString('utf8');
const KEY_NAMES = CLUSTER_SECRET_KEYS.filter((k) => k.endsWith('_KEY'));

/** Distinctive pieces of every private key, as PEM body and as base64 of the PEM. */
function keyFragments(): string[] {
  return KEY_NAMES.flatMap((k) => {
    const b64 = secrets.secrets[k];
    const body = pem(b64).split('\n').slice(1, -2).join('');
    return [b64.slice(40, 80), body.slice(20, 60)];
  });
}

beforeAll(async () => {
  secrets = await issueClusterSecrets({ name: 'blue-master', internalIp: '127.30.1.9', staticIp: '127.31.1.4' });
  metadata = Object.fromEntries(
    firstMasterMetadata(secrets, { masterName: 'blue-master', zone: 'europe-west1-c', multizone: true }).map((i) => [
      i.key,
      i.value,
    ]),
  );
});

describe('redactSecrets', () => {
  it('removes every private key from kube-env and kube-master-certs, keeping certificates and settings', () => {
    expect(KEY_NAMES.length).toBeGreaterThanOrEqual(8);
    const text = `${metadata['kube-env'] ?? ''}\n${metadata['kube-master-certs'] ?? ''}`;
    const redacted = redactSecrets(text);
    for (const fragment of keyFragments()) expect(redacted).not.toContain(fragment);
    expect(redacted).toContain(`MASTER_KEY: ${REDACTED}`);
    expect(redacted).toContain(`ETCD_APISERVER_CLIENT_KEY: ${REDACTED}`);
    // The admin token is as good as the admin certificate.
    expect(redacted).toContain(`KUBE_BEARER_TOKEN: ${REDACTED}`);
    expect(redacted).not.toContain(secrets.secrets.KUBE_BEARER_TOKEN);
    expect(redacted).toContain(`CA_CERT: '${secrets.secrets.CA_CERT}'`);
    expect(redacted).toContain("MULTIZONE: 'true'");
  });

  it.each([
    ['a PEM private key block', () => `etcd said: ${pem(secrets.secrets.ETCD_PEER_KEY)} (bad)`],
    ['a PEM private key cut off mid-way', () => `failed: ${pem(secrets.secrets.CA_KEY).slice(0, 200)}`],
    [
      'base64 of a PEM key inside prose',
      () => `Invalid value for field 'resource.metadata.items[0].value': '${secrets.secrets.MASTER_KEY}'.`,
    ],
    ['base64 of a PEM key cut to 20 characters', () => `Invalid value '${secrets.secrets.MASTER_KEY.slice(0, 20)}...'`],
    ['a *_KEY field in JSON', () => JSON.stringify({ KUBECFG_KEY: secrets.secrets.KUBECFG_KEY.slice(100, 300) })],
    ['a *_KEY field as an assignment', () => `ETCD_CA_KEY=${secrets.secrets.ETCD_CA_KEY.slice(100, 300)} rest`],
  ])('removes %s', (_what, make) => {
    const text = make();
    const redacted = redactSecrets(text);
    expect(redacted).toContain(REDACTED);
    for (const fragment of keyFragments()) expect(redacted).not.toContain(fragment);
    expect(redacted).not.toMatch(/[A-Za-z0-9+/]{60}/);
  });

  it('keeps a message without keys as it is, base64 certificates included', () => {
    const plain = `etcd main on prod-master-x does not answer (127.20.1.2:2379: connection refused); CA_CERT is ${secrets.secrets.CA_CERT.slice(0, 64)}`;
    expect(redactSecrets(plain)).toBe(plain);
  });
});

describe('redactMetadata', () => {
  it('withholds kube-master-certs and other secret-named values whole, and redacts the keys in kube-env', () => {
    const shown = redactMetadata({ ...metadata, 'ssh-keys': 'admin:ssh-ed25519 AAAA', 'cluster-name': 'blue' });
    expect(shown['kube-master-certs']).toBe(REDACTED);
    expect(shown['ssh-keys']).toBe(REDACTED);
    expect(shown['cluster-name']).toBe('blue');
    expect(shown['kube-env']).toContain(`ETCD_PEER_KEY: ${REDACTED}`);
    expect(shown['kube-env']).toContain("KUBERNETES_MASTER_NAME: '127.31.1.4'");
    for (const fragment of keyFragments()) expect(JSON.stringify(shown)).not.toContain(fragment);
  });
});
