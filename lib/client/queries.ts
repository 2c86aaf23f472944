// Query keys and options shared by the server prefetch (pages) and the client hooks. The cluster id is
// first in every cluster key, so everything about one cluster can be invalidated at once.
import { queryOptions } from '@tanstack/react-query';
import type { OperationView } from '@/lib/core/operation-view';
import type { ClusterView, FleetView } from '@/lib/core/view';

export const queryKeys = {
  fleet: () => ['fleet'] as const,
  cluster: (id: string) => ['cluster', id] as const,
  clusterView: (id: string) => ['cluster', id, 'view'] as const,
  /** The sandbox's injected faults, as the chaos panel of this cluster shows them. */
  chaos: (id: string) => ['cluster', id, 'chaos'] as const,
  operation: (clusterId: string, opId: string) => ['cluster', clusterId, 'operation', opId] as const,
};

export class FetchError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

async function fetchJson<T>(url: string): Promise<T> {
  const response = await fetch(url, { cache: 'no-store' });
  if (!response.ok) {
    const body: unknown = await response.json().catch(() => null);
    const message =
      typeof body === 'object' && body !== null && 'message' in body && typeof body.message === 'string'
        ? body.message
        : response.statusText;
    throw new FetchError(response.status, message);
  }
  return (await response.json()) as T;
}

/** While the live stream is down, fall back to polling at this period. */
export const FALLBACK_POLL_MS = 2_000;

export const fleetQuery = () =>
  queryOptions({
    queryKey: queryKeys.fleet(),
    queryFn: () => fetchJson<FleetView>('/api/fleet'),
    staleTime: 5_000,
  });

export const clusterViewQuery = (id: string) =>
  queryOptions({
    queryKey: queryKeys.clusterView(id),
    queryFn: () => fetchJson<ClusterView>(`/api/clusters/${encodeURIComponent(id)}`),
    staleTime: 5_000,
  });

export const operationQuery = (clusterId: string, opId: string) =>
  queryOptions({
    queryKey: queryKeys.operation(clusterId, opId),
    queryFn: () => fetchJson<OperationView>(`/api/operations/${encodeURIComponent(opId)}`),
    staleTime: 2_000,
  });

export const liveUrls = {
  operation: (opId: string) => `/api/operations/${encodeURIComponent(opId)}/events`,
  fleet: () => '/api/fleet/events',
  cluster: (id: string) => `/api/clusters/${encodeURIComponent(id)}/events`,
};

/** Pages a finding's action or a failed replica's card leads to. */
export const recoveryUrls = {
  recover: (clusterId: string, replica: string) =>
    `/clusters/${encodeURIComponent(clusterId)}/recover?replica=${encodeURIComponent(replica)}`,
  rebalance: (clusterId: string, zone: string) =>
    `/clusters/${encodeURIComponent(clusterId)}/recover?rebalance=${encodeURIComponent(zone)}`,
};
