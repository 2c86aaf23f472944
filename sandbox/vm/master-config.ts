// What a master replica needs from its metadata, parsed from kube-env and kube-master-certs the way
// kube-up's configure-helper.sh reads them: keys and most certificates `base64 --decode`, the etcd
// certificates (ETCD_CA_CERT, ETCD_PEER_CERT, ETCD_APISERVER_{CA,SERVER,CLIENT}_CERT) `base64 --decode |
// gunzip`. Metadata is untrusted input: anything missing or malformed fails the boot with a message naming
// the key, before etcd starts, as configure-helper (run with errexit) would stop there.

import { gunzipSync } from 'node:zlib';
import { z } from 'zod';
import { parseKubeYaml, type EtcdLayout } from '../pki/index';

export type { EtcdLayout } from '../pki/index';

export type EtcdApiserverPems = {
  caCert: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
};

export type MasterConfig = {
  masterName: string;
  initialEtcdCluster: string[];
  initialEtcdClusterState: 'new' | 'existing';
  /** ETCD_QUORUM_READ where the layout has it; linearizable reads (true) where it has none, as etcd3 storage does. */
  quorumReads: boolean;
  etcdLayout: EtcdLayout;
  /** KUBE_BEARER_TOKEN: the admin token the API server accepts besides the admin certificate. */
  bearerToken: string | null;
  pem: {
    caCert: string;
    /** APISERVER_SERVER_CERT/KEY when set, else MASTER_CERT/KEY (configure-helper's choice). */
    servingCert: string;
    servingKey: string;
    etcdCaCert: string;
    etcdPeerCert: string;
    etcdPeerKey: string;
    /** null in the legacy layout. */
    etcdApiserver: EtcdApiserverPems | null;
  };
};

const PEM_CERT = /^-----BEGIN CERTIFICATE-----\r?\n[\s\S]+-----END CERTIFICATE-----\s*$/;
const PEM_KEY = /^-----BEGIN [A-Z ]*PRIVATE KEY-----\r?\n[\s\S]+-----END [A-Z ]*PRIVATE KEY-----\s*$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

type Encoding = 'base64' | 'gzip+base64';

/** A metadata value -> PEM, decoded as configure-helper does; an issue names what is wrong (never the value). */
const pemValue = (kind: 'CERTIFICATE' | 'PRIVATE KEY', encoding: Encoding) =>
  z
    .string()
    .min(1)
    .transform((value, ctx) => {
      const compact = value.replace(/\s+/g, '');
      if (!BASE64.test(compact)) {
        ctx.addIssue({ code: 'custom', message: 'not base64' });
        return z.NEVER;
      }
      const bytes = Buffer.from(compact, 'base64');
      let pem: string;
      if (encoding === 'gzip+base64') {
        try {
          pem = gunzipSync(bytes).toString('utf8');
        } catch {
          // `base64 --decode | gunzip` stops here: "gzip: stdin: not in gzip format".
          ctx.addIssue({
            code: 'custom',
            message: 'not gzip after base64 (kube-up writes etcd certificates as gzip | base64)',
          });
          return z.NEVER;
        }
      } else {
        pem = bytes.toString('utf8');
      }
      const ok = kind === 'CERTIFICATE' ? PEM_CERT.test(pem) : PEM_KEY.test(pem);
      if (!ok) {
        ctx.addIssue({ code: 'custom', message: `does not decode (${encoding}) to a PEM ${kind.toLowerCase()}` });
        return z.NEVER;
      }
      return pem;
    });

const instanceName = z.string().regex(/^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/, 'not an instance name');

// kube-up's scripts compare with "true"; anything else (including '') means off. Case is forgiven.
const boolString = z.string().transform((v) => v.trim().toLowerCase() === 'true');

const kubeEnvSchema = z.object({
  INSTANCE_PREFIX: z.string().min(1).optional(),
  INITIAL_ETCD_CLUSTER: z
    .string()
    .transform((s) =>
      s
        .split(',')
        .map((name) => name.trim())
        .filter((name) => name !== ''),
    )
    .pipe(z.array(instanceName).min(1)),
  INITIAL_ETCD_CLUSTER_STATE: z.enum(['new', 'existing']).default('new'),
  ETCD_QUORUM_READ: boolString.optional(),
  KUBE_BEARER_TOKEN: z.string().min(1).optional(),
  CA_CERT: pemValue('CERTIFICATE', 'base64'),
  MASTER_CERT: pemValue('CERTIFICATE', 'base64'),
  MASTER_KEY: pemValue('PRIVATE KEY', 'base64'),
  ETCD_CA_CERT: pemValue('CERTIFICATE', 'gzip+base64'),
  ETCD_PEER_CERT: pemValue('CERTIFICATE', 'gzip+base64'),
  ETCD_PEER_KEY: pemValue('PRIVATE KEY', 'base64'),
});

