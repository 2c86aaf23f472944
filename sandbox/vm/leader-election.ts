// Stands in for the leader election of kube-controller-manager, kube-scheduler and cluster-autoscaler
// on a replica: each component keeps a coordination.k8s.io/v1 Lease in its replica's LOCAL etcd, taken
// and renewed with compare-and-swap transactions, so among running replicas at most one holds it.
// A stopped holder does not release (neither does the real controller-manager): others take over once
// the lease has expired.

import { randomUUID } from 'node:crypto';
import { LEASE_NAMESPACE, LEASE_PREFIX, leaseSchema, microTime, kubeTime, type Lease } from './kube-objects';
import { toStoredObject, type LocalEtcd } from './local-etcd';

const RETRY_PERIOD_MS = 2_000;

export type LeaderElection = {
  stop(): Promise<void>;
};

export function startLeaderElection(opts: {
  etcd: LocalEtcd;
  identity: string;
  leaseDurationS: number;
  components: readonly string[];
  log: (msg: string) => void;
}): LeaderElection {
  const { client } = opts.etcd;
  // Renew at least twice per lease duration, so a short test lease does not lapse between renewals.
  const periodMs = Math.min(RETRY_PERIOD_MS, Math.floor((opts.leaseDurationS * 1000) / 2));
  const loops = opts.components.map((component) => {
    const key = `${LEASE_PREFIX}${component}`;
    let holding = false;
    let failing = false;
    let lastRenewMs = 0;
    let stopped = false;
    let timer: NodeJS.Timeout | undefined;
    let inFlight: Promise<void> = Promise.resolve();

    function newLease(previous: Lease | undefined, now: Date): Lease {
      const transitions = previous?.spec.leaseTransitions ?? 0;
      return {
        kind: 'Lease',
        apiVersion: 'coordination.k8s.io/v1',
        metadata: {
          name: component,
          namespace: LEASE_NAMESPACE,
          uid: previous?.metadata.uid ?? randomUUID(),
          creationTimestamp: previous?.metadata.creationTimestamp ?? kubeTime(now),
        },
        spec: {
          holderIdentity: opts.identity,
          leaseDurationSeconds: opts.leaseDurationS,
          acquireTime: microTime(now),
          renewTime: microTime(now),
          leaseTransitions: previous === undefined ? 0 : transitions + 1,
        },
      };
    }

    async function tick(): Promise<void> {
      const now = new Date();
      const renewedAt = now.getTime();
      const res = await client.get(key).exec();
      const kv = res.kvs[0];
      if (kv === undefined) {
        const txn = await client
          .if(key, 'Create', '==', 0)
          .then(client.put(key).value(JSON.stringify(newLease(undefined, now))))
          .commit();
        setHolding(txn.succeeded, renewedAt);
        return;
      }
      const stored = toStoredObject(kv);
      const parsed = leaseSchema.safeParse(safeJson(stored.value));
      const lease = parsed.success ? parsed.data : undefined;
      let next: Lease | undefined;
      if (lease !== undefined && lease.spec.holderIdentity === opts.identity) {
        next = {
          ...lease,
          metadata: withoutResourceVersion(lease.metadata),
          spec: { ...lease.spec, renewTime: microTime(now), leaseDurationSeconds: opts.leaseDurationS },
        };
      } else if (lease === undefined || leaseExpired(lease, now)) {
        // An unreadable lease is taken over like an expired one, rather than blocking election forever.
        next = newLease(lease, now);
      }
      if (next === undefined) {
        setHolding(false);
        return;
      }
      const txn = await client
        .if(key, 'Mod', '==', stored.modRevision)
        .then(client.put(key).value(JSON.stringify(next)))
        .commit();
      setHolding(txn.succeeded, renewedAt);
    }

    function setHolding(now: boolean, renewedAt = 0): void {
      if (now) lastRenewMs = renewedAt;
      if (now !== holding) opts.log(now ? `became leader of ${component}` : `lost ${component} lease`);
      holding = now;
    }

    function schedule(): void {
      if (stopped) return;
      timer = setTimeout(() => {
        inFlight = tick()
          .then(() => {
            if (failing) opts.log(`leader election for ${component}: etcd answers again`);
            failing = false;
          })
          .catch((err: unknown) => {
            // etcd down or without quorum: keep the loop alive, and log when it starts failing, not every period.
            if (!failing)
              opts.log(`leader election for ${component}: ${err instanceof Error ? err.message : String(err)}`);
            failing = true;
            // A failed renewal is not yet a lost lease (one etcd hiccup must not flip leadership);
            // once the lease has lapsed without renewal, this replica no longer holds it.
            if (holding && Date.now() - lastRenewMs > opts.leaseDurationS * 1000) setHolding(false);
          })
          .finally(schedule);
      }, periodMs);
    }

    // First attempt right away so a fresh cluster gets holders without waiting a period.
    // etcd is usually still starting at this point; the periodic loop logs if failures persist.
    inFlight = tick()
      .catch(() => undefined)
      .finally(schedule);

    return {
      async stop() {
        stopped = true;
        if (timer !== undefined) clearTimeout(timer);
        await inFlight;
      },
    };
  });

  return {
    async stop() {
      await Promise.all(loops.map((l) => l.stop()));
    },
  };
}

function leaseExpired(lease: Lease, now: Date): boolean {
  const renew = Date.parse(lease.spec.renewTime ?? '');
  const duration = lease.spec.leaseDurationSeconds ?? 0;
  if (Number.isNaN(renew)) return true;
  return renew + duration * 1000 < now.getTime();
}

function withoutResourceVersion(metadata: Lease['metadata']): Lease['metadata'] {
  const { resourceVersion: _ignored, ...rest } = metadata;
  return rest;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
