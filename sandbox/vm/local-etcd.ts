// The client a replica's API server and controllers use: their own local etcd main only, like a
// kube-up master (--etcd-servers=https://127.0.0.1:2379).

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
  caCert: string;
  clientCert: string;
  clientKey: string;
  quorumReads: boolean;
}): LocalEtcd {
  const client = new Etcd3({
    hosts: `https://${opts.ip}:${ETCD_CLUSTERS.main.clientPort}`,
    credentials: {
      rootCertificate: Buffer.from(opts.caCert),
      certChain: Buffer.from(opts.clientCert),
      privateKey: Buffer.from(opts.clientKey),
    },
    // A breaker would keep failing calls after etcd came back; each call has its own deadline instead.
    faultHandling: { host: () => noop, global: noop },
    defaultCallOptions: () => ({ deadline: Date.now() + CALL_DEADLINE_MS }),
    dialTimeout: CALL_DEADLINE_MS,
    grpcOptions: {
      // Reconnect quickly once the local etcd is back (grpc's default backoff grows to minutes).
      'grpc.initial_reconnect_backoff_ms': 100,
      'grpc.max_reconnect_backoff_ms': 1_000,
    },
  });
  return { client, quorumReads: opts.quorumReads, close: () => client.close() };
}

/** Decoded key/value with the revision Kubernetes reports as resourceVersion. */
export type StoredObject = { key: string; value: string; modRevision: string };

export function toStoredObject(kv: IKeyValue): StoredObject {
  return { key: kv.key.toString('utf8'), value: kv.value.toString('utf8'), modRevision: String(kv.mod_revision) };
}
