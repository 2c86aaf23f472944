// The disaster-recovery runbook for an etcd cluster that has already lost quorum (issue 4). etcd cannot commit a
// membership change then, so Quorum refuses them and shows this instead: who survives, the newest verified
// snapshot, and two hand procedures with every command filled in. Pure: one observation plus the snapshot list.
//
// The commands target a kube-up master on Compute Engine (cluster/gce/gci/configure-helper.sh and
// cluster/gce/manifests/etcd.manifest): etcd runs as a static pod from /etc/kubernetes/manifests, its data lives
// under /var/etcd (a link to the master-pd disk), its client port listens on 127.0.0.1 only, and only etcd main
// requires client certificates (kube-up turns on client mTLS for main, never for events).
import { bindMembersToReplicas, type Assessment, type FindingParams } from './assessment';
import { sortSnapshots, type SnapshotListing } from './backups';
import { formatAge, listOf, memberIdHex, pluralize } from './format';
import { isNoAccessError, isTimeoutError, parseNoAccess } from './probe-errors';
import {
  ETCD_CLUSTERS,
  clusterId,
  type ClusterRef,
  type EtcdClusterName,
  type Replica,
  type Topology,
} from './topology';

/** How kube-up lays out one etcd cluster on a master. */
export type EtcdOnMaster = {
  clientPort: number;
  peerPort: number;
  /** Static pod manifest in /etc/kubernetes/manifests. */
  manifest: string;
  dataDir: string;
  log: string;
  /** Whether the client port asks for the etcd-apiserver client certificate (https) or is plain http. */
  clientTls: boolean;
};

export const KUBE_UP_ETCD: Record<EtcdClusterName, EtcdOnMaster> = {
  main: {
    clientPort: 2379,
    peerPort: 2380,
    manifest: 'etcd.manifest',
    dataDir: '/var/etcd/data',
    log: '/var/log/etcd.log',
    clientTls: true,
  },
  events: {
    clientPort: 4002,
    peerPort: 2381,
    manifest: 'etcd-events.manifest',
    dataDir: '/var/etcd/data-events',
    log: '/var/log/etcd-events.log',
    clientTls: false,
  },
};

const MANIFESTS = '/etc/kubernetes/manifests';
/** kubelet watches MANIFESTS only: a manifest parked one level up stops its pod, and moving it back starts it. */
const PARKED = '/etc/kubernetes';
const ETCD_CLIENT_PKI = '/etc/srv/kubernetes/pki';

/**
 * A sentence of the runbook as the catalog words it (messages/<locale>/recovery.json, `runbook.said.<key>`), with
 * `nested` sentences worded first and given as values of the same names. The English strings beside each stay the
 * record (tests, logs); the page says them in the reader's language from these.
 */
export type Said = { key: string; params: FindingParams; nested?: Record<string, Said> };

function say(key: string, params: FindingParams = {}, nested?: Record<string, Said>): Said {
  return nested ? { key, params, nested } : { key, params };
}

export type RunbookStep = {
  title: string;
  /** Exact and copy-pasteable; null for a step done in Quorum's UI. */
  command: string | null;
  /** Where to run it, what to expect, what to do when it fails. */
  detail: string | null;
  said: { title: Said; detail: Said | null };
};

export type ProcedureKind = 'force-new-cluster' | 'snapshot-restore';

export type RunbookProcedure = {
  kind: ProcedureKind;
  /** 'A. Keep the survivor's data' or 'B. Restore the newest verified snapshot'. */
  title: string;
  /** The replica the procedure rebuilds etcd on. */
  target: string;
  steps: RunbookStep[];
  /** What the procedure loses, in plain words. */
  dataLoss: string;
  /** `dataLoss`, sentence by sentence. */
  dataLossSaid: Said[];
};

export type RunbookMember = {
  /** Replica name; for a member no VM backs, its member name (or peer host). */
  name: string;
  zone: string | null;
  memberId: string | null;
  /** What it reported, when it answered; else null. */
  raftIndex: number | null;
  raftTerm: number | null;
  /** VM running, etcd answered as a voter: it can carry the cluster on. */
  surviving: boolean;
  /** The survivor the procedures use (the highest raft index). */
  chosen: boolean;
  /** Plain words: 'answering', 'VM is STOPPED', 'etcd did not answer in time'... */
  state: string;
  stateSaid: Said;
};

