import 'server-only';
import { mkdirSync } from 'node:fs';
import { Etcd3Admin } from '@/lib/adapters/etcd/etcd3-admin';
import { closeGceClients, createGceClients, GceCompute, type GceClients } from '@/lib/adapters/gce/gce-compute';
import { ClientNodeKubeApi } from '@/lib/adapters/kube/client-node-kube-api';
import { ComputeBudget, RateLimitedCompute } from '@/lib/adapters/compute-rate-limit';
import type { EtcdClusterName } from '@/lib/core/topology';
import { systemClock, type Clock } from '@/lib/ports/clock';
import type { ComputePort } from '@/lib/ports/compute';
import type { EtcdAdminPort, EtcdEndpoint } from '@/lib/ports/etcd-admin';
import type { KubeApiPort } from '@/lib/ports/kube-api';
import type { SandboxChaosPort } from '@/lib/ports/sandbox-chaos';
import { HttpSandboxChaos } from '@/lib/adapters/sandbox-chaos/http-sandbox-chaos';
import type { Store } from '@/lib/ports/store';
import { SqliteStore, storePathIn } from '@/lib/adapters/store/sqlite-store';
import { ProviderError } from '@/lib/ports/provider-error';
import { env as processEnv, type Env } from '@/lib/server/env';
import { FailureTracker } from '@/lib/server/live/failure-tracker';

/** etcd client ports of kube-up's two clusters. */
export const ETCD_CLIENT_PORTS: Record<EtcdClusterName, number> = { main: 2379, events: 4002 };

export const ETCD_NEEDS_TUNNEL =
  "etcd on Compute Engine listens on each master's loopback only and is reached through an SSH tunnel, which Quorum does not open yet";

/** The name kube-up's etcd-apiserver server certificate of an instance carries (common.sh generate-etcd-cert). */
export function etcdServerName(instance: string): string {
  return `etcd-${instance}`;
}

/** Where a replica's services are reached from this server. */
export type Endpoints = {
  /** A replica's etcd member's client port; throws ProviderError('ProviderUnavailable') where it cannot be reached. */
  etcd(replica: { name: string; internalIp: string }, cluster: EtcdClusterName): EtcdEndpoint;
  /** Base URL of a replica's API server. */
  apiServer(internalIp: string): string;
};

export type Container = {
  env: Env;
  /** Compute Engine, every call drawing on its project's budget (`computeBudget`). */
  compute: ComputePort;
  /** Per GCE project, the token bucket Compute calls wait on (QUORUM_COMPUTE_RATE_PER_SECOND, QUORUM_COMPUTE_BURST). */
  computeBudget: ComputeBudget;
  etcd: EtcdAdminPort;
  kube: KubeApiPort;
  clock: Clock;
  endpoints: Endpoints;
  /** Projects whose clusters the fleet lists. */
  projects: string[];
  probeTimeoutMs: number;
  /** The sandbox's chaos controls; null with QUORUM_PROVIDER=gce (there is no such thing on Compute Engine). */
  chaos: SandboxChaosPort | null;
  /** Since when each failure has been seen, per cluster. */
  failures: FailureTracker;
  /** The operation journal and audit log: SQLite in QUORUM_DATA_DIR, opened on first use (observing needs none). */
  readonly store: Store;
  close(): Promise<void>;
};

/** Builds a container from an environment. Tests and benches make their own; the app uses `container()`. */
export function createContainer(env: Env): Container {
  const gce: GceClients = createGceClients(
    env.QUORUM_PROVIDER === 'sandbox' ? { kind: 'sandbox', port: env.SANDBOX_PORT } : { kind: 'google' },
  );
  const etcd = new Etcd3Admin();
  const kube = new ClientNodeKubeApi();
  const endpoints: Endpoints =
    env.QUORUM_PROVIDER === 'sandbox'
      ? {
          // Sandbox VMs serve etcd's client port on their own internal IP, so it is reached directly.
          etcd: (r, cluster) => ({ address: `${r.internalIp}:${ETCD_CLIENT_PORTS[cluster]}`, serverName: etcdServerName(r.name) }),
          apiServer: (ip) => `https://${ip}:${env.SANDBOX_APISERVER_PORT}`,
        }
      : {
          etcd: () => {
            throw new ProviderError('ProviderUnavailable', ETCD_NEEDS_TUNNEL);
          },
          apiServer: (ip) => `https://${ip}:443`,
        };
  const computeBudget = new ComputeBudget(
    { ratePerSecond: env.QUORUM_COMPUTE_RATE_PER_SECOND, burst: env.QUORUM_COMPUTE_BURST, maxWaitMs: env.QUORUM_COMPUTE_TIMEOUT_MS },
    { projects: env.QUORUM_PROJECTS },
  );
  let store: SqliteStore | undefined;
  return {
    env,
    get store(): Store {
      if (!store) {
        mkdirSync(env.QUORUM_DATA_DIR, { recursive: true });
        store = new SqliteStore(storePathIn(env.QUORUM_DATA_DIR));
      }
      return store;
    },
    compute: new RateLimitedCompute(new GceCompute(gce, env.QUORUM_COMPUTE_TIMEOUT_MS), computeBudget),
    computeBudget,
    etcd,
    kube,
    clock: systemClock,
    endpoints,
    projects: env.QUORUM_PROJECTS,
    chaos: env.QUORUM_PROVIDER === 'sandbox' ? new HttpSandboxChaos(`http://127.0.0.1:${env.SANDBOX_PORT}`) : null,
    failures: new FailureTracker(),
    probeTimeoutMs: env.QUORUM_PROBE_TIMEOUT_MS,
    async close() {
      kube.close();
      await Promise.all([etcd.close(), closeGceClients(gce), store?.close()]);
    },
  };
}

/**
 * The same container with the probe deadline for planning (QUORUM_PLAN_PROBE_TIMEOUT_MS): a change is
 * planned on an observation that waits longer for a slow replica than the live view does. Everything else
 * (clients, the lazily opened store) is the original's, through the prototype.
 */
export function forPlanning(c: Container): Container {
  return Object.create(c, { probeTimeoutMs: { value: Math.max(c.probeTimeoutMs, c.env.QUORUM_PLAN_PROBE_TIMEOUT_MS), enumerable: true } }) as Container;
}

// One container per server process. Kept on globalThis because Next's dev server re-evaluates modules
// on every edit; a module-level variable would leak a fresh set of gRPC/HTTP clients each time.
const KEY = Symbol.for('quorum.server.container');
type Holder = { [KEY]?: Container };

export function container(): Container {
  const holder = globalThis as Holder;
  holder[KEY] ??= createContainer(processEnv);
  return holder[KEY];
}
