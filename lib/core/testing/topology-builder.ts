// Builds Topology values for tests (core, UI, services) from a few lines of spec, so a test says what is
// special about its cluster and nothing else. Everything is deterministic: names, IPs, member ids, times.
//
//   buildTopology(prodSpec())                                          // healthy prod: 3 replicas in b, c, d
//   buildTopology({ ...prodSpec(), replicas: [{ zone: 'b' }, { zone: 'c', vmStatus: 'STOPPED' }, { zone: 'd' }] })
//   withReplica(buildTopology(prodSpec()), 'prod-master-c02', { vmStatus: 'STOPPED' })
//
// Replica names are `<master>-<zone letter><2-digit position>` (prod-master-b01), which kube-up's name regex
// accepts. Internal IPs are 10.0.0.<position+1>, external 34.0.0.<position+1>, the static address 35.0.0.1.
// Member ids are decimal: main 1001, 1002..., events 2001, 2002...; extra members 1901... and 2901...
import { timeoutError } from '../assessment';
import { noAccessError } from '../probe-errors';
import { reachWhyText } from '../reach-why';
import {
  ETCD_CLUSTERS,
  LEADER_ELECTED_COMPONENTS,
  type ApiServerProbe,
  type EtcdClusterName,
  type EtcdClusterView,
  type EtcdMember,
  type EtcdMemberStatus,
  type LeaderElectedComponent,
  type LeaseView,
  type Replica,
  type Topology,
  type VmStatus,
} from '../topology';
import { quorumOf } from '../quorum';

export const OBSERVED_AT = '2026-01-10T12:00:00.000Z';
/** `now` matching OBSERVED_AT, for assessTopology. */
export const NOW = new Date(OBSERVED_AT);
export const STATIC_IP = '35.0.0.1';
/** The load balancer's address when the static one is not on it. */
export const OTHER_LB_IP = '34.0.0.200';

/** How an etcd member answers a status call: ok, refuses the connection, or does not answer in time. */
/** `noaccess`: Quorum could not get into the VM over SSH (its key refused, here); `ssh-silent`: its port 22 did not answer. */
export type ProbeSpec = 'ok' | 'refused' | 'timeout' | 'noaccess' | 'ssh-silent';
export type ApiServerSpec = 'ready' | 'not-ready' | 'refused' | 'timeout' | 'noaccess' | 'ssh-silent';

export type ReplicaSpec = {
  /** A zone letter of the cluster's region ('b') or a full zone name ('us-east1-b'). */
  zone: string;
  name?: string;
  /** Default RUNNING. A replica that is not RUNNING answers nothing (connection refused). */
  vmStatus?: VmStatus;
  /** Both etcd clusters at once; `main` and `events` override it. Default 'ok'. */
  etcd?: ProbeSpec;
  main?: ProbeSpec;
  events?: ProbeSpec;
  /** Default: ready when etcd main answers, timeout when it times out, not ready otherwise. */
  apiServer?: ApiServerSpec;
  /** Its members are learners (an add in progress). */
  learner?: boolean;
  /** Which etcd clusters list it as a member. Default both. A replica that is no member runs no etcd there. */
  memberOf?: readonly EtcdClusterName[];
};

/** An etcd member no replica of the spec runs (a VM deleted without removing its member, an interrupted add). */
export type ExtraMemberSpec = {
  /** '' for a member added but never started. */
  name: string;
  clusters?: readonly EtcdClusterName[];
  isLearner?: boolean;
  /** Host of its peer URL; default 10.0.0.<99 - index>. */
  peerHost?: string;
};

export type TopologySpec = {
  project?: string;
  region?: string;
  masterName?: string;
  /** Default: the zones the sandbox seeds for known regions (europe-west1: b c d; us-central1: a b c f). */
  regionZones?: string[];
  replicas: ReplicaSpec[];
  extraMembers?: ExtraMemberSpec[];
  /** Forwarding rule and target pool (with every replica). Default: more than one replica. */
  loadBalancer?: boolean;
  /** Where the static address is: on the load balancer if any, else the first replica ('auto'); absent; on a replica. */
  staticAddress?: 'auto' | 'none' | { onReplica: string };
  /** null: no replica's kube-env was readable. Default true. */
  quorumReads?: boolean | null;
  /** Current kube-up's kube-env, which has no quorum-read setting (settings.quorumReads null). */
  noQuorumReadSetting?: boolean;
  /** What every member reports as its etcd version. Default 3.4.23. */
  etcdVersion?: string;
  /** 'auto': all three leases held by the etcd main leader's replica, renewed 2 s before the observation. */
  leases?: 'auto' | LeaseView[] | null;
  observedAt?: string;
};