/** A verified, intact snapshot with its age at the observation. */
export type RunbookSnapshot = SnapshotListing & { age: string };

export type LostEtcdCluster = {
  cluster: EtcdClusterName;
  /** 'etcd main has lost quorum: 1 of 3 voters answer, 2 are needed.' */
  summary: string;
  /** Anything special about this etcd cluster worth knowing before choosing. */
  note: string | null;
  /** Survivors first, highest raft index first; then the members that are down, in replica order. */
  members: RunbookMember[];
  survivor: RunbookMember | null;
  /** The newest verified snapshot whose file is intact; null when there is none. */
  snapshot: RunbookSnapshot | null;
  recommended: ProcedureKind | null;
  /** Which procedure to use and why, or why neither can be used. */
  recommendation: string;
  said: { summary: Said; note: Said | null; recommendation: Said };
  /** A: null when no member survives. */
  forceNewCluster: RunbookProcedure | null;
  /** B: null when there is no verified snapshot or no running replica to restore onto. */
  snapshotRestore: RunbookProcedure | null;
};

export type QuorumLostRunbook = {
  cluster: ClusterRef;
  clusterId: string;
  observedAt: string;
  /** main then events; only the ones that lost quorum. */
  lost: LostEtcdCluster[];
  /** Bring the lost members back if at all possible: quorum then returns by itself with nothing lost. */
  tryFirst: RunbookStep[];
  /** Once every lost etcd cluster answers again: put the layout back together with Quorum's wizards. */
  afterwards: RunbookStep[];
  notes: string[];
  notesSaid: Said[];
};

export type QuorumLostRunbookInput = {
  topology: Topology;
  assessment: Assessment;
  snapshots: readonly SnapshotListing[];
  /**
   * Absolute folder of each etcd cluster's snapshot files on the Quorum server (lib/server/backups' snapshotFolder).
   * Without it the copy command names the file relative to Quorum's data directory.
   */
  snapshotFolders?: Partial<Record<EtcdClusterName, string>>;
};

/** The runbook, or null while both etcd clusters have quorum (membership changes are possible then). */
export function quorumLostRunbook(input: QuorumLostRunbookInput): QuorumLostRunbook | null {
  const { topology: t, assessment } = input;
  const lostClusters = ETCD_CLUSTERS.filter((c) => assessment.etcd[c].quorumLost);
  if (lostClusters.length === 0) return null;
  const id = clusterId(t.cluster);
  const observedAt = new Date(t.observedAt);

  const lost = lostClusters.map((cluster): LostEtcdCluster => {
    const q = assessment.etcd[cluster];
    const members = rankedMembers(t, cluster);
    const survivor = members.find((m) => m.chosen) ?? null;
    const newest = sortSnapshots(
      input.snapshots.filter((s) => s.clusterId === id && s.etcdCluster === cluster && s.intact),
    )[0];
    const snapshot: RunbookSnapshot | null = newest ? { ...newest, age: formatAge(newest.takenAt, observedAt) } : null;
    const survivorReplica = survivor ? (t.replicas.find((r) => r.name === survivor.name) ?? null) : null;
    // Without a survivor, a snapshot still needs a running VM to be restored onto.
    const restoreTarget = survivorReplica ?? firstRunningMember(t, cluster, members);
    const fence = (target: string) => fenceSteps(t, assessment, cluster, target, members);
    const forceNewCluster =
      survivor && survivorReplica
        ? forceNewClusterProcedure(t, cluster, survivor, survivorReplica, members, fence)
        : null;
    const snapshotRestore =
      snapshot && restoreTarget
        ? snapshotRestoreProcedure(t, cluster, snapshot, restoreTarget, input.snapshotFolders?.[cluster] ?? null, fence)
        : null;
    const { recommended, recommendation, recommendationSaid } = recommend(
      t,
      cluster,
      survivor,
      snapshot,
      forceNewCluster,
      snapshotRestore,
    );
    return {
      cluster,
      summary: `etcd ${cluster} has lost quorum: ${q.healthyVoters} of ${pluralize(q.voters, 'voter')} ${q.healthyVoters === 1 ? 'answers' : 'answer'}, ${q.quorum} ${q.quorum === 1 ? 'is' : 'are'} needed.`,
      note:
        cluster === 'events'
          ? 'etcd events holds only Kubernetes Events (kept for an hour), so losing some of it costs event history, not cluster state.'
          : null,
      said: {
        summary: say('summary', { cluster, healthy: q.healthyVoters, voters: q.voters, quorum: q.quorum }),
        note: cluster === 'events' ? say('eventsNote') : null,
        recommendation: recommendationSaid,
      },
      members,
      survivor,
      snapshot,
      recommended,
      recommendation,
      forceNewCluster,
      snapshotRestore,
    };
  });

  // No note for members that merely did not answer in time: while they could still make a quorum, quorum is not
  // called lost at all (assessment.ts, quorumLost), so no runbook is offered.
  const notes: string[] = [];
  const notesSaid: Said[] = [];
  const targets = new Set(
    lost
      .flatMap((l) => [l.forceNewCluster?.target, l.snapshotRestore?.target])
      .filter((n): n is string => n !== undefined),
  );
  const [mainLost, eventsLost] = [lost.find((l) => l.cluster === 'main'), lost.find((l) => l.cluster === 'events')];
  if (mainLost?.survivor && eventsLost?.survivor && mainLost.survivor.name !== eventsLost.survivor.name) {
    notes.push(
      `etcd main and etcd events have different survivors (${mainLost.survivor.name} and ${eventsLost.survivor.name}). Keep both replicas until the cluster is whole again, then replace one of them so that every replica runs both etcd clusters again.`,
    );
    notesSaid.push(say('differentSurvivors', { main: mainLost.survivor.name, events: eventsLost.survivor.name }));
  }
  return {
    cluster: t.cluster,
    clusterId: id,
    observedAt: t.observedAt,
    lost,
    tryFirst: tryFirstSteps(t, lost),
    afterwards: afterwardsSteps(t, lost, targets),
    notes,
    notesSaid,
  };
}

