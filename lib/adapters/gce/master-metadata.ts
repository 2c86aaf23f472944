import 'server-only';
import { createHash } from 'node:crypto';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import type { EtcdClientCredentials } from '@/lib/ports/etcd-admin';
import type { KubeCredentials } from '@/lib/ports/kube-api';

// A kube-up master's configuration lives in its instance metadata: `kube-env` and `kube-master-certs`,
// each a YAML mapping written as `KEY: 'value'` lines, certificates and keys base64 of their PEM.
// Everything read here is secret or close to it: it stays on the server, in memory.

export type MasterSettings = { multizone: boolean; quorumReads: boolean };

export type MasterMetadata = {
  /** KUBERNETES_MASTER in kube-env. */
  isMaster: boolean;
  /** MASTER_NAME (or KUBERNETES_MASTER_NAME) in kube-env. */
  masterName: string | null;
  settings: MasterSettings;
  /** ETCD_APISERVER_{CA_CERT,CLIENT_CERT,CLIENT_KEY}; null when any is missing or not PEM. */
  etcdClient: EtcdClientCredentials | null;
  /** CA_CERT, KUBECFG_CERT, KUBECFG_KEY; null when any is missing or not PEM. */
  kube: KubeCredentials | null;
  /** Why a credential set is null, for the operator (never contains a value). */
  problems: string[];
};

/**
 * Keys under which kube-up has carried the quorum-read setting: the operator flag
 * (ENABLE_ETCD_QUORUM_READS in the docs, ENABLE_ETCD_QUORUM_READ in config-default.sh) and the
 * kube-env variable config-default.sh derives from it (ETCD_QUORUM_READ).
 */
export const QUORUM_READ_KEYS = ['ENABLE_ETCD_QUORUM_READS', 'ENABLE_ETCD_QUORUM_READ', 'ETCD_QUORUM_READ'] as const;

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

const PEM_BLOCK = /^-----BEGIN [A-Z0-9 ]+-----\r?\n[\s\S]+?\r?\n-----END [A-Z0-9 ]+-----\s*$/;

/**
 * kube-up writes PEM files base64-encoded on one line; tolerate a value that is PEM already.
 * Returns null when the value decodes to no PEM block.
 */
export function decodePemValue(value: string): string | null {
  const trimmed = value.trim();
  if (trimmed.startsWith('-----BEGIN ')) return PEM_BLOCK.test(trimmed) ? `${trimmed}\n` : null;
  if (!/^[A-Za-z0-9+/=\s]+$/.test(trimmed)) return null;
  const decoded = Buffer.from(trimmed, 'base64').toString('utf8').trim();
  return PEM_BLOCK.test(decoded) ? `${decoded}\n` : null;
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
    const pem = decodePemValue(raw);
    if (pem === null) {
      problems.push(`${label}: ${key} is not base64 of a PEM block`);
      complete = false;
      continue;
    }
    out[field] = pem;
  }
  return complete ? (out as Record<K, string>) : null;
}

/** Just enough of kube-env to tell a master from a node, for fleet discovery (no certificates decoded). */
export function readMasterIdentity(metadata: Record<string, string>): { isMaster: boolean; masterName: string | null } | null {
  const kubeEnvText = metadata['kube-env'];
  if (kubeEnvText === undefined) return null;
  try {
    const kubeEnv = parseKubeYaml(kubeEnvText);
    return {
      isMaster: isTrue(kubeEnv['KUBERNETES_MASTER']),
      masterName: kubeEnv['MASTER_NAME'] || kubeEnv['KUBERNETES_MASTER_NAME'] || null,
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

  const masterName = kubeEnv['MASTER_NAME'] || kubeEnv['KUBERNETES_MASTER_NAME'] || null;
  const quorumReadKey = QUORUM_READ_KEYS.find((k) => kubeEnv[k] !== undefined);
  // kube-up keeps the etcd-apiserver PKI in kube-master-certs and the admin credential in kube-env;
  // look in the other one second, in case a variant of the scripts moved them.
  const etcdClient = readPems(
    'etcd client',
    [masterCerts, kubeEnv],
    { caCert: 'ETCD_APISERVER_CA_CERT', clientCert: 'ETCD_APISERVER_CLIENT_CERT', clientKey: 'ETCD_APISERVER_CLIENT_KEY' },
    problems,
  );
  const kube = readPems(
    'kube client',
    [kubeEnv, masterCerts],
    { caCert: 'CA_CERT', clientCert: 'KUBECFG_CERT', clientKey: 'KUBECFG_KEY' },
    problems,
  );
  return {
    isMaster: isTrue(kubeEnv['KUBERNETES_MASTER']),
    masterName,
    settings: {
      multizone: isTrue(kubeEnv['MULTIZONE']),
      quorumReads: quorumReadKey !== undefined && isTrue(kubeEnv[quorumReadKey]),
    },
    etcdClient,
    kube,
    problems,
  };
}
