import 'server-only';
import { Etcd3Admin } from '@/lib/adapters/etcd/etcd3-admin';
import { closeGceClients, createGceClients, GceCompute, type GceClients } from '@/lib/adapters/gce/gce-compute';
import { HttpsKubeApi } from '@/lib/adapters/kube/https-kube-api';
import { ComputeBudget, RateLimitedCompute } from '@/lib/adapters/compute-rate-limit';
import type { EtcdClusterName } from '@/lib/core/topology';
import { systemClock, type Clock } from '@/lib/ports/clock';
import type { ComputePort } from '@/lib/ports/compute';
import type { IamPort } from '@/lib/ports/iam';
import { ResourceManagerIam } from '@/lib/adapters/iam/resource-manager-iam';
import { PermissionsPreflight } from '@/lib/server/services/permissions-preflight';
import type { EtcdAdminPort, EtcdEndpoint } from '@/lib/ports/etcd-admin';
import type { ApiServerEndpoint, KubeApiPort } from '@/lib/ports/kube-api';
import type { ReachEndpoint, ReachError, ReachPort, ReachTarget, TrustHostKeyOutcome } from '@/lib/ports/reach';
import { createSshReach } from '@/lib/adapters/reach/create-ssh-reach';
import type { SandboxChaosPort } from '@/lib/ports/sandbox-chaos';
import { HttpSandboxChaos } from '@/lib/adapters/sandbox-chaos/http-sandbox-chaos';
import type { Store } from '@/lib/ports/store';
import { SqliteStore, storePathIn } from '@/lib/adapters/store/sqlite-store';
import { env as processEnv, type Env } from '@/lib/server/env';
import { ensureDataDir } from '@/lib/server/data-dir';
import { ComputeSnapshots } from '@/lib/server/live/compute-snapshots';
import { wakeFeeds } from '@/lib/server/live/feed';
import { feedWatchesReplica } from '@/lib/server/live/feed-keys';
import { FailureTracker } from '@/lib/server/live/failure-tracker';
import { LastObservations } from '@/lib/server/live/last-observations';
import { ProbeLatency } from '@/lib/server/live/probe-latency';

/** etcd client ports of kube-up's two clusters. */
export const ETCD_CLIENT_PORTS: Record<EtcdClusterName, number> = { main: 2379, events: 4002 };
const ETCD_PORTS: ReadonlySet<number> = new Set(Object.values(ETCD_CLIENT_PORTS));
/** A lost connection reads Compute again at most this often per project (one aggregatedList). */
const LOST_REFRESH_MIN_AGE_MS = 1_000;

/** kube-up's API server port (all of a master's addresses; the replicas' own and the load balancer's). */
export const API_SERVER_PORT = 443;

/** The name kube-up's etcd-apiserver server certificate of an instance carries (common.sh generate-etcd-cert). */
export function etcdServerName(instance: string): string {
  return `etcd-${instance}`;
}

/** A replica as Compute describes it: what the reach port needs to get into it (SSH to port 22). */
export type ReplicaAddress = {
  project: string;
  zone: string;
  name: string;
  /** Compute's instance id (host keys are pinned by it). */
  id: string;
  internalIp: string | null;
  externalIp: string | null;
};

export function reachTargetOf(r: ReplicaAddress): ReachTarget {
  return {
    project: r.project,
    zone: r.zone,
    instance: r.name,
    instanceId: r.id,
    internalIp: r.internalIp,
    externalIp: r.externalIp,
  };
}

/**
 * Where a replica's services are, as the adapters dial them: a port on the replica's own loopback reached
 * through SSH (the reach port). Nothing here is an address to connect to: etcd listens on 127.0.0.1 only.
 */
export type Endpoints = {
  /** A replica's etcd member's client port (main 2379, events 4002). */
  etcd(replica: ReplicaAddress, cluster: EtcdClusterName): EtcdEndpoint;
  /** A replica's API server (443). */
  apiServer(replica: ReplicaAddress): ApiServerEndpoint;
  /** Port of the cluster's address (the static IP) on the load balancer, which the dashboard dials directly. */
  loadBalancerPort: number;
};

export const endpoints: Endpoints = {
  etcd: (r, cluster) => ({
    target: reachTargetOf(r),
    port: ETCD_CLIENT_PORTS[cluster],
    serverName: etcdServerName(r.name),
  }),
  apiServer: (r) => ({ target: reachTargetOf(r), port: API_SERVER_PORT }),
  loadBalancerPort: API_SERVER_PORT,
};

