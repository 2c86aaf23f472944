import 'server-only';
import { createHash } from 'node:crypto';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import type { EtcdAccess } from '@/lib/ports/etcd-admin';
import type { KubeCredentials } from '@/lib/ports/kube-api';
import { decodePemValue, encodingOf } from '@/lib/pki/pem-encoding';

// A kube-up master's configuration lives in its instance metadata: `kube-env` and `kube-master-certs`,
// each a YAML mapping written as `KEY: 'value'` lines. Keys and most certificates are base64 of their PEM;
// the etcd certificates (ETCD_CA_CERT, ETCD_PEER_CERT, ETCD_APISERVER_{CA,SERVER,CLIENT}_CERT) are gzip,
// then base64 (configure-helper reads them with `base64 --decode | gunzip`). Everything read here is secret
// or close to it: it stays on the server, in memory.
//
// Nothing here names the cluster: kube-env has no MASTER_NAME, and KUBERNETES_MASTER_NAME holds the static
// IP. A cluster's name comes from its instance names and network tag (discover-clusters.ts).

export type MasterSettings = {
  multizone: boolean;
  /** ETCD_QUORUM_READ of an HA-era kube-env; null where the layout has no such setting (current kube-up). */
  quorumReads: boolean | null;
};

export type MasterMetadata = {
  /** KUBERNETES_MASTER in kube-env. */
  isMaster: boolean;
  settings: MasterSettings;
  /**
   * How to reach etcd: main by mutual TLS (every ETCD_APISERVER_* present) or plain http (none present, the
   * pre-1.16 layout); events always plain http. null when some but not all are present, or one is unreadable.
   */
  etcd: EtcdAccess | null;
  /** CA_CERT, KUBECFG_CERT, KUBECFG_KEY; null when any is missing or not PEM. */
  kube: KubeCredentials | null;
  /** Why a credential set is null, for the operator (never contains a value). */
  problems: string[];
};

/** kube-env's quorum-read setting in HA-era kube-up (config-default.sh's ENABLE_ETCD_QUORUM_READ, written as ETCD_QUORUM_READ). */
export const QUORUM_READ_KEY = 'ETCD_QUORUM_READ';

/** configure-kubeapiserver.sh: all of these set = mutual TLS to etcd main; none = plain http; some = broken. */
export const ETCD_APISERVER_KEYS = [
  'ETCD_APISERVER_CA_KEY',
  'ETCD_APISERVER_CA_CERT',
  'ETCD_APISERVER_SERVER_KEY',
  'ETCD_APISERVER_SERVER_CERT',
  'ETCD_APISERVER_CLIENT_KEY',
  'ETCD_APISERVER_CLIENT_CERT',
] as const;

const scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);
const kubeYamlSchema = z.record(z.string(), scalar);

/**
 * A kube-env style document -> its string values. Throws when it is not a flat YAML mapping.
 * Values stay as written (certificates remain base64).
 */
export function parseKubeYaml(text: string): Record<string, string> {
  const parsed = kubeYamlSchema.safeParse(parseYaml(text));
  if (!parsed.success) throw new Error('not a flat YAML mapping of scalars');
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(parsed.data)) {
    if (value !== null) out[key] = String(value);
  }
  return out;
}

function isTrue(value: string | undefined): boolean {
  return value !== undefined && value.trim().toLowerCase() === 'true';
}

function readPems<K extends string>(
  label: string,
  sources: Array<Record<string, string>>,
  keys: Record<K, string>,
  problems: string[],
): Record<K, string> | null {
  const out: Partial<Record<K, string>> = {};
  let complete = true;
  for (const [field, key] of Object.entries(keys) as Array<[K, string]>) {
    const raw = sources.map((s) => s[key]).find((v) => v !== undefined && v !== '');
    if (raw === undefined) {
      problems.push(`${label}: ${key} missing`);
      complete = false;
      continue;
    }
    const pem = decodePemValue(key, raw);
    if (pem === null) {
      problems.push(`${label}: ${key} is not ${encodingOf(key)} of a PEM block`);
      complete = false;
      continue;
    }
    out[field] = pem;
  }
  return complete ? (out as Record<K, string>) : null;
}

// RFC 6750's token68: what an Authorization header may carry, so a value from metadata cannot inject a header.
const BEARER_TOKEN = /^[A-Za-z0-9._~+/-]{16,}=*$/;

/**
 * The API server's admin credentials as kube-up's kubeconfig holds them: the client certificate (KUBECFG_CERT/KEY),
 * else the bearer token (KUBE_BEARER_TOKEN) when the master has no usable certificate.
 */
function readKubeCredentials(sources: Array<Record<string, string>>, problems: string[]): KubeCredentials | null {
  const ca = readPems('kube client', sources, { caCert: 'CA_CERT' }, problems);
  const certProblems: string[] = [];
  const cert = readPems('kube client', sources, { clientCert: 'KUBECFG_CERT', clientKey: 'KUBECFG_KEY' }, certProblems);
  if (cert) return ca && { ...ca, ...cert };
  const token = sources.map((s) => s['KUBE_BEARER_TOKEN']?.trim()).find((v) => v !== undefined && v !== '');
  const hasCertKeys = sources.some((s) => s['KUBECFG_CERT'] !== undefined || s['KUBECFG_KEY'] !== undefined);
  // Missing certificate keys are not a problem when the token stands in for them; a broken one still is.
  if (hasCertKeys || token === undefined) problems.push(...certProblems);
  if (token === undefined) return null;
  if (!BEARER_TOKEN.test(token)) {
    problems.push('kube client: KUBE_BEARER_TOKEN is not a bearer token');
    return null;
  }
  return ca && { ...ca, bearerToken: token };
}

