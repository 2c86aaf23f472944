// Silence is not an answer: a probe that times out once says nothing new about a replica that answered the
// observation before. Such a change needs the silence twice in a row; until then the previous answer is held over
// (and said to be). Answers (a refusal, a stopped VM, etcd reporting no leader) always count at once, but for one:
// an API server that fails its probe (not ready, reset, refused) while both etcd members of the same VM answer
// Quorum, through the same SSH connection, is held over once too. Its readiness check gives up on a slow etcd after
// 2 s (kube-apiserver's --etcd-readycheck-timeout) and a busy host resets connections, so under load it flaps;
// Kubernetes' own probes want several failures in a row (failureThreshold) for the same reason. An API server that
// is really down reads so one observation later (about a second on a live page).
import { isNoAccessError, isTimeoutError } from './probe-errors';
import { ETCD_CLUSTERS, type EtcdClusterName, type Replica, type Topology } from './topology';

/** A probe whose previous answer stands in for one silent observation: `etcd main` of a replica, or the member list. */
export type HeldProbe = { replica: string | null; probe: HeldProbeName };
export type HeldProbeName =
  `etcd ${EtcdClusterName}` | 'etcd main peers' | 'API server' | `member list ${EtcdClusterName}` | 'leases and nodes';

/** How old an observation may be and still stand in for a silent one (a page opened after an hour learns nothing from it). */
export const HOLD_OVER_MAX_AGE_MS = 10 * 60_000;

const timedOut = (error: string | null | undefined): boolean => typeof error === 'string' && isTimeoutError(error);

/**
 * `current` with every probe that timed out now but answered in `previous` replaced by that answer, and the list of
 * them. A probe already held over in `previous` (`previousHeld`) is not held again: the second silence in a row counts.
 * Only replicas that are RUNNING in both observations are held over: a VM state is Compute's answer, never silence.
 */
export function holdOverSilence(
  previous: { topology: Topology; held: readonly HeldProbe[] } | null,
  current: Topology,
  maxAgeMs = HOLD_OVER_MAX_AGE_MS,
): { topology: Topology; held: HeldProbe[] } {
  if (!previous) return { topology: current, held: [] };
  const age = Date.parse(current.observedAt) - Date.parse(previous.topology.observedAt);
  if (!(age >= 0 && age <= maxAgeMs)) return { topology: current, held: [] };
  const wasHeld = (replica: string | null, probe: HeldProbeName) =>
    previous.held.some((h) => h.replica === replica && h.probe === probe);
  const held: HeldProbe[] = [];
  const hold = (replica: string | null, probe: HeldProbeName): boolean => {
    if (wasHeld(replica, probe)) return false;
    held.push({ replica, probe });
    return true;
  };
  const before = new Map(previous.topology.replicas.map((r) => [r.name, r]));
  const replicas = current.replicas.map((r): Replica => {
    const p = before.get(r.name);
    if (!p || r.vmStatus !== 'RUNNING' || p.vmStatus !== 'RUNNING' || r.internalIp !== p.internalIp) return r;
    let next = r;
    for (const cluster of ETCD_CLUSTERS) {
      const now = r.etcd[cluster];
      const then = p.etcd[cluster];
      if (!now.ok && timedOut(now.error) && then.ok && hold(r.name, `etcd ${cluster}`))
        next = { ...next, etcd: { ...next.etcd, [cluster]: then } };
    }
    const peersNow = r.etcdPeers?.main;
    const peersThen = p.etcdPeers?.main;
    if (peersNow && !peersNow.ok && timedOut(peersNow.error) && peersThen?.ok && hold(r.name, 'etcd main peers')) {
      next = { ...next, etcdPeers: { ...next.etcdPeers, main: peersThen } };
    }
    const apiSilent = r.apiServer.ready === null && timedOut(r.apiServer.error);
    const apiFlapping =
      r.apiServer.ready !== true &&
      r.etcd.main.ok &&
      r.etcd.events.ok &&
      !(r.apiServer.ready === null && isNoAccessError(r.apiServer.error));
    if ((apiSilent || apiFlapping) && p.apiServer.ready === true && hold(r.name, 'API server')) {
      next = { ...next, apiServer: p.apiServer };
    }
    return next;
  });
  let etcd = current.etcd;
  for (const cluster of ETCD_CLUSTERS) {
    const now = current.etcd[cluster];
    const then = previous.topology.etcd[cluster];
    if (now.members === null && timedOut(now.error) && then.members !== null && hold(null, `member list ${cluster}`)) {
      etcd = { ...etcd, [cluster]: then };
    }
  }
  // Leases and nodes come from whichever API server answers: when they went missing with an API server silent, the
  // last ones stand in once.
  const apiSilent = current.replicas.some((r) => r.apiServer.ready === null && timedOut(r.apiServer.error));
  const lostKube =
    current.leases === null &&
    current.nodes === null &&
    (previous.topology.leases !== null || previous.topology.nodes !== null);
  const kube =
    apiSilent && lostKube && hold(null, 'leases and nodes')
      ? { leases: previous.topology.leases, nodes: previous.topology.nodes }
      : {};
  if (held.length === 0) return { topology: current, held };
  return { topology: { ...current, replicas, etcd, ...kube }, held };
}