const KNOWN_REGION_ZONES: Record<string, string[]> = {
  'europe-west1': ['b', 'c', 'd'],
  'us-central1': ['a', 'b', 'c', 'f'],
  'us-east1': ['b', 'c', 'd'],
};

/** The seeded prod cluster: prod-master in europe-west1, one replica in each of b, c, d, quorum reads on. */
export function prodSpec(overrides: Partial<TopologySpec> = {}): TopologySpec {
  return {
    region: 'europe-west1',
    masterName: 'prod-master',
    replicas: [{ zone: 'b' }, { zone: 'c' }, { zone: 'd' }],
    quorumReads: true,
    ...overrides,
  };
}

/** The seeded staging cluster: one replica in us-central1-b holding its static address, quorum reads off. */
export function stagingSpec(overrides: Partial<TopologySpec> = {}): TopologySpec {
  return {
    region: 'us-central1',
    masterName: 'staging-master',
    replicas: [{ zone: 'b' }],
    quorumReads: false,
    ...overrides,
  };
}

/** A Lease as the API server returns it: held by `<replica>_<uuid>`, renewed `renewedSecondsAgo` before `at`. */
export function leaseOf(
  component: LeaderElectedComponent,
  holder: string | null,
  opts: { renewedSecondsAgo?: number; durationSeconds?: number; at?: string } = {},
): LeaseView {
  const at = Date.parse(opts.at ?? OBSERVED_AT);
  return {
    component,
    holderIdentity:
      holder === null
        ? null
        : holder === ''
          ? ''
          : `${holder}_0c9a1e52-7d4b-4f0e-9d7e-${component.length.toString().padStart(12, '0')}`,
    renewTime: new Date(at - (opts.renewedSecondsAgo ?? 2) * 1000).toISOString(),
    leaseDurationSeconds: opts.durationSeconds ?? 15,
  };
}

/** A copy of `t` with one replica changed. */
export function withReplica(t: Topology, name: string, patch: Partial<Replica> | ((r: Replica) => Replica)): Topology {
  if (!t.replicas.some((r) => r.name === name)) throw new Error(`withReplica: no replica ${name}`);
  return {
    ...t,
    replicas: t.replicas.map((r) =>
      r.name !== name ? r : typeof patch === 'function' ? patch(r) : { ...r, ...patch },
    ),
  };
}

/** What the adapters report when sshd refuses Quorum's key: the same for every probe of the replica. */
const NO_ACCESS = (ip: string) =>
  noAccessError(
    reachWhyText('keyRefused', { address: ip, error: 'All configured authentication methods failed' }),
    'SshAuthRefused',
  );
const SSH_SILENT = (ip: string) => noAccessError(reachWhyText('noAnswer', { address: ip, ms: 3000 }), 'SshUnreachable');

const PORTS: Record<EtcdClusterName, { client: number; peer: number; idBase: number }> = {
  main: { client: 2379, peer: 2380, idBase: 1000 },
  events: { client: 4002, peer: 2381, idBase: 2000 },
};

type Planned = {
  spec: ReplicaSpec;
  name: string;
  zone: string;
  internalIp: string;
  vmStatus: VmStatus;
  probe: Record<EtcdClusterName, ProbeSpec>;
  memberOf: Set<EtcdClusterName>;
  ids: Record<EtcdClusterName, string>;
};