export type Container = {
  env: Env;
  /** Compute Engine, every call drawing on its project's budget (`computeBudget`). */
  compute: ComputePort;
  /** Per GCE project, the token buckets Compute calls wait on (QUORUM_COMPUTE_RATE_PER_SECOND, _BURST, _QUOTA_PER_MINUTE, _OPERATION_SHARE). */
  computeBudget: ComputeBudget;
  /** Per project, the Compute state live views share, read every QUORUM_COMPUTE_REFRESH_MS and after every mutation. */
  computeSnapshots: ComputeSnapshots;
  /** Observations read Compute directly instead of from the shared snapshot (planning a change: see forPlanning). */
  freshCompute?: boolean;
  etcd: EtcdAdminPort;
  kube: KubeApiPort;
  /** SSH into the masters (QUORUM_SSH_*): the only way to their etcd and API server. */
  reach: ReachPort;
  clock: Clock;
  endpoints: Endpoints;
  /** Projects whose clusters the fleet lists. */
  projects: string[];
  /** The live probes' deadline now: QUORUM_PROBE_TIMEOUT_MS, raised by the latency `probeLatency` measured. */
  readonly probeTimeoutMs: number;
  /** Recent probe durations, which move the deadline. */
  probeLatency: ProbeLatency;
  /** The last observation of each cluster: first paints, and silence held over once (lib/core/silence.ts). */
  observations: LastObservations;
  /** The sandbox's chaos controls; null with QUORUM_PROVIDER=gce (there is no such thing on Compute Engine). */
  chaos: SandboxChaosPort | null;
  /** Since when each failure has been seen, per cluster (kept in the store across restarts). */
  failures: FailureTracker;
  /** Resource Manager's testIamPermissions, on the same target as Compute. */
  iam: IamPort;
  /** Quorum's own permissions per project, kept and asked again (Settings, changes). */
  permissions: PermissionsPreflight;
  /**
   * The operation journal and audit log: SQLite in QUORUM_DATA_DIR, opened on first use. Observing needs it only for
   * "since" (`failures`), and carries on in memory when it cannot open.
   */
  readonly store: Store;
  close(): Promise<void>;
};

/**
 * QUORUM_FAILPOINT=after-insert-sent (sandbox only, see env.ts): `kill -9` of this very process once Compute accepted an
 * instance insert, before its Operation is read, so the crash test can check that the resumed step makes one instance.
 */
function killAfterInsertSent(context: string): void {
  if (!context.startsWith('instances.insert ')) return;
  console.error(`[compute] QUORUM_FAILPOINT after-insert-sent reached (${context}): killing the server with SIGKILL`);
  process.kill(process.pid, 'SIGKILL');
}