// --- members -----------------------------------------------------------------------------------------------------

const TIMED_OUT = 'etcd did not answer in time';

function rankedMembers(t: Topology, cluster: EtcdClusterName): RunbookMember[] {
  const list = t.etcd[cluster].members;
  const bound = list ? bindMembersToReplicas(list, t.replicas, cluster) : null;
  const boundNames = bound ? new Set(bound.values()) : null;
  const rows: RunbookMember[] = [];
  for (const r of t.replicas) {
    const s = r.etcd[cluster];
    // With the member list known, a replica that is no member and runs no etcd here has no part in this.
    if (boundNames && !boundNames.has(r.name) && !s.ok) continue;
    const reported = s.ok
      ? { memberId: s.memberId, raftIndex: s.raftIndex, raftTerm: s.raftTerm }
      : { memberId: memberIdOf(bound, r.name), raftIndex: null, raftTerm: null };
    let state: string;
    let stateSaid: Said;
    let surviving = false;
    if (r.vmStatus !== 'RUNNING') {
      state = `VM is ${r.vmStatus}`;
      stateSaid = say('state.vm', { status: r.vmStatus });
    } else if (!s.ok && isNoAccessError(s.error)) {
      const { reason } = parseNoAccess(s.error);
      state = `unknown: Quorum has no SSH access to it (${reason})`;
      stateSaid = say('state.noAccess', { reason });
    } else if (!s.ok && isTimeoutError(s.error)) {
      state = TIMED_OUT;
      stateSaid = say('state.timedOut');
    } else if (!s.ok) {
      state = `etcd is not answering (${s.error})`;
      stateSaid = say('state.notAnswering', { error: s.error });
    } else if (boundNames && !boundNames.has(r.name)) {
      state = `answers as member ${memberIdHex(s.memberId)}, which is not in the member list`;
      stateSaid = say('state.notInList', { id: memberIdHex(s.memberId) });
    } else if (s.isLearner) {
      state = 'learner: not a voter, its copy may be incomplete';
      stateSaid = say('state.learner');
    } else {
      state = 'answering';
      stateSaid = say('state.answering');
      surviving = true;
    }
    rows.push({ name: r.name, zone: r.zone, ...reported, surviving, chosen: false, state, stateSaid });
  }
  for (const m of list ?? []) {
    if (bound?.has(m.id)) continue;
    rows.push({
      name: m.name || peerHost(m.peerUrls[0]) || `member ${memberIdHex(m.id)}`,
      zone: null,
      memberId: m.id,
      raftIndex: null,
      raftTerm: null,
      surviving: false,
      chosen: false,
      state: 'member with no VM',
      stateSaid: say('state.noVm'),
    });
  }
  const survivors = rows.filter((m) => m.surviving).sort(bySurvival);
  const first = survivors[0];
  if (first) survivors[0] = { ...first, chosen: true };
  return [...survivors, ...rows.filter((m) => !m.surviving)];
}

