import { gunzipSync, gzipSync } from 'node:zlib';
import type { Pem } from './x509';

// How kube-up writes PEMs into a master's metadata (kube-env / kube-master-certs): the etcd certificates as
// `gzip | base64` (configure-helper reads them with `base64 --decode | gunzip`), every other PEM as plain base64.
// One place for both directions: what Quorum reads from a master and what it writes for a new one must agree.

/** Certificates kube-up writes as `gzip | base64`; every other PEM value is plain base64. */
export const GZIPPED_CERT_KEYS: ReadonlySet<string> = new Set([
  'ETCD_CA_CERT',
  'ETCD_PEER_CERT',
  'ETCD_APISERVER_CA_CERT',
  'ETCD_APISERVER_SERVER_CERT',
  'ETCD_APISERVER_CLIENT_CERT',
]);

export type PemEncoding = 'base64' | 'gzip+base64';

/** The encoding kube-up uses for a metadata key. */
export function encodingOf(key: string): PemEncoding {
  return GZIPPED_CERT_KEYS.has(key) ? 'gzip+base64' : 'base64';
}

/** kube-up's encoding of a PEM under `key`. */
export function encodePemValue(key: string, pem: Pem): string {
  const bytes = Buffer.from(pem, 'utf8');
  return (encodingOf(key) === 'gzip+base64' ? gzipSync(bytes) : bytes).toString('base64');
}

const PEM_BLOCK = /^-----BEGIN [A-Z0-9 ]+-----\r?\n[\s\S]+?\r?\n-----END [A-Z0-9 ]+-----\s*$/;

/**
 * The metadata value under `key` -> PEM, decoded as configure-helper does. null when it is not kube-up's
 * encoding of a PEM block (e.g. plain base64 where gzip is expected: a real master would boot with an empty file).
 */
export function decodePemValue(key: string, value: string): Pem | null {
  const compact = value.replace(/\s+/g, '');
  if (compact === '' || !/^[A-Za-z0-9+/]+={0,2}$/.test(compact)) return null;
  let bytes = Buffer.from(compact, 'base64');
  if (encodingOf(key) === 'gzip+base64') {
    try {
      bytes = gunzipSync(bytes);
    } catch {
      return null;
    }
  }
  const decoded = bytes.toString('utf8').trim();
  return PEM_BLOCK.test(decoded) ? `${decoded}\n` : null;
}
