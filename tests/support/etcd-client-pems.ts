// The etcd client credentials a master carries in its metadata (kube-master-certs as kube-up writes them:
// keys base64 of the PEM, certificates gzip then base64), decoded here independently of the adapters so the
// tests' own etcd clients (etcdctl, the write-safety writer) check what the dashboard claims without sharing
// its parsing. No 'server-only': Playwright specs and tsx benches import it too.
import { gunzipSync } from 'node:zlib';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

export type EtcdClientPems = { ca: string; cert: string; key: string };

function kubeMasterCerts(metadata: Record<string, string>): Record<string, string> {
  return z.record(z.string(), z.string()).parse(parseYaml(metadata['kube-master-certs'] ?? '') ?? {});
}

/**
 * kube-master-certs of an instance -> the etcd-apiserver CA and the API server's etcd client certificate
 * and key, as PEM; null when the master has none of them (the pre-1.16 layout: etcd main is plain http).
 */
export function etcdClientPemsIfAny(metadata: Record<string, string>): EtcdClientPems | null {
  const doc = kubeMasterCerts(metadata);
  if (!doc.ETCD_APISERVER_CA_CERT && !doc.ETCD_APISERVER_CLIENT_CERT && !doc.ETCD_APISERVER_CLIENT_KEY) return null;
  const value = (key: string) => {
    const v = doc[key];
    if (!v) throw new Error(`kube-master-certs has no ${key}`);
    return Buffer.from(v, 'base64');
  };
  // `base64 --decode | gunzip` for the certificates, `base64 --decode` for the key, as configure-helper does.
  const cert = (key: string) => gunzipSync(value(key)).toString('utf8');
  return {
    ca: cert('ETCD_APISERVER_CA_CERT'),
    cert: cert('ETCD_APISERVER_CLIENT_CERT'),
    key: value('ETCD_APISERVER_CLIENT_KEY').toString('utf8'),
  };
}

/** As etcdClientPemsIfAny, for a master that must have them (mutual TLS on etcd main). */
export function etcdClientPems(metadata: Record<string, string>): EtcdClientPems {
  const pems = etcdClientPemsIfAny(metadata);
  if (!pems) throw new Error('kube-master-certs has no ETCD_APISERVER_* (etcd main is plain http on this master)');
  return pems;
}