/** configure-kubeapiserver.sh's test: all six set = mutual TLS, none = plain http, some = an error. */
const ETCD_APISERVER_KEYS = [
  'ETCD_APISERVER_CA_KEY',
  'ETCD_APISERVER_CA_CERT',
  'ETCD_APISERVER_SERVER_KEY',
  'ETCD_APISERVER_SERVER_CERT',
  'ETCD_APISERVER_CLIENT_KEY',
  'ETCD_APISERVER_CLIENT_CERT',
] as const;

const etcdApiserverSchema = z.object({
  ETCD_APISERVER_CA_KEY: pemValue('PRIVATE KEY', 'base64'),
  ETCD_APISERVER_CA_CERT: pemValue('CERTIFICATE', 'gzip+base64'),
  ETCD_APISERVER_SERVER_KEY: pemValue('PRIVATE KEY', 'base64'),
  ETCD_APISERVER_SERVER_CERT: pemValue('CERTIFICATE', 'gzip+base64'),
  ETCD_APISERVER_CLIENT_KEY: pemValue('PRIVATE KEY', 'base64'),
  ETCD_APISERVER_CLIENT_CERT: pemValue('CERTIFICATE', 'gzip+base64'),
});

const servingSchema = z.object({
  APISERVER_SERVER_CERT: pemValue('CERTIFICATE', 'base64').optional(),
  APISERVER_SERVER_KEY: pemValue('PRIVATE KEY', 'base64').optional(),
});

function parseOrExplain<T extends z.ZodType>(schema: T, doc: Record<string, string>, item: string): z.output<T> {
  const result = schema.safeParse(doc);
  if (!result.success) {
    const detail = result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new Error(`metadata ${item} is not usable: ${detail}`);
  }
  return result.data;
}

/** Non-empty values only: an empty value counts as not set, as `-n "${X:-}"` does in the scripts. */
function setValues(doc: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(doc).filter(([, v]) => v !== ''));
}

export function parseMasterConfig(kubeEnvText: string, masterCertsText: string, instance: string): MasterConfig {
  const envDoc = setValues(parseKubeYaml(kubeEnvText));
  const certsDoc = setValues(masterCertsText.trim() === '' ? {} : parseKubeYaml(masterCertsText));
  const env = parseOrExplain(kubeEnvSchema, envDoc, 'kube-env');

  const present = ETCD_APISERVER_KEYS.filter((k) => certsDoc[k] !== undefined);
  if (present.length > 0 && present.length < ETCD_APISERVER_KEYS.length) {
    const missing = ETCD_APISERVER_KEYS.filter((k) => certsDoc[k] === undefined);
    throw new Error(
      `metadata kube-master-certs is not usable: some of the ETCD_APISERVER_* values are set but not ${missing.join(', ')}`,
    );
  }
  const etcdApiserver =
    present.length === 0
      ? null
      : (() => {
          const c = parseOrExplain(etcdApiserverSchema, certsDoc, 'kube-master-certs');
          return {
            caCert: c.ETCD_APISERVER_CA_CERT,
            serverCert: c.ETCD_APISERVER_SERVER_CERT,
            serverKey: c.ETCD_APISERVER_SERVER_KEY,
            clientCert: c.ETCD_APISERVER_CLIENT_CERT,
            clientKey: c.ETCD_APISERVER_CLIENT_KEY,
          };
        })();

  // A per-replica serving cert may sit in either document; kube-env wins.
  const serving = parseOrExplain(servingSchema, { ...certsDoc, ...envDoc }, 'kube-env');
  if ((serving.APISERVER_SERVER_CERT === undefined) !== (serving.APISERVER_SERVER_KEY === undefined)) {
    throw new Error(
      'metadata kube-env is not usable: APISERVER_SERVER_CERT and APISERVER_SERVER_KEY must be set together',
    );
  }

  const masterName = env.INSTANCE_PREFIX !== undefined ? `${env.INSTANCE_PREFIX}-master` : instance;
  return {
    masterName,
    initialEtcdCluster: env.INITIAL_ETCD_CLUSTER,
    initialEtcdClusterState: env.INITIAL_ETCD_CLUSTER_STATE,
    quorumReads: env.ETCD_QUORUM_READ ?? true,
    etcdLayout: etcdApiserver === null ? 'legacy' : 'mtls',
    bearerToken: env.KUBE_BEARER_TOKEN ?? null,
    pem: {
      caCert: env.CA_CERT,
      servingCert: serving.APISERVER_SERVER_CERT ?? env.MASTER_CERT,
      servingKey: serving.APISERVER_SERVER_KEY ?? env.MASTER_KEY,
      etcdCaCert: env.ETCD_CA_CERT,
      etcdPeerCert: env.ETCD_PEER_CERT,
      etcdPeerKey: env.ETCD_PEER_KEY,
      etcdApiserver,
    },
  };
}