/** Builds a container from an environment. Tests and benches make their own; the app uses `container()`. */
export function createContainer(env: Env): Container {
  const target =
    env.QUORUM_PROVIDER === 'sandbox'
      ? ({ kind: 'sandbox', port: env.SANDBOX_PORT } as const)
      : ({ kind: 'google' } as const);
  const gce: GceClients = createGceClients(target);
  const iam = new ResourceManagerIam(target, env.QUORUM_COMPUTE_TIMEOUT_MS);
  const permissions = new PermissionsPreflight(iam, env.QUORUM_PROJECTS, systemClock);
  const computeBudget = new ComputeBudget(
    {
      ratePerSecond: env.QUORUM_COMPUTE_RATE_PER_SECOND,
      burst: env.QUORUM_COMPUTE_BURST,
      maxWaitMs: env.QUORUM_COMPUTE_TIMEOUT_MS,
      operationShare: env.QUORUM_COMPUTE_OPERATION_SHARE,
      perMinute: env.QUORUM_COMPUTE_QUOTA_PER_MINUTE,
    },
    { projects: env.QUORUM_PROJECTS },
  );
  const probeLatency = new ProbeLatency({
    minMs: env.QUORUM_PROBE_TIMEOUT_MS,
    maxMs: Math.max(env.QUORUM_PROBE_TIMEOUT_MS, env.QUORUM_PROBE_TIMEOUT_MAX_MS),
  });
  let store: SqliteStore | undefined;
  const openStore = (): Store => {
    if (!store) {
      ensureDataDir(env.QUORUM_DATA_DIR);
      store = new SqliteStore(storePathIn(env.QUORUM_DATA_DIR));
    }
    return store;
  };
  const limited = new RateLimitedCompute(
    new GceCompute(
      gce,
      env.QUORUM_COMPUTE_TIMEOUT_MS,
      env.QUORUM_FAILPOINT === 'after-insert-sent' ? { afterSend: killAfterInsertSent } : {},
    ),
    computeBudget,
  );
  const compute: ComputePort = limited;
  const computeSnapshots = new ComputeSnapshots(compute, {
    refreshMs: env.QUORUM_COMPUTE_REFRESH_MS,
    budgetState: (project) => computeBudget.state(project),
  });
  // Quorum's own changes show at once: the next observation of the project reads Compute again.
  limited.onMutation((project) => computeSnapshots.invalidate(project));
  // The same path on the sandbox and on Google: SSH with a key published in instance metadata.
  const reach = new LazyReach(() => {
    ensureDataDir(env.QUORUM_DATA_DIR);
    return createSshReach(
      {
        dataDir: env.QUORUM_DATA_DIR,
        user: env.QUORUM_SSH_USER,
        address: env.QUORUM_SSH_ADDRESS,
        connectTimeoutMs: env.QUORUM_SSH_CONNECT_TIMEOUT_MS,
        keyTtlHours: env.QUORUM_SSH_KEY_TTL_HOURS,
        loginCheckSeconds: env.QUORUM_SSH_LOGIN_CHECK_SECONDS,
      },
      {
        compute,
        store: {
          hostKeyPin: (id) => openStore().hostKeyPin(id),
          pinHostKeyOnce: (pin) => openStore().pinHostKeyOnce(pin),
          replaceHostKeyPin: (expected, pin) => openStore().replaceHostKeyPin(expected, pin),
        },
        // A replica's etcd or sshd closed Quorum's connection (an etcd that died, a VM being stopped): the pages
        // showing it look again now instead of at their next period, and Compute is read again for the VM's status.
        onLost: (target, remotePort) => {
          if (remotePort !== null && !ETCD_PORTS.has(remotePort)) return;
          computeSnapshots.refreshSoon(target.project, LOST_REFRESH_MIN_AGE_MS);
          wakeFeeds((key) => feedWatchesReplica(key, target));
        },
      },
    );
  });
  const etcd = new Etcd3Admin(reach);
  const kube = new HttpsKubeApi(reach);
  return {
    env,
    get store(): Store {
      return openStore();
    },
    compute,
    computeBudget,
    computeSnapshots,
    etcd,
    kube,
    reach,
    clock: systemClock,
    endpoints,
    projects: env.QUORUM_PROJECTS,
    chaos: env.QUORUM_PROVIDER === 'sandbox' ? new HttpSandboxChaos(`http://127.0.0.1:${env.SANDBOX_PORT}`) : null,
    // Saved in the store, so "since" survives a restart; the store opens on a cluster's first observation.
    failures: new FailureTracker({ store: openStore }),
    observations: new LastObservations(),
    iam,
    permissions,
    probeLatency,
    get probeTimeoutMs() {
      return probeLatency.deadlineMs();
    },
    async close() {
      permissions.stop();
      kube.close();
      // Clients first, then the tunnels under them, then what the reach port reads (Compute, pins).
      await etcd.close();
      await reach.close();
      await Promise.all([closeGceClients(gce), store?.close()]);
    },
  };
}

/**
 * The reach port made on first use: Quorum's SSH key is read (or generated) in QUORUM_DATA_DIR only when a
 * replica is first reached, not when a container that never observes is built.
 */
class LazyReach implements ReachPort {
  private made: ReachPort | undefined;
  private closed = false;

  constructor(private readonly make: () => ReachPort) {}

  private get port(): ReachPort {
    if (this.closed) throw new Error('the SSH reach is closed');
    this.made ??= this.make();
    return this.made;
  }

  forward(target: ReachTarget, remotePort: number): Promise<ReachEndpoint> {
    try {
      return this.port.forward(target, remotePort);
    } catch (e) {
      return Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
  }

  lastError(target: Pick<ReachTarget, 'instanceId'>, remotePort: number): ReachError | null {
    return this.made?.lastError(target, remotePort) ?? null;
  }

  trustPresentedHostKey(
    target: ReachTarget,
    seen: { pinnedFingerprint: string; presentedFingerprint: string },
  ): Promise<TrustHostKeyOutcome> {
    try {
      return this.port.trustPresentedHostKey(target, seen);
    } catch (e) {
      return Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
  }

  loginKeyLine(): string {
    return this.port.loginKeyLine();
  }

  async release(target: Pick<ReachTarget, 'instanceId'>): Promise<void> {
    await this.made?.release(target);
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.made?.close();
  }
}

/**
 * The same container with the probe deadline for planning (QUORUM_PLAN_PROBE_TIMEOUT_MS), reading Compute
 * directly: a change is planned on an observation that waits longer for a slow replica than the live view does. Everything else
 * (clients, the lazily opened store) is the original's, through the prototype.
 */
export function forPlanning(c: Container): Container {
  return Object.create(c, {
    probeTimeoutMs: { value: Math.max(c.probeTimeoutMs, c.env.QUORUM_PLAN_PROBE_TIMEOUT_MS), enumerable: true },
    // A plan is made on Compute as it is now, not as the live views' snapshot saw it a few seconds ago.
    freshCompute: { value: true, enumerable: true },
  }) as Container;
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