/** Just enough of kube-env to tell a master from a node, for fleet discovery (no certificates decoded). */
export function readMasterIdentity(
  metadata: Record<string, string>,
): { isMaster: boolean; haEraMasterName: string | null } | null {
  const kubeEnvText = metadata['kube-env'];
  if (kubeEnvText === undefined) return null;
  try {
    const env = parseKubeYaml(kubeEnvText);
    // An HA-era (~1.6) kube-env named the master in MASTER_NAME; current ones do not.
    const haEra = env['MASTER_NAME'];
    return {
      isMaster: isTrue(env['KUBERNETES_MASTER']),
      haEraMasterName: typeof haEra === 'string' && haEra !== '' ? haEra : null,
    };
  } catch {
    return null;
  }
}

// Every observation reads every replica's metadata again; parsing kube-env's YAML and decoding its PEMs
// costs a few ms per replica, so results are kept by content (a small, bounded cache).
const CACHE_LIMIT = 64;
const cache = new Map<string, MasterMetadata | null>();

/**
 * Reads a master's metadata (instance attributes). Returns null when there is no readable kube-env,
 * i.e. the instance is not something kube-up configured.
 */
export function readMasterMetadata(metadata: Record<string, string>): MasterMetadata | null {
  const key = createHash('sha256')
    .update(metadata['kube-env'] ?? '\u0000none')
    .update('\u0000')
    .update(metadata['kube-master-certs'] ?? '\u0000none')
    .digest('hex');
  if (cache.has(key)) return cache.get(key) ?? null;
  const result = parseMasterMetadata(metadata);
  if (cache.size >= CACHE_LIMIT) {
    const oldest = cache.keys().next();
    if (!oldest.done) cache.delete(oldest.value);
  }
  cache.set(key, result);
  return result;
}

/**
 * The etcd layout the metadata describes (configure-kubeapiserver.sh's test): every ETCD_APISERVER_* set
 * means mutual TLS on main, none means plain http; events is plain http either way.
 */
export function readEtcdAccess(
  masterCerts: Record<string, string>,
  kubeEnv: Record<string, string>,
  problems: string[],
): EtcdAccess | null {
  const isSet = (k: string) => (masterCerts[k] ?? kubeEnv[k] ?? '') !== '';
  const present = ETCD_APISERVER_KEYS.filter(isSet);
  if (present.length === 0) return { main: null, events: null };
  if (present.length < ETCD_APISERVER_KEYS.length) {
    problems.push(
      `etcd client: some ETCD_APISERVER_* values are set but not ${ETCD_APISERVER_KEYS.filter((k) => !isSet(k)).join(', ')}`,
    );
    return null;
  }
  // kube-up keeps the etcd-apiserver PKI in kube-master-certs; look in kube-env second, in case a variant moved it.
  const tls = readPems(
    'etcd client',
    [masterCerts, kubeEnv],
    {
      caCert: 'ETCD_APISERVER_CA_CERT',
      clientCert: 'ETCD_APISERVER_CLIENT_CERT',
      clientKey: 'ETCD_APISERVER_CLIENT_KEY',
    },
    problems,
  );
  return tls === null ? null : { main: tls, events: null };
}

function parseMasterMetadata(metadata: Record<string, string>): MasterMetadata | null {
  const kubeEnvText = metadata['kube-env'];
  if (kubeEnvText === undefined) return null;
  let kubeEnv: Record<string, string>;
  try {
    kubeEnv = parseKubeYaml(kubeEnvText);
  } catch {
    return null;
  }
  const problems: string[] = [];
  let masterCerts: Record<string, string> = {};
  const masterCertsText = metadata['kube-master-certs'];
  if (masterCertsText === undefined) {
    problems.push('kube-master-certs missing');
  } else {
    try {
      masterCerts = parseKubeYaml(masterCertsText);
    } catch {
      problems.push('kube-master-certs is not a YAML mapping');
    }
  }

  const quorumRead = kubeEnv[QUORUM_READ_KEY];
  // Without a readable kube-master-certs the layout is unknown: no ETCD_APISERVER_* there is not proof of plain http.
  const etcd = problems.length > 0 ? null : readEtcdAccess(masterCerts, kubeEnv, problems);
  const kube = readKubeCredentials([kubeEnv, masterCerts], problems);
  return {
    isMaster: isTrue(kubeEnv['KUBERNETES_MASTER']),
    settings: {
      multizone: isTrue(kubeEnv['MULTIZONE']),
      quorumReads: quorumRead === undefined ? null : isTrue(quorumRead),
    },
    etcd,
    kube,
    problems,
  };
}