export function buildTopology(spec: TopologySpec): Topology {
  const project = spec.project ?? 'sandbox-project';
  const region = spec.region ?? 'europe-west1';
  const masterName = spec.masterName ?? 'prod-master';
  const observedAt = spec.observedAt ?? OBSERVED_AT;
  const regionZones = spec.regionZones ?? (KNOWN_REGION_ZONES[region] ?? ['a', 'b', 'c']).map((z) => `${region}-${z}`);
  const fullZone = (z: string) => (z.includes('-') ? z : `${region}-${z}`);

  const planned: Planned[] = spec.replicas.map((r, i) => {
    const zone = fullZone(r.zone);
    const vmStatus = r.vmStatus ?? 'RUNNING';
    const answer = (p: ProbeSpec | undefined): ProbeSpec =>
      vmStatus !== 'RUNNING' ? 'refused' : (p ?? r.etcd ?? 'ok');
    const memberOf = new Set(r.memberOf ?? ETCD_CLUSTERS);
    return {
      spec: r,
      name: r.name ?? `${masterName}-${zone.slice(-1)}${String(i + 1).padStart(2, '0')}`,
      zone,
      internalIp: `10.0.0.${i + 2}`,
      vmStatus,
      // A replica that is no member of a cluster runs no etcd for it.
      probe: {
        main: memberOf.has('main') ? answer(r.main) : 'refused',
        events: memberOf.has('events') ? answer(r.events) : 'refused',
      },
      memberOf,
      ids: { main: String(PORTS.main.idBase + i + 1), events: String(PORTS.events.idBase + i + 1) },
    };
  });
  const extras = (spec.extraMembers ?? []).map((m, j) => ({
    ...m,
    clusters: new Set(m.clusters ?? ETCD_CLUSTERS),
    peerHost: m.peerHost ?? `10.0.0.${99 - j}`,
    ids: { main: String(PORTS.main.idBase + 900 + j + 1), events: String(PORTS.events.idBase + 900 + j + 1) },
  }));

  // The leader, per cluster: the first answering voter, if the answering voters make a quorum.
  const leaderOf = (cluster: EtcdClusterName): string => {
    const voters =
      planned.filter((p) => p.memberOf.has(cluster) && !p.spec.learner).length +
      extras.filter((e) => e.clusters.has(cluster) && !e.isLearner).length;
    const answering = planned.filter((p) => p.memberOf.has(cluster) && !p.spec.learner && p.probe[cluster] === 'ok');
    return answering.length >= quorumOf(voters) && answering[0] ? answering[0].ids[cluster] : '0';
  };
  const leaders: Record<EtcdClusterName, string> = { main: leaderOf('main'), events: leaderOf('events') };

  const statusOf = (p: Planned, cluster: EtcdClusterName): EtcdMemberStatus => {
    const where = `${p.internalIp}:${PORTS[cluster].client}`;
    switch (p.probe[cluster]) {
      case 'ok':
        return {
          ok: true,
          memberId: p.ids[cluster],
          leaderId: leaders[cluster],
          raftIndex: 1000,
          raftTerm: 3,
          dbSize: 20480,
          isLearner: p.spec.learner ?? false,
          version: spec.etcdVersion ?? '3.4.23',
        };
      case 'refused':
        return { ok: false, error: `connect ECONNREFUSED ${where}` };
      case 'timeout':
        return { ok: false, error: timeoutError(`no answer from ${where} within 1500 ms`) };
      case 'noaccess':
        return { ok: false, error: NO_ACCESS(p.internalIp) };
      case 'ssh-silent':
        return { ok: false, error: SSH_SILENT(p.internalIp) };
    }
  };
  const apiOf = (p: Planned): ApiServerProbe => {
    const spec: ApiServerSpec =
      p.vmStatus !== 'RUNNING'
        ? 'refused'
        : (p.spec.apiServer ??
          (p.probe.main === 'ok'
            ? 'ready'
            : p.probe.main === 'timeout' || p.probe.main === 'noaccess' || p.probe.main === 'ssh-silent'
              ? p.probe.main
              : 'not-ready'));
    switch (spec) {
      case 'ready':
        return { ready: true, live: true };
      case 'not-ready':
        return { ready: false, live: true };
      case 'refused':
        return { ready: null, live: null, error: `connect ECONNREFUSED ${p.internalIp}:443` };
      case 'timeout':
        return { ready: null, live: null, error: timeoutError(`no answer from ${p.internalIp}:443 within 1500 ms`) };
      case 'noaccess':
        return { ready: null, live: null, error: NO_ACCESS(p.internalIp) };
      case 'ssh-silent':
        return { ready: null, live: null, error: SSH_SILENT(p.internalIp) };
    }
  };

  const loadBalancer = spec.loadBalancer ?? planned.length > 1;
  const staticSpec = spec.staticAddress ?? 'auto';
  const staticOnReplica =
    typeof staticSpec === 'object'
      ? staticSpec.onReplica
      : staticSpec === 'auto' && !loadBalancer
        ? (planned[0]?.name ?? null)
        : null;
  const staticOnLb = staticSpec === 'auto' && loadBalancer;

  const replicas: Replica[] = planned.map((p, i) => ({
    name: p.name,
    zone: p.zone,
    internalIp: p.internalIp,
    externalIp: p.name === staticOnReplica ? STATIC_IP : `34.0.0.${i + 2}`,
    vmStatus: p.vmStatus,
    etcd: { main: statusOf(p, 'main'), events: statusOf(p, 'events') },
    apiServer: apiOf(p),
  }));

  const clusterView = (cluster: EtcdClusterName): EtcdClusterView => {
    if (!planned.some((p) => p.probe[cluster] === 'ok'))
      return { members: null, error: timeoutError('no etcd member answered the member list') };
    const { peer, client } = PORTS[cluster];
    const members: EtcdMember[] = [
      ...planned
        .filter((p) => p.memberOf.has(cluster))
        .map((p) => ({
          id: p.ids[cluster],
          name: `etcd-${p.name}`,
          peerUrls: [`https://${p.internalIp}:${peer}`],
          clientUrls: [`https://${p.internalIp}:${client}`],
          isLearner: p.spec.learner ?? false,
        })),
      ...extras
        .filter((e) => e.clusters.has(cluster))
        .map((e) => ({
          id: e.ids[cluster],
          name: e.name,
          peerUrls: [`https://${e.peerHost}:${peer}`],
          clientUrls: e.name === '' ? [] : [`https://${e.peerHost}:${client}`],
          isLearner: e.isLearner ?? false,
        })),
    ];
    return { members, error: null };
  };

  const poolUrl = (p: Planned) =>
    `https://www.googleapis.com/compute/v1/projects/${project}/zones/${p.zone}/instances/${p.name}`;
  const leaseHolder = planned.find((p) => p.ids.main === leaders.main)?.name ?? planned[0]?.name ?? null;

  return {
    cluster: { project, region, masterName },
    observedAt,
    regionZones,
    replicas,
    etcd: { main: clusterView('main'), events: clusterView('events') },
    forwardingRule: loadBalancer
      ? {
          name: masterName,
          ipAddress: staticOnLb ? STATIC_IP : OTHER_LB_IP,
          portRange: '443-443',
          target: `https://www.googleapis.com/compute/v1/projects/${project}/regions/${region}/targetPools/${masterName}`,
        }
      : null,
    targetPool: loadBalancer ? { name: masterName, instances: planned.map(poolUrl) } : null,
    staticAddress:
      staticSpec === 'none' || (!staticOnLb && staticOnReplica === null)
        ? null
        : {
            name: `${masterName}-ip`,
            address: STATIC_IP,
            status: 'IN_USE',
            users: [staticOnLb ? masterName : (staticOnReplica ?? '')],
          },
    settings:
      spec.quorumReads === null
        ? null
        : { multizone: true, quorumReads: spec.noQuorumReadSetting ? null : (spec.quorumReads ?? true) },
    leases:
      spec.leases === undefined || spec.leases === 'auto'
        ? LEADER_ELECTED_COMPONENTS.map((c) => leaseOf(c, leaseHolder, { at: observedAt }))
        : spec.leases,
    nodes: regionZones.map((zone) => ({
      name: `${masterName.replace(/-master$/, '')}-minion-${zone.slice(-1)}`,
      zone,
      ready: true,
    })),
  };
}

