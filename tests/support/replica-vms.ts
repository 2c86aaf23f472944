// A cluster's replica VMs as Compute lists them, through a Container (so not for Playwright specs: the
// container is server-only). Shared by the integration tests and the benches.
import type { ClusterRef, EtcdClusterName } from '@/lib/core/topology';
import type { InstanceInfo } from '@/lib/ports/compute';
import type { EtcdEndpoint } from '@/lib/ports/etcd-admin';
import type { Container } from '@/lib/server/container';
import { replicaNameRegex } from '@/lib/server/services/observe-cluster';

/** The cluster's replica VMs, by name. */
export async function replicaVms(c: Container, ref: ClusterRef): Promise<InstanceInfo[]> {
  return (await c.compute.listInstances(ref.project, replicaNameRegex(ref.masterName))).sort((a, b) =>
    a.name.localeCompare(b.name),
  );
}

/** The client endpoints of the cluster's etcd `cluster` on its replicas, read from Compute now. */
export async function replicaEtcdEndpoints(
  c: Container,
  ref: ClusterRef,
  cluster: EtcdClusterName,
): Promise<EtcdEndpoint[]> {
  return (await replicaVms(c, ref)).map((r) => c.endpoints.etcd({ ...r, project: ref.project }, cluster));
}
