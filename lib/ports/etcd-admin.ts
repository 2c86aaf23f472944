import type { EtcdMember, EtcdMemberStatus } from '@/lib/core/topology';

/** PEM strings for etcd's client mutual TLS (ETCD_APISERVER_* in kube-master-certs). */
export type EtcdClientCredentials = { caCert: string; clientCert: string; clientKey: string };

export interface EtcdAdminPort {
  /** Member list through the first endpoint that answers within the timeout; rejects when none does. */
  memberList(endpoints: string[], creds: EtcdClientCredentials, timeoutMs: number): Promise<EtcdMember[]>;
  /** maintenance.status of exactly this endpoint; never rejects: a failure is `{ ok: false }`. */
  status(endpoint: string, creds: EtcdClientCredentials, timeoutMs: number): Promise<EtcdMemberStatus>;
  close(): Promise<void>;
}
