// The etcd client credentials a master carries in its metadata (kube-master-certs, base64 PEM as kube-up
// writes them), decoded here independently of the adapters so the tests' own etcd clients (etcdctl, the
// write-safety writer) check what the dashboard claims without sharing its parsing. No 'server-only':
// Playwright specs and tsx benches import it too.
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

export type EtcdClientPems = { ca: string; cert: string; key: string };

/** kube-master-certs of an instance -> the etcd CA and the API server's etcd client certificate and key, as PEM. */
export function etcdClientPems(metadata: Record<string, string>): EtcdClientPems {
  const doc = z.record(z.string(), z.string()).parse(parseYaml(metadata['kube-master-certs'] ?? ''));
  const pem = (key: string) => {
    const value = doc[key];
    if (!value) throw new Error(`kube-master-certs has no ${key}`);
    return Buffer.from(value, 'base64').toString('utf8');
  };
  return { ca: pem('ETCD_APISERVER_CA_CERT'), cert: pem('ETCD_APISERVER_CLIENT_CERT'), key: pem('ETCD_APISERVER_CLIENT_KEY') };
}
