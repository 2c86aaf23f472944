// What a master replica needs from its metadata, parsed from kube-env and kube-master-certs
// (kube-up's names; certs and keys are base64 of the PEM). Metadata is untrusted input: anything
// missing or malformed fails the boot with a message naming the key.

import { z } from 'zod';
import { decodeBase64Pem, parseKubeYaml } from '../pki/index';

export type MasterConfig = {
  masterName: string;
  initialEtcdCluster: string[];
  initialEtcdClusterState: 'new' | 'existing';
  quorumReads: boolean;
  pem: {
    caCert: string;
    masterCert: string;
    masterKey: string;
    etcdCaCert: string;
    etcdPeerCert: string;
    etcdPeerKey: string;
    etcdApiserverCaCert: string;
    etcdApiserverServerCert: string;
    etcdApiserverServerKey: string;
    etcdApiserverClientCert: string;
    etcdApiserverClientKey: string;
  };
};

const base64Pem = (kind: 'CERTIFICATE' | 'PRIVATE KEY') =>
  z
    .string()
    .min(1)
    .transform((value, ctx) => {
      const pem = decodeBase64Pem(value);
      // Accept any PEM private key label (PKCS#8, EC, RSA), as kube-up's own certs vary.
      const ok = kind === 'CERTIFICATE' ? pem.includes('-----BEGIN CERTIFICATE-----') : /-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(pem);
      if (!ok) ctx.addIssue({ code: 'custom', message: `not base64 of a PEM ${kind.toLowerCase()}` });
      return pem;
    });

const instanceName = z.string().regex(/^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/, 'not an instance name');

// kube-up's scripts compare with "true"; anything else (including '') means off. Case is forgiven.
const boolString = z.string().transform((v) => v.trim().toLowerCase() === 'true');

const kubeEnvSchema = z.object({
  MASTER_NAME: z.string().min(1).optional(),
  INSTANCE_PREFIX: z.string().min(1).optional(),
  INITIAL_ETCD_CLUSTER: z
    .string()
    .transform((s) => s.split(',').map((name) => name.trim()).filter((name) => name !== ''))
    .pipe(z.array(instanceName).min(1)),
  INITIAL_ETCD_CLUSTER_STATE: z.enum(['new', 'existing']).default('new'),
  // kube-up writes ETCD_QUORUM_READ; the flag names are accepted too so hand-written metadata works.
  ETCD_QUORUM_READ: boolString.optional(),
  ENABLE_ETCD_QUORUM_READS: boolString.optional(),
  ENABLE_ETCD_QUORUM_READ: boolString.optional(),
  CA_CERT: base64Pem('CERTIFICATE'),
  MASTER_CERT: base64Pem('CERTIFICATE'),
  MASTER_KEY: base64Pem('PRIVATE KEY'),
  ETCD_CA_CERT: base64Pem('CERTIFICATE'),
  ETCD_PEER_CERT: base64Pem('CERTIFICATE'),
  ETCD_PEER_KEY: base64Pem('PRIVATE KEY'),
});

const masterCertsSchema = z.object({
  ETCD_APISERVER_CA_CERT: base64Pem('CERTIFICATE'),
  ETCD_APISERVER_SERVER_CERT: base64Pem('CERTIFICATE'),
  ETCD_APISERVER_SERVER_KEY: base64Pem('PRIVATE KEY'),
  ETCD_APISERVER_CLIENT_CERT: base64Pem('CERTIFICATE'),
  ETCD_APISERVER_CLIENT_KEY: base64Pem('PRIVATE KEY'),
});

function parseOrExplain<T extends z.ZodType>(schema: T, doc: Record<string, string>, item: string): z.output<T> {
  const result = schema.safeParse(doc);
  if (!result.success) {
    const detail = result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new Error(`metadata ${item} is not usable: ${detail}`);
  }
  return result.data;
}

export function parseMasterConfig(kubeEnvText: string, masterCertsText: string, instance: string): MasterConfig {
  const env = parseOrExplain(kubeEnvSchema, parseKubeYaml(kubeEnvText), 'kube-env');
  const certs = parseOrExplain(masterCertsSchema, parseKubeYaml(masterCertsText), 'kube-master-certs');
  const masterName =
    env.MASTER_NAME ?? (env.INSTANCE_PREFIX !== undefined ? `${env.INSTANCE_PREFIX}-master` : undefined) ?? instance;
  return {
    masterName,
    initialEtcdCluster: env.INITIAL_ETCD_CLUSTER,
    initialEtcdClusterState: env.INITIAL_ETCD_CLUSTER_STATE,
    quorumReads: env.ETCD_QUORUM_READ ?? env.ENABLE_ETCD_QUORUM_READS ?? env.ENABLE_ETCD_QUORUM_READ ?? false,
    pem: {
      caCert: env.CA_CERT,
      masterCert: env.MASTER_CERT,
      masterKey: env.MASTER_KEY,
      etcdCaCert: env.ETCD_CA_CERT,
      etcdPeerCert: env.ETCD_PEER_CERT,
      etcdPeerKey: env.ETCD_PEER_KEY,
      etcdApiserverCaCert: certs.ETCD_APISERVER_CA_CERT,
      etcdApiserverServerCert: certs.ETCD_APISERVER_SERVER_CERT,
      etcdApiserverServerKey: certs.ETCD_APISERVER_SERVER_KEY,
      etcdApiserverClientCert: certs.ETCD_APISERVER_CLIENT_CERT,
      etcdApiserverClientKey: certs.ETCD_APISERVER_CLIENT_KEY,
    },
  };
}
