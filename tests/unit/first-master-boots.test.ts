// The dashboard's first-master metadata is what the sandbox's VM agent boots from: parsed by the agent's
// own reader (sandbox/vm/master-config.ts), as a seeded kube-up master's is. The agent running etcd from it
// is covered by tests/integration/create-cluster.test.ts.
import { describe, expect, it } from 'vitest';
import { firstMasterMetadata, issueClusterSecrets } from '@/lib/pki/first-master';
import { parseMasterConfig } from '@/sandbox/vm/master-config';

describe('first master metadata in the sandbox VM agent', () => {
  it.each([{ multizone: true }, { multizone: false }])(
    'boots a one-member new cluster (MULTIZONE $multizone), its reads linearizable',
    async ({ multizone }) => {
      const secrets = await issueClusterSecrets({
        name: 'blue-master',
        internalIp: '127.30.1.9',
        staticIp: '127.31.1.4',
      });
      const items = firstMasterMetadata(secrets, { masterName: 'blue-master', zone: 'europe-west1-c', multizone });
      const byKey = Object.fromEntries(items.map((i) => [i.key, i.value]));
      const config = parseMasterConfig(byKey['kube-env'] ?? '', byKey['kube-master-certs'] ?? '', 'blue-master');
      expect(config).toMatchObject({
        masterName: 'blue-master',
        initialEtcdCluster: ['blue-master'],
        initialEtcdClusterState: 'new',
        quorumReads: true,
        etcdLayout: 'mtls',
      });
      expect(config.pem.etcdPeerKey).toMatch(/^-----BEGIN PRIVATE KEY-----/);
      expect(config.pem.etcdPeerCert).toMatch(/^-----BEGIN CERTIFICATE-----/);
      expect(config.pem.etcdApiserver?.clientCert).toMatch(/^-----BEGIN CERTIFICATE-----/);
      expect(config.bearerToken).toMatch(/^[A-Za-z0-9]{32}$/);
    },
  );
});