/** The most up-to-date first: highest raft index, then the higher raft term, then by name. */
function bySurvival(a: RunbookMember, b: RunbookMember): number {
  return (
    (b.raftIndex ?? -1) - (a.raftIndex ?? -1) || (b.raftTerm ?? -1) - (a.raftTerm ?? -1) || a.name.localeCompare(b.name)
  );
}

function memberIdOf(bound: Map<string, string> | null, replica: string): string | null {
  for (const [id, name] of bound ?? []) if (name === replica) return id;
  return null;
}

function peerHost(url: string | undefined): string | null {
  return url ? (/^[a-z]+:\/\/(\[[^\]]+\]|[^:/]+)/i.exec(url)?.[1] ?? null) : null;
}

/** A member's peer URL as etcd knows it; kube-up's `https://<instance name>:<peer port>` when the list is unknown. */
function peerUrlOf(t: Topology, cluster: EtcdClusterName, replica: Replica): string {
  const list = t.etcd[cluster].members;
  if (list) {
    const id = memberIdOf(bindMembersToReplicas(list, t.replicas, cluster), replica.name);
    const url = list.find((m) => m.id === id)?.peerUrls[0];
    if (url) return url;
  }
  return `https://${replica.name}:${KUBE_UP_ETCD[cluster].peerPort}`;
}

function firstRunningMember(t: Topology, cluster: EtcdClusterName, members: readonly RunbookMember[]): Replica | null {
  const names = new Set(members.map((m) => m.name));
  return (
    [...t.replicas]
      .sort((a, b) => a.name.localeCompare(b.name))
      .find((r) => r.vmStatus === 'RUNNING' && names.has(r.name)) ?? null
  );
}

// --- commands ----------------------------------------------------------------------------------------------------

