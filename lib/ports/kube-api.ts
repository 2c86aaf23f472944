import type { ApiServerProbe, LeaseView, NodeView } from '@/lib/core/topology';

/** PEM strings: the cluster CA (CA_CERT) and an admin client cert (KUBECFG_CERT / KUBECFG_KEY in kube-env). */
export type KubeCredentials = { caCert: string; clientCert: string; clientKey: string };

export interface KubeApiPort {
  /** /readyz and /livez of one API server; never rejects. */
  probe(server: string, creds: KubeCredentials, timeoutMs: number): Promise<ApiServerProbe>;
  /** Leases of the leader-elected components in kube-system. */
  leases(server: string, creds: KubeCredentials, timeoutMs: number): Promise<LeaseView[]>;
  nodes(server: string, creds: KubeCredentials, timeoutMs: number): Promise<NodeView[]>;
}
