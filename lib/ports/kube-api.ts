import type { ApiServerProbe, LeaseView, NodeView } from '@/lib/core/topology';
import type { ReachTarget } from '@/lib/ports/reach';

/**
 * A replica's API server: its port (kube-up: 443) reached through the reach port (an SSH forward) and
 * verified with server name `kubernetes`, which the shared serving cert names (no replica address does).
 */
export type ApiServerEndpoint = { target: ReachTarget; port: number };

/** PEM strings: the cluster CA (CA_CERT) and an admin client cert (KUBECFG_CERT / KUBECFG_KEY in kube-env). */
/**
 * How Quorum signs in to a replica's API server, as kubectl would with kube-up's kubeconfig: the admin client
 * certificate (KUBECFG_CERT/KEY) when the master has it, else the basic admin bearer token (KUBE_BEARER_TOKEN).
 */
export type KubeCredentials = { caCert: string } & (
  { clientCert: string; clientKey: string } | { bearerToken: string }
);

export interface KubeApiPort {
  /**
   * /readyz and /livez of one API server; never rejects. An error starting with `noaccess:` means Quorum
   * could not get to the replica (its SSH access), not that the API server is down.
   */
  probe(server: ApiServerEndpoint, creds: KubeCredentials, timeoutMs: number): Promise<ApiServerProbe>;
  /** Leases of the leader-elected components in kube-system. */
  leases(server: ApiServerEndpoint, creds: KubeCredentials, timeoutMs: number): Promise<LeaseView[]>;
  nodes(server: ApiServerEndpoint, creds: KubeCredentials, timeoutMs: number): Promise<NodeView[]>;
}