/**
 * Gives every replica whose etcd `cluster` answered a peer report (Replica.etcdPeers): it sees every other
 * answering member of the list except those of `cut` pairs (replica names), as etcd's active peer links would read in a
 * partition. `unreported` replicas get no report.
 */
export function withPeerLinks(
  t: Topology,
  cuts: ReadonlyArray<readonly [string, string]>,
  opts: { cluster?: EtcdClusterName; unreported?: readonly string[] } = {},
): Topology {
  const cluster = opts.cluster ?? 'main';
  const members = t.etcd[cluster].members ?? [];
  const idOf = new Map(
    t.replicas.flatMap((r) => (r.etcd[cluster].ok ? [[r.name, r.etcd[cluster].memberId] as const] : [])),
  );
  const cut = (a: string, b: string) => cuts.some(([x, y]) => (x === a && y === b) || (x === b && y === a));
  const nameOfId = new Map([...idOf].map(([name, id]) => [id, name]));
  return {
    ...t,
    replicas: t.replicas.map((r) => {
      const id = idOf.get(r.name);
      if (id === undefined || opts.unreported?.includes(r.name)) return r;
      // A member whose etcd does not answer has no active link either.
      const activePeers = members
        .map((m) => m.id)
        .filter((m) => m !== id && nameOfId.has(m) && !cut(r.name, nameOfId.get(m) ?? ''));
      return { ...r, etcdPeers: { ...r.etcdPeers, [cluster]: { ok: true, activePeers, hasLeader: true } } };
    }),
  };
}
