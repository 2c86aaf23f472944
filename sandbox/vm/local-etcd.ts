// The client a replica's API server and controllers use: their own local etcd main only, like a
// kube-up master (--etcd-servers=https://127.0.0.1:2379, or http:// in the legacy layout).

import { Etcd3, type IKeyValue } from 'etcd3';
import { noop } from 'cockatiel';
import { ETCD_CLUSTERS } from './etcd-process';

const CALL_DEADLINE_MS = 1_500;

export type LocalEtcd = {
  client: Etcd3;
  /** Reads go through the leader (linearizable) when kube-env asks for quorum reads, else member-local. */
  quorumReads: boolean;
  close(): void;
};

export function createLocalEtcd(opts: {
  ip: string;
  /** The instance: its etcd's server certificate names `etcd-<instance>` and 127.0.0.1, not the VM's IP. */
  instance: string;
  /** Mutual TLS (ETCD_APISERVER_CA_CERT and the client cert), or null for plain http (legacy layout). */
  tls: { caCert: string; clientCert: string; clientKey: string } | null;
  quorumReads: boolean;
}): LocalEtcd {
  const { tls } = opts;
  const client = new Etcd3({
    hosts: `${tls ? 'https' : 'http'}://${opts.ip}:${ETCD_CLUSTERS.main.clientPort}`,
    ...(tls
      ? {
          credentials: {
            rootCertificate: Buffer.from(tls.caCert),
            certChain: Buffer.from(tls.clientCert),
            privateKey: Buffer.from(tls.clientKey),
          },
        }
      : {}),
    // A breaker would keep failing calls after etcd came back; each call has its own deadline instead.
    faultHandling: { host: () => noop, global: noop },
    defaultCallOptions: () => ({ deadline: Date.now() + CALL_DEADLINE_MS }),
    dialTimeout: CALL_DEADLINE_MS,
    grpcOptions: {
      // Reconnect quickly once the local etcd is back (grpc's default backoff grows to minutes).
      'grpc.initial_reconnect_backoff_ms': 100,
      'grpc.max_reconnect_backoff_ms': 1_000,
      ...(tls ? { 'grpc.ssl_target_name_override': `etcd-${opts.instance}` } : {}),
    },
  });
  return { client, quorumReads: opts.quorumReads, close: () => client.close() };
}

/** Decoded key/value with the revision Kubernetes reports as resourceVersion. */
export type StoredObject = { key: string; value: string; modRevision: string };

export function toStoredObject(kv: IKeyValue): StoredObject {
  return { key: kv.key.toString('utf8'), value: kv.value.toString('utf8'), modRevision: String(kv.mod_revision) };
}