/** `s` as one shell word: as it is when plain, else single-quoted. */
function shellWord(s: string): string {
  return /^[\w@%+=:,./~-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

function onReplica(t: Topology, r: Pick<Replica, 'name' | 'zone'>, command: string): string {
  return `gcloud compute ssh ${r.name} --zone ${r.zone} --project ${t.cluster.project} --command ${shellWord(command)}`;
}

function etcdctl(cluster: EtcdClusterName, args: string): string {
  const e = KUBE_UP_ETCD[cluster];
  const tls = e.clientTls
    ? ` --cacert ${ETCD_CLIENT_PKI}/etcd-apiserver-ca.crt --cert ${ETCD_CLIENT_PKI}/etcd-apiserver-client.crt --key ${ETCD_CLIENT_PKI}/etcd-apiserver-client.key`
    : '';
  return `sudo ETCDCTL_API=3 etcdctl --endpoints ${e.clientTls ? 'https' : 'http'}://127.0.0.1:${e.clientPort}${tls} ${args}`;
}

const parked = (cluster: EtcdClusterName) => `${PARKED}/${KUBE_UP_ETCD[cluster].manifest}.stopped`;
const live = (cluster: EtcdClusterName) => `${MANIFESTS}/${KUBE_UP_ETCD[cluster].manifest}`;

/** Parks the manifest and waits until the peer port is free, i.e. etcd has exited. */
function stopEtcd(cluster: EtcdClusterName): string {
  return `sudo mv ${live(cluster)} ${parked(cluster)} && while ss -ltn | grep -q ":${KUBE_UP_ETCD[cluster].peerPort} "; do sleep 1; done`;
}

function startEtcd(cluster: EtcdClusterName): string {
  return `sudo mv ${parked(cluster)} ${live(cluster)}`;
}

/** The procedures run etcdctl on the replica itself (the client port listens on 127.0.0.1 only). */
function etcdctlThereStep(t: Topology, target: Replica): RunbookStep {
  return {
    title: `Check that etcdctl is on ${target.name}`,
    command: onReplica(t, target, 'sudo ETCDCTL_API=3 etcdctl version'),
    detail: `It must print etcdctl 3.4 or later. kube-up's masters may carry etcdctl only inside the etcd container image: if the command is not found, install the etcdctl of the etcd release the pod runs on ${target.name} before going on.`,
    said: {
      title: say('etcdctlThere', { target: target.name }),
      detail: say('etcdctlThereDetail', { target: target.name }),
    },
  };
}

/** `leastIndex`: the raft index the one member must have at least, when the check expects one. */
function checkStep(t: Topology, cluster: EtcdClusterName, target: Replica, leastIndex: number | null): RunbookStep {
  const expect =
    leastIndex === null
      ? `Expect one member, etcd-${target.name}, as the leader (IS LEADER true).`
      : `Expect one member, etcd-${target.name}, as the leader (IS LEADER true), with a raft index of at least ${leastIndex}.`;
  const log = KUBE_UP_ETCD[cluster].log;
  return {
    title: `Check that etcd ${cluster} answers on ${target.name}`,
    command: onReplica(
      t,
      target,
      `${etcdctl(cluster, 'endpoint status -w table')} && ${etcdctl(cluster, 'member list -w table')}`,
    ),
    detail: `${expect} kubelet needs up to about 30 seconds to start the pod: if the command cannot connect, wait and run it again. If it still fails, read the end of ${log} on ${target.name}.`,
    said: {
      title: say('check', { cluster, target: target.name }),
      detail: say('checkDetail', {
        target: target.name,
        log,
        ...(leastIndex === null ? { expect: 'leader' } : { expect: 'leaderAtIndex', index: String(leastIndex) }),
      }),
    },
  };
}

/** Stop etcd on every other member whose VM still runs, so that nothing can rejoin or serve the old cluster. */
function fenceSteps(
  t: Topology,
  assessment: Assessment,
  cluster: EtcdClusterName,
  target: string,
  members: readonly RunbookMember[],
): RunbookStep[] {
  const other = ETCD_CLUSTERS.find((c) => c !== cluster) ?? cluster;
  return members.flatMap((m) => {
    const r = t.replicas.find((x) => x.name === m.name);
    if (!r || r.name === target || r.vmStatus !== 'RUNNING') return [];
    // Stopping the whole VM also stops its member of the other etcd cluster: offer it only when that costs nothing.
    const otherMatters = other !== cluster && assessment.etcd[other].hasQuorum && r.etcd[other].ok;
    const vmStop = `gcloud compute instances stop ${r.name} --zone ${r.zone} --project ${t.cluster.project}`;
    return [
      {
        title: `Stop etcd ${cluster} on ${r.name}, so that it cannot come back into the old cluster`,
        command: onReplica(t, r, stopEtcd(cluster)),
        detail: otherMatters
          ? `Its VM is running (${m.state}). If ssh does not get through, do not stop the VM without thinking: it also runs a healthy member of etcd ${other}.`
          : `Its VM is running (${m.state}). If ssh does not get through, stop the VM instead: ${vmStop}`,
        said: {
          title: say('fence', { cluster, name: r.name }),
          detail: say(
            'fenceDetail',
            otherMatters ? { variant: 'otherMatters', other } : { variant: 'stopVm', vmStop },
            { state: m.stateSaid },
          ),
        },
      },
    ];
  });
}

// --- procedures --------------------------------------------------------------------------------------------------

type Fence = (target: string) => RunbookStep[];

function forceNewClusterProcedure(
  t: Topology,
  cluster: EtcdClusterName,
  survivor: RunbookMember,
  r: Replica,
  members: readonly RunbookMember[],
  fence: Fence,
): RunbookProcedure {
  const e = KUBE_UP_ETCD[cluster];
  const index = survivor.raftIndex ?? 0;
  const copy = `${e.dataDir}.before-force-new-cluster`;
  const steps: RunbookStep[] = [
    ...fence(r.name),
    etcdctlThereStep(t, r),
    {
      title: `Stop etcd ${cluster} on ${r.name} and keep a copy of its data`,
      command: onReplica(t, r, `${stopEtcd(cluster)} && sudo cp -a ${e.dataDir} ${copy}`),
      detail: `kubelet stops the pod once its manifest leaves ${MANIFESTS}; the command returns when etcd has exited and ${copy} holds a copy of ${e.dataDir}, in case anything below goes wrong.`,
      said: {
        title: say('stopAndCopy', { cluster, target: r.name }),
        detail: say('stopAndCopyDetail', { manifests: MANIFESTS, copy, dataDir: e.dataDir }),
      },
    },
    {
      title: `Start it once with --force-new-cluster`,
      command: onReplica(
        t,
        r,
        `sudo sed -i "s|--data-dir ${e.dataDir} |--data-dir ${e.dataDir} --force-new-cluster |" ${parked(cluster)} && sudo grep -q -- --force-new-cluster ${parked(cluster)} && ${startEtcd(cluster)}`,
      ),
      detail: `etcd keeps ${r.name}'s data and drops every other member from the member list, so ${r.name} alone is a quorum. If the command stops before the move (grep found no flag), the manifest is not kube-up's: add --force-new-cluster after --data-dir ${e.dataDir} in ${parked(cluster)} by hand and move it back to ${MANIFESTS}.`,
      said: {
        title: say('forceStart'),
        detail: say('forceStartDetail', {
          target: r.name,
          dataDir: e.dataDir,
          parked: parked(cluster),
          manifests: MANIFESTS,
        }),
      },
    },
    checkStep(t, cluster, r, index),
    {
      title: `Take --force-new-cluster out again`,
      command: onReplica(t, r, `sudo sed -i "s| --force-new-cluster||" ${live(cluster)}`),
      detail: `Left in, every restart would cut the member list down again. kubelet restarts etcd without it on the same data; run the check above once more.`,
      said: { title: say('forceOff'), detail: say('forceOffDetail') },
    },
  ];
  return {
    kind: 'force-new-cluster',
    title: "A. Keep the survivor's data (--force-new-cluster)",
    target: r.name,
    steps,
    ...forceNewClusterLoss(cluster, survivor, members),
  };
}

function forceNewClusterLoss(
  cluster: EtcdClusterName,
  survivor: RunbookMember,
  members: readonly RunbookMember[],
): { dataLoss: string; dataLossSaid: Said[] } {
  const index = survivor.raftIndex ?? 0;
  const parts = [
    `Only writes that ${survivor.name} had not received are lost: it holds raft index ${index}${survivor.raftTerm !== null ? ` (term ${survivor.raftTerm})` : ''}.`,
  ];
  const said = [
    say('loss.unreceived', {
      survivor: survivor.name,
      index: String(index),
      ...(survivor.raftTerm !== null ? { hasTerm: true, term: String(survivor.raftTerm) } : { hasTerm: false }),
    }),
  ];
  const down = members.filter((m) => !m.surviving);
  const ahead = down.filter((m) => m.raftIndex !== null && m.raftIndex > index);
  for (const m of ahead) {
    const by = (m.raftIndex ?? 0) - index;
    parts.push(
      `${m.name} was last seen at raft index ${m.raftIndex ?? 0}, ${pluralize(by, 'entry', 'entries')} ahead: those are lost.`,
    );
    said.push(say('loss.ahead', { name: m.name, index: String(m.raftIndex ?? 0), by }));
  }
  const unknown = down.filter((m) => m.raftIndex === null).map((m) => m.name);
  if (unknown.length > 0) {
    parts.push(
      `${listOf(unknown)} ${unknown.length === 1 ? 'does' : 'do'} not answer, so how far ahead ${unknown.length === 1 ? 'it was' : 'they were'} is unknown: a write to etcd ${cluster} acknowledged in the last moments before the failure may be gone if only ${unknown.length === 1 ? 'it' : 'they'} had it.`,
    );
    said.push(say('loss.unknown', { names: unknown, count: unknown.length, cluster }));
  } else if (ahead.length === 0) {
    parts.push('No other member was ahead of it, so nothing that was observed is lost.');
    said.push(say('loss.nothingAhead'));
  }
  return { dataLoss: parts.join(' '), dataLossSaid: said };
}

function snapshotRestoreProcedure(
  t: Topology,
  cluster: EtcdClusterName,
  snapshot: RunbookSnapshot,
  r: Replica,
  folder: string | null,
  fence: Fence,
): RunbookProcedure {
  const e = KUBE_UP_ETCD[cluster];
  const id = clusterId(t.cluster);
  const local = folder
    ? `${folder.replace(/\/+$/, '')}/${snapshot.file}`
    : `snapshots/${id}/${cluster}/${snapshot.file}`;
  const remote = `/tmp/${snapshot.file}`;
  const peer = peerUrlOf(t, cluster, r);
  const restored = `${e.dataDir}-restored`;
  const before = `${e.dataDir}.before-restore`;
  const steps: RunbookStep[] = [
    ...fence(r.name),
    etcdctlThereStep(t, r),
    {
      title: `Copy the snapshot to ${r.name}`,
      command: `gcloud compute scp ${shellWord(local)} ${r.name}:/tmp/ --zone ${r.zone} --project ${t.cluster.project}`,
      detail: folder
        ? 'Run it on the Quorum server, where the snapshot is kept.'
        : "Run it on the Quorum server, in Quorum's data directory (QUORUM_DATA_DIR, .quorum by default).",
      said: {
        title: say('copySnapshot', { target: r.name }),
        detail: say('copySnapshotDetail', { where: folder ? 'folder' : 'dataDir' }),
      },
    },
    {
      title: `Restore it into a new data directory on ${r.name}`,
      command: onReplica(
        t,
        r,
        `sudo ETCDCTL_API=3 etcdctl snapshot restore ${shellWord(remote)} --name etcd-${r.name} --initial-cluster etcd-${r.name}=${peer} --initial-advertise-peer-urls ${peer} --data-dir ${restored} && rm -f ${shellWord(remote)}`,
      ),
      detail: `etcdctl checks the snapshot's sha256 while it restores; the copy in /tmp is deleted afterwards because it holds every Secret of the cluster. With etcd 3.6, run etcdutl snapshot restore with the same arguments. If ${restored} is left over from an earlier try, remove it first.`,
      said: { title: say('restore', { target: r.name }), detail: say('restoreDetail', { restored }) },
    },
    {
      title: `Stop etcd ${cluster} on ${r.name}`,
      command: onReplica(t, r, stopEtcd(cluster)),
      detail: `kubelet stops the pod once its manifest leaves ${MANIFESTS}; the command returns when etcd has exited.`,
      said: {
        title: say('stop', { cluster, target: r.name }),
        detail: say('stopDetail', { manifests: MANIFESTS }),
      },
    },
    {
      title: 'Put the restored data in place',
      command: onReplica(
        t,
        r,
        `sudo mv ${e.dataDir} ${before} && sudo mv ${restored} ${e.dataDir} && sudo chown -R --reference=${before} ${e.dataDir}`,
      ),
      detail: `The old data stays in ${before} until the cluster is whole again.`,
      said: { title: say('swap'), detail: say('swapDetail', { before }) },
    },
    {
      title: `Start etcd ${cluster} on ${r.name}`,
      command: onReplica(t, r, startEtcd(cluster)),
      detail: null,
      said: { title: say('start', { cluster, target: r.name }), detail: null },
    },
    checkStep(t, cluster, r, null),
  ];
  return {
    kind: 'snapshot-restore',
    title: 'B. Restore the newest verified snapshot',
    target: r.name,
    steps,
    dataLoss: `Every write to etcd ${cluster} after the snapshot was taken is lost: it holds revision ${snapshot.revision}, taken at ${snapshot.takenAt}, ${snapshot.age} before this observation, so everything written in those ${snapshot.age} is gone.`,
    dataLossSaid: [
      say('loss.snapshot', {
        cluster,
        revision: String(snapshot.revision),
        takenAt: snapshot.takenAt,
        age: snapshot.age,
      }),
    ],
  };
}

function recommend(
  t: Topology,
  cluster: EtcdClusterName,
  survivor: RunbookMember | null,
  snapshot: RunbookSnapshot | null,
  a: RunbookProcedure | null,
  b: RunbookProcedure | null,
): { recommended: ProcedureKind | null; recommendation: string; recommendationSaid: Said } {
  if (a && survivor) {
    if (!snapshot)
      return {
        recommended: a.kind,
        recommendation: `Use A. There is no verified snapshot of etcd ${cluster}, so A is the only way: it keeps ${survivor.name}'s data.`,
        recommendationSaid: say('recommend.onlyA', { cluster, survivor: survivor.name }),
      };
    return {
      recommended: a.kind,
      recommendation: `Use A: ${survivor.name} has the highest raft index (${survivor.raftIndex ?? 0}) and keeps everything it received. Use B only if ${survivor.name}'s data turns out to be damaged: B loses the last ${snapshot.age}.`,
      recommendationSaid: say('recommend.a', {
        survivor: survivor.name,
        index: String(survivor.raftIndex ?? 0),
        age: snapshot.age,
      }),
    };
  }
  if (b)
    return {
      recommended: b.kind,
      recommendation: `Use B. No member of etcd ${cluster} answers as a voter, so the snapshot is all that is left.`,
      recommendationSaid: say('recommend.b', { cluster }),
    };
  if (snapshot) {
    return {
      recommended: null,
      recommendation: `No member of etcd ${cluster} answers and no replica of ${t.cluster.masterName} is running to restore the snapshot onto: start one first (see "Try this first"), then come back to this page.`,
      recommendationSaid: say('recommend.startFirst', { cluster, master: t.cluster.masterName }),
    };
  }
  return {
    recommended: null,
    recommendation: `No member of etcd ${cluster} answers and there is no verified snapshot: only bringing a lost member back (see "Try this first") can recover its data.`,
    recommendationSaid: say('recommend.nothing', { cluster }),
  };
}

// --- before and after --------------------------------------------------------------------------------------------

function tryFirstSteps(t: Topology, lost: readonly LostEtcdCluster[]): RunbookStep[] {
  const steps: RunbookStep[] = [];
  const started = new Set<string>();
  for (const l of lost) {
    for (const m of l.members) {
      if (m.surviving) continue;
      const r = t.replicas.find((x) => x.name === m.name);
      if (!r) continue;
      const where = `--zone ${r.zone} --project ${t.cluster.project}`;
      if (r.vmStatus !== 'RUNNING') {
        if (started.has(r.name)) continue;
        started.add(r.name);
        const resume = r.vmStatus === 'SUSPENDED' || r.vmStatus === 'SUSPENDING';
        const settling = r.vmStatus === 'STOPPING' || r.vmStatus === 'SUSPENDING';
        const until = resume ? 'SUSPENDED' : 'STOPPED';
        steps.push({
          title: `${resume ? 'Resume' : 'Start'} ${r.name} (its VM is ${r.vmStatus})`,
          command: `gcloud compute instances ${resume ? 'resume' : 'start'} ${r.name} ${where}`,
          detail: settling ? `Wait until it is ${until} first.` : null,
          said: {
            title: say('startVm', { verb: resume ? 'resume' : 'start', name: r.name, status: r.vmStatus }),
            detail: settling ? say('startVmDetail', { until }) : null,
          },
        });
      } else if (!r.etcd[l.cluster].ok) {
        steps.push({
          title: `Find out why etcd ${l.cluster} on ${r.name} is not answering (${m.state})`,
          command: onReplica(t, r, `sudo tail -n 50 ${KUBE_UP_ETCD[l.cluster].log}`),
          detail:
            'A full disk, a crash loop or a slow disk shows here. If etcd comes back by itself, quorum returns with nothing lost.',
          said: {
            title: say('why', { cluster: l.cluster, name: r.name }, { state: m.stateSaid }),
            detail: say('whyDetail'),
          },
        });
      }
    }
  }
  return steps;
}

function afterwardsSteps(t: Topology, lost: readonly LostEtcdCluster[], targets: ReadonlySet<string>): RunbookStep[] {
  if (lost.every((l) => l.recommended === null)) return [];
  const others = t.replicas.filter((r) => !targets.has(r.name)).map((r) => r.name);
  if (others.length === 0) return [];
  const which = lost.map((l) => `etcd ${l.cluster}`).join(' and ');
  const steps: RunbookStep[] = [
    {
      title: `Remove ${listOf(others)} with the Remove replica wizard`,
      command: null,
      detail: `Once ${which} ${lost.length === 1 ? 'answers' : 'answer'} again, Quorum accepts membership changes. Their etcd data belongs to the old cluster: do not start them again, remove them.`,
      said: {
        title: say('removeOthers', { names: others }),
        detail: say('removeOthersDetail', { clusters: lost.map((l) => `etcd ${l.cluster}`), count: lost.length }),
      },
    },
  ];
  steps.push({
    title: `Add replicas with the Add replica wizard until ${t.cluster.masterName} has ${pluralize(t.replicas.length, 'replica')} again`,
    command: null,
    detail: 'One at a time, each in a different zone. Each new replica copies the recovered data from etcd.',
    said: {
      title: say('addBack', { master: t.cluster.masterName, count: t.replicas.length }),
      detail: say('addBackDetail'),
    },
  });
  return steps;
}
