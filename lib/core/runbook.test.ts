import { describe, expect, it } from 'vitest';
import { assessTopology } from './assessment';
import type { SnapshotListing } from './backups';
import {
  quorumLostRunbook,
  type LostEtcdCluster,
  type QuorumLostRunbook,
  type RunbookProcedure,
  type RunbookStep,
} from './runbook';
import {
  NOW,
  OBSERVED_AT,
  buildTopology,
  prodSpec,
  stagingSpec,
  withReplica,
  type TopologySpec,
} from './testing/topology-builder';
import type { EtcdClusterName, Topology } from './topology';

const B = 'prod-master-b01';
const C = 'prod-master-c02';
const D = 'prod-master-d03';
const PROD_ID = 'sandbox-project~europe-west1~prod-master';
const SSH_B = `gcloud compute ssh ${B} --zone europe-west1-b --project sandbox-project --command`;
const MAIN_CERTS =
  '--cacert /etc/srv/kubernetes/pki/etcd-apiserver-ca.crt --cert /etc/srv/kubernetes/pki/etcd-apiserver-client.crt --key /etc/srv/kubernetes/pki/etcd-apiserver-client.key';

/** Replica `name`'s etcd `cluster` status with another raft index (and term). */
const atIndex = (t: Topology, name: string, cluster: EtcdClusterName, raftIndex: number, raftTerm?: number): Topology =>
  withReplica(t, name, (r) => {
    const s = r.etcd[cluster];
    if (!s.ok) throw new Error(`atIndex: etcd ${cluster} of ${name} does not answer`);
    return { ...r, etcd: { ...r.etcd, [cluster]: { ...s, raftIndex, raftTerm: raftTerm ?? s.raftTerm } } };
  });

function runbookOf(
  t: Topology,
  snapshots: SnapshotListing[] = [],
  snapshotFolders?: Partial<Record<EtcdClusterName, string>>,
): QuorumLostRunbook | null {
  return quorumLostRunbook({
    topology: t,
    assessment: assessTopology(t, NOW),
    snapshots,
    ...(snapshotFolders ? { snapshotFolders } : {}),
  });
}

function mustRunbook(
  t: Topology,
  snapshots: SnapshotListing[] = [],
  snapshotFolders?: Partial<Record<EtcdClusterName, string>>,
): QuorumLostRunbook {
  const rb = runbookOf(t, snapshots, snapshotFolders);
  if (!rb) throw new Error('expected a runbook: quorum is lost');
  return rb;
}

function lostOf(rb: QuorumLostRunbook, cluster: EtcdClusterName): LostEtcdCluster {
  const l = rb.lost.find((x) => x.cluster === cluster);
  if (!l) throw new Error(`etcd ${cluster} is not in the runbook`);
  return l;
}

function stepTitled(p: RunbookProcedure | null, title: RegExp): RunbookStep {
  const s = p?.steps.find((x) => title.test(x.title));
  if (!s) throw new Error(`no step matching ${String(title)} in ${p?.title ?? 'a missing procedure'}`);
  return s;
}

const prod = (replicas: TopologySpec['replicas']) => buildTopology(prodSpec({ replicas }));
/** Two of three prod replicas stopped: the acceptance scenario of issue 4. */
const twoOfThreeStopped = () =>
  prod([{ zone: 'b' }, { zone: 'c', vmStatus: 'STOPPED' }, { zone: 'd', vmStatus: 'STOPPED' }]);

function snapshot(over: Partial<SnapshotListing> = {}): SnapshotListing {
  return {
    version: 1,
    clusterId: PROD_ID,
    etcdCluster: 'main',
    file: '20260110T085500Z-a1b2c3.db',
    // 3h5m before OBSERVED_AT.
    takenAt: '2026-01-10T08:55:00.000Z',
    verifiedAt: '2026-01-10T08:55:02.000Z',
    sizeBytes: 1536,
    sha256: 'a'.repeat(64),
    revision: 4711,
    hash: 12345,
    totalKeys: 42,
    revisionBefore: 4711,
    member: B,
    operationId: 'op-1',
    stepId: 'step-1',
    intact: true,
    ...over,
  };
}

describe('quorumLostRunbook: when there is none', () => {
  const rows: { name: string; topology: () => Topology }[] = [
    { name: 'healthy prod', topology: () => buildTopology(prodSpec()) },
    {
      name: 'one of three stopped: quorum held',
      topology: () => prod([{ zone: 'b' }, { zone: 'c', vmStatus: 'STOPPED' }, { zone: 'd' }]),
    },
    {
      name: 'two of five stopped',
      topology: () =>
        prod([
          { zone: 'b' },
          { zone: 'c' },
          { zone: 'd' },
          { zone: 'b', vmStatus: 'STOPPED' },
          { zone: 'c', vmStatus: 'STOPPED' },
        ]),
    },
    { name: 'staging, one healthy replica', topology: () => buildTopology(stagingSpec()) },
  ];
  it.each(rows)('$name: null', ({ topology }) => {
    expect(runbookOf(topology(), [snapshot()])).toBeNull();
  });
});

describe('quorumLostRunbook: two of three prod replicas stopped', () => {
  const rb = mustRunbook(twoOfThreeStopped());

  it('covers both etcd clusters and names the running replica as the survivor of each', () => {
    expect(rb.lost.map((l) => l.cluster)).toEqual(['main', 'events']);
    expect(lostOf(rb, 'main').summary).toBe('etcd main has lost quorum: 1 of 3 voters answers, 2 are needed.');
    for (const l of rb.lost) {
      expect(l.survivor?.name).toBe(B);
      expect(l.members.map((m) => [m.name, m.surviving, m.chosen, m.state])).toEqual([
        [B, true, true, 'answering'],
        [C, false, false, 'VM is STOPPED'],
        [D, false, false, 'VM is STOPPED'],
      ]);
    }
    expect(lostOf(rb, 'main').survivor?.memberId).toBe('1001');
    expect(lostOf(rb, 'events').survivor?.memberId).toBe('2001');
  });

  it('offers only A without a snapshot, and says so', () => {
    for (const l of rb.lost) {
      expect(l.snapshot).toBeNull();
      expect(l.snapshotRestore).toBeNull();
      expect(l.recommended).toBe('force-new-cluster');
      expect(l.recommendation).toMatch(new RegExp(`no verified snapshot of etcd ${l.cluster}`));
    }
  });

  it('A stops etcd main on the survivor, restarts it once with --force-new-cluster, checks it with etcdctl, then takes the flag out', () => {
    const a = lostOf(rb, 'main').forceNewCluster;
    expect(a?.target).toBe(B);
    expect(stepTitled(a, /^Stop etcd main on prod-master-b01/).command).toBe(
      `${SSH_B} 'sudo mv /etc/kubernetes/manifests/etcd.manifest /etc/kubernetes/etcd.manifest.stopped && while ss -ltn | grep -q ":2380 "; do sleep 1; done && sudo cp -a /var/etcd/data /var/etcd/data.before-force-new-cluster'`,
    );
    expect(stepTitled(a, /--force-new-cluster$/).command).toBe(
      `${SSH_B} 'sudo sed -i "s|--data-dir /var/etcd/data |--data-dir /var/etcd/data --force-new-cluster |" /etc/kubernetes/etcd.manifest.stopped && sudo grep -q -- --force-new-cluster /etc/kubernetes/etcd.manifest.stopped && sudo mv /etc/kubernetes/etcd.manifest.stopped /etc/kubernetes/manifests/etcd.manifest'`,
    );
    const check = stepTitled(a, /^Check that etcd main answers/);
    expect(check.command).toBe(
      `${SSH_B} 'sudo ETCDCTL_API=3 etcdctl --endpoints https://127.0.0.1:2379 ${MAIN_CERTS} endpoint status -w table && sudo ETCDCTL_API=3 etcdctl --endpoints https://127.0.0.1:2379 ${MAIN_CERTS} member list -w table'`,
    );
    expect(check.detail).toContain('one member, etcd-prod-master-b01');
    expect(check.detail).toContain('raft index of at least 1000');
    expect(stepTitled(a, /^Take --force-new-cluster out/).command).toBe(
      `${SSH_B} 'sudo sed -i "s| --force-new-cluster||" /etc/kubernetes/manifests/etcd.manifest'`,
    );
    // Stop, then start with the flag, then check, then take it out: the order matters.
    const titles = a?.steps.map((s) => s.title) ?? [];
    expect(titles.findIndex((s) => s.startsWith('Stop etcd main'))).toBeLessThan(
      titles.findIndex((s) => s.includes('with --force-new-cluster')),
    );
    expect(titles.findIndex((s) => s.startsWith('Check that etcd main'))).toBeLessThan(
      titles.findIndex((s) => s.startsWith('Take --force-new-cluster out')),
    );
  });

  it("A for events uses kube-up's events manifest, data dir, peer port and plain-http client port", () => {
    const a = lostOf(rb, 'events').forceNewCluster;
    expect(stepTitled(a, /^Stop etcd events/).command).toContain(
      'sudo mv /etc/kubernetes/manifests/etcd-events.manifest /etc/kubernetes/etcd-events.manifest.stopped && while ss -ltn | grep -q ":2381 "',
    );
    expect(stepTitled(a, /--force-new-cluster$/).command).toContain(
      '"s|--data-dir /var/etcd/data-events |--data-dir /var/etcd/data-events --force-new-cluster |"',
    );
    expect(stepTitled(a, /^Check that etcd events/).command).toBe(
      `${SSH_B} 'sudo ETCDCTL_API=3 etcdctl --endpoints http://127.0.0.1:4002 endpoint status -w table && sudo ETCDCTL_API=3 etcdctl --endpoints http://127.0.0.1:4002 member list -w table'`,
    );
  });

  it('states what A may lose: the stopped members say nothing about how far ahead they were', () => {
    expect(lostOf(rb, 'main').forceNewCluster?.dataLoss).toBe(
      'Only writes that prod-master-b01 had not received are lost: it holds raft index 1000 (term 3). prod-master-c02 and prod-master-d03 do not answer, so how far ahead they were is unknown: a write to etcd main acknowledged in the last moments before the failure may be gone if only they had it.',
    );
  });

  it('nothing to fence: the lost replicas are stopped, so A has no step for them', () => {
    expect(lostOf(rb, 'main').forceNewCluster?.steps.some((s) => s.title.includes(C) || s.title.includes(D))).toBe(
      false,
    );
  });

  it('first suggests starting the stopped replicas, and afterwards replacing them with the wizards', () => {
    expect(rb.tryFirst.map((s) => s.command)).toEqual([
      'gcloud compute instances start prod-master-c02 --zone europe-west1-c --project sandbox-project',
      'gcloud compute instances start prod-master-d03 --zone europe-west1-d --project sandbox-project',
    ]);
    expect(rb.afterwards.map((s) => s.title)).toEqual([
      'Remove prod-master-c02 and prod-master-d03 with the Remove replica wizard',
      'Add replicas with the Add replica wizard until prod-master has 3 replicas again',
    ]);
    expect(rb.afterwards.every((s) => s.command === null)).toBe(true);
  });

  it('every ssh command names the survivor, its zone and the project', () => {
    const commands = rb.lost.flatMap((l) => l.forceNewCluster?.steps.map((s) => s.command) ?? []);
    expect(commands.length).toBeGreaterThan(0);
    for (const c of commands)
      expect(c).toMatch(
        /^gcloud compute ssh prod-master-b01 --zone europe-west1-b --project sandbox-project --command '[^']+'$/,
      );
  });
});

describe('quorumLostRunbook: choosing the survivor', () => {
  // Five replicas (b01 c02 d03 b04 c05), three stopped: two answer, three are needed.
  const five = (up: [string, string]) =>
    prod(
      ['b', 'c', 'd', 'b', 'c'].map((zone, i) => ({
        zone,
        ...(up.includes(`${zone}0${i + 1}`) ? {} : { vmStatus: 'STOPPED' as const }),
      })),
    );

  const rows: { name: string; topology: () => Topology; survivor: string; order: string[] }[] = [
    {
      name: 'the higher raft index wins',
      topology: () => atIndex(atIndex(five(['c02', 'b04']), C, 'main', 1200), 'prod-master-b04', 'main', 1500),
      survivor: 'prod-master-b04',
      order: ['prod-master-b04', C],
    },
    {
      name: 'the higher raft index wins whatever the name order',
      topology: () => atIndex(atIndex(five(['c02', 'b04']), C, 'main', 1501), 'prod-master-b04', 'main', 1500),
      survivor: C,
      order: [C, 'prod-master-b04'],
    },
    {
      name: 'same index: the higher raft term wins',
      topology: () => atIndex(atIndex(five(['c02', 'b04']), C, 'main', 1500, 7), 'prod-master-b04', 'main', 1500, 6),
      survivor: C,
      order: [C, 'prod-master-b04'],
    },
    {
      name: 'same index and term: by name',
      topology: () => atIndex(atIndex(five(['c02', 'b04']), C, 'main', 1500, 6), 'prod-master-b04', 'main', 1500, 6),
      survivor: 'prod-master-b04',
      order: ['prod-master-b04', C],
    },
  ];

  it.each(rows)('$name', ({ topology, survivor, order }) => {
    const main = lostOf(mustRunbook(topology()), 'main');
    expect(main.summary).toBe('etcd main has lost quorum: 2 of 5 voters answer, 3 are needed.');
    expect(main.survivor?.name).toBe(survivor);
    expect(main.members.filter((m) => m.surviving).map((m) => m.name)).toEqual(order);
    expect(main.members.filter((m) => m.chosen).map((m) => m.name)).toEqual([survivor]);
    expect(main.members.filter((m) => !m.surviving).map((m) => m.state)).toEqual([
      'VM is STOPPED',
      'VM is STOPPED',
      'VM is STOPPED',
    ]);
    expect(main.forceNewCluster?.target).toBe(survivor);
    expect(stepTitled(main.forceNewCluster, /^Check that etcd main/).detail).toContain(`one member, etcd-${survivor},`);
  });

  it('fences the other survivor before forcing a new cluster, so that two single-member clusters can never run', () => {
    const t = atIndex(atIndex(five(['c02', 'b04']), C, 'main', 1200), 'prod-master-b04', 'main', 1500);
    const a = lostOf(mustRunbook(t), 'main').forceNewCluster;
    const fence = stepTitled(a, /^Stop etcd main on prod-master-c02/);
    expect(fence.command).toBe(
      `gcloud compute ssh prod-master-c02 --zone europe-west1-c --project sandbox-project --command 'sudo mv /etc/kubernetes/manifests/etcd.manifest /etc/kubernetes/etcd.manifest.stopped && while ss -ltn | grep -q ":2380 "; do sleep 1; done'`,
    );
    // events is lost as well, so stopping c02's VM costs nothing more.
    expect(fence.detail).toContain(
      'gcloud compute instances stop prod-master-c02 --zone europe-west1-c --project sandbox-project',
    );
    expect(a?.steps[0]).toBe(fence);
  });

  it('a learner is no survivor', () => {
    const t = prod([
      { zone: 'b', vmStatus: 'STOPPED' },
      { zone: 'c' },
      { zone: 'd', vmStatus: 'STOPPED' },
      { zone: 'b', learner: true },
    ]);
    const main = lostOf(mustRunbook(t), 'main');
    expect(main.survivor?.name).toBe(C);
    expect(main.members.find((m) => m.name === 'prod-master-b04')).toMatchObject({
      surviving: false,
      state: 'learner: not a voter, its copy may be incomplete',
    });
  });

  it('a member no VM backs is listed as not surviving', () => {
    const t = buildTopology(
      prodSpec({
        replicas: [{ zone: 'b' }, { zone: 'c', vmStatus: 'STOPPED' }],
        extraMembers: [{ name: 'etcd-prod-master-x09' }],
      }),
    );
    const main = lostOf(mustRunbook(t), 'main');
    expect(main.members.map((m) => [m.name, m.surviving, m.state])).toEqual([
      [B, true, 'answering'],
      [C, false, 'VM is STOPPED'],
      ['etcd-prod-master-x09', false, 'member with no VM'],
    ]);
  });

  it('a lost member whose last raft index is known says how much A loses', () => {
    // d03 answered a last time while its VM was already on its way down.
    const t = withReplica(
      atIndex(prod([{ zone: 'b' }, { zone: 'c', vmStatus: 'STOPPED' }, { zone: 'd' }]), D, 'main', 1042),
      D,
      (r) => ({ ...r, vmStatus: 'STOPPING' }),
    );
    const main = lostOf(mustRunbook(t), 'main');
    expect(main.survivor?.name).toBe(B);
    expect(main.members.find((m) => m.name === D)).toMatchObject({
      surviving: false,
      raftIndex: 1042,
      state: 'VM is STOPPING',
    });
    expect(main.forceNewCluster?.dataLoss).toContain(
      'prod-master-d03 was last seen at raft index 1042, 42 entries ahead: those are lost.',
    );
    expect(main.forceNewCluster?.dataLoss).toContain('prod-master-c02 does not answer');
  });
});

describe('quorumLostRunbook: the snapshot procedure', () => {
  const snapshots = [
    snapshot({ file: 'old.db', takenAt: '2026-01-09T12:00:00.000Z', revision: 100 }),
    snapshot(),
    // Newer, but its file changed since it was verified.
    snapshot({ file: 'changed.db', takenAt: '2026-01-10T11:00:00.000Z', revision: 5000, intact: false }),
    // Newer, but of another cluster.
    snapshot({
      clusterId: 'sandbox-project~europe-west1~other-master',
      file: 'other.db',
      takenAt: '2026-01-10T11:30:00.000Z',
    }),
    snapshot({ etcdCluster: 'events', file: 'events.db', takenAt: '2026-01-10T11:50:00.000Z', revision: 900 }),
  ];
  const rb = mustRunbook(twoOfThreeStopped(), snapshots);
  const main = lostOf(rb, 'main');

  it("picks the newest verified snapshot of this cluster's etcd main whose file is intact", () => {
    expect(main.snapshot).toMatchObject({ file: '20260110T085500Z-a1b2c3.db', revision: 4711, age: '3h5m' });
    expect(lostOf(rb, 'events').snapshot).toMatchObject({ file: 'events.db', revision: 900, age: '10m' });
  });

  it('B copies the file to the survivor, restores it with its own name and peer URL, swaps the data dir in and starts etcd', () => {
    const b = main.snapshotRestore;
    expect(b?.target).toBe(B);
    expect(stepTitled(b, /^Copy the snapshot/).command).toBe(
      `gcloud compute scp snapshots/${PROD_ID}/main/20260110T085500Z-a1b2c3.db prod-master-b01:/tmp/ --zone europe-west1-b --project sandbox-project`,
    );
    expect(stepTitled(b, /^Restore it/).command).toBe(
      `${SSH_B} 'sudo ETCDCTL_API=3 etcdctl snapshot restore /tmp/20260110T085500Z-a1b2c3.db --name etcd-prod-master-b01 --initial-cluster etcd-prod-master-b01=https://10.0.0.2:2380 --initial-advertise-peer-urls https://10.0.0.2:2380 --data-dir /var/etcd/data-restored && rm -f /tmp/20260110T085500Z-a1b2c3.db'`,
    );
    expect(stepTitled(b, /^Put the restored data in place/).command).toBe(
      `${SSH_B} 'sudo mv /var/etcd/data /var/etcd/data.before-restore && sudo mv /var/etcd/data-restored /var/etcd/data && sudo chown -R --reference=/var/etcd/data.before-restore /var/etcd/data'`,
    );
    expect(stepTitled(b, /^Start etcd main/).command).toBe(
      `${SSH_B} 'sudo mv /etc/kubernetes/etcd.manifest.stopped /etc/kubernetes/manifests/etcd.manifest'`,
    );
    const titles = b?.steps.map((s) => s.title) ?? [];
    expect(titles.indexOf('Put the restored data in place')).toBeGreaterThan(
      titles.findIndex((s) => s.startsWith('Stop etcd main')),
    );
  });

  it('B for events uses the events peer port and data dir', () => {
    const b = lostOf(rb, 'events').snapshotRestore;
    expect(stepTitled(b, /^Restore it/).command).toContain(
      '--initial-cluster etcd-prod-master-b01=https://10.0.0.2:2381 --initial-advertise-peer-urls https://10.0.0.2:2381 --data-dir /var/etcd/data-events-restored',
    );
    expect(stepTitled(b, /^Copy the snapshot/).command).toContain(
      `snapshots/${PROD_ID}/events/events.db prod-master-b01:/tmp/`,
    );
  });

  it('states the data-loss window of B from the snapshot time and revision', () => {
    expect(main.snapshotRestore?.dataLoss).toBe(
      'Every write to etcd main after the snapshot was taken is lost: it holds revision 4711, taken at 2026-01-10T08:55:00.000Z, 3h5m before this observation, so everything written in those 3h5m is gone.',
    );
  });

  it('still recommends A while a member survives, naming what B would lose', () => {
    expect(main.recommended).toBe('force-new-cluster');
    expect(main.recommendation).toContain('B loses the last 3h5m');
  });

  it("uses the snapshot folder's absolute path when the caller knows it", () => {
    const withFolder = mustRunbook(twoOfThreeStopped(), snapshots, { main: '/srv/quorum/.quorum/snapshots/x/main/' });
    expect(stepTitled(lostOf(withFolder, 'main').snapshotRestore, /^Copy the snapshot/).command).toBe(
      'gcloud compute scp /srv/quorum/.quorum/snapshots/x/main/20260110T085500Z-a1b2c3.db prod-master-b01:/tmp/ --zone europe-west1-b --project sandbox-project',
    );
  });

  it('recommends B when no member answers but replicas still run, restoring onto the first running one', () => {
    const t = prod([
      { zone: 'b', etcd: 'refused' },
      { zone: 'c', etcd: 'refused' },
      { zone: 'd', vmStatus: 'STOPPED' },
    ]);
    const l = lostOf(mustRunbook(t, snapshots), 'main');
    expect(l.survivor).toBeNull();
    expect(l.forceNewCluster).toBeNull();
    expect(l.recommended).toBe('snapshot-restore');
    expect(l.snapshotRestore?.target).toBe(B);
    // c02 still runs: its etcd is stopped before B so it cannot come back into the old cluster.
    expect(stepTitled(l.snapshotRestore, /^Stop etcd main on prod-master-c02/).command).toContain(
      "--command 'sudo mv /etc/kubernetes/manifests/etcd.manifest",
    );
    expect(l.members.find((m) => m.name === C)?.state).toMatch(
      /^etcd is not answering \(connect ECONNREFUSED 10\.0\.0\.3:2379\)$/,
    );
  });

  it('neither procedure without a survivor or a snapshot', () => {
    const t = prod([
      { zone: 'b', etcd: 'refused' },
      { zone: 'c', vmStatus: 'STOPPED' },
      { zone: 'd', vmStatus: 'STOPPED' },
    ]);
    const rbNone = mustRunbook(t);
    const l = lostOf(rbNone, 'main');
    expect([l.recommended, l.forceNewCluster, l.snapshotRestore]).toEqual([null, null, null]);
    expect(l.recommendation).toContain('no verified snapshot');
    expect(rbNone.afterwards).toEqual([]);
    expect(rbNone.tryFirst.map((s) => s.title)).toContain(
      'Find out why etcd main on prod-master-b01 is not answering (etcd is not answering (connect ECONNREFUSED 10.0.0.2:2379))',
    );
  });
});

describe('quorumLostRunbook: only etcd events lost', () => {
  const t = prod([{ zone: 'b' }, { zone: 'c', events: 'refused' }, { zone: 'd', events: 'refused' }]);
  const rb = mustRunbook(t);

  it('the runbook covers events alone', () => {
    expect(rb.lost.map((l) => l.cluster)).toEqual(['events']);
    expect(lostOf(rb, 'events').survivor?.name).toBe(B);
    expect(lostOf(rb, 'events').note).toContain('Kubernetes Events');
  });

  it('stops etcd events on the other replicas, not their VMs: they run healthy members of etcd main', () => {
    const a = lostOf(rb, 'events').forceNewCluster;
    for (const [name, zone] of [
      [C, 'c'],
      [D, 'd'],
    ] as const) {
      const fence = stepTitled(a, new RegExp(`^Stop etcd events on ${name}`));
      expect(fence.command).toBe(
        `gcloud compute ssh ${name} --zone europe-west1-${zone} --project sandbox-project --command 'sudo mv /etc/kubernetes/manifests/etcd-events.manifest /etc/kubernetes/etcd-events.manifest.stopped && while ss -ltn | grep -q ":2381 "; do sleep 1; done'`,
      );
      expect(fence.detail).not.toContain('gcloud compute instances stop');
    }
    expect(lostOf(rb, 'events').members.find((m) => m.name === D)?.state).toMatch(
      /^etcd is not answering \(connect ECONNREFUSED/,
    );
  });

  it('first points at the etcd events logs of the replicas whose VMs run', () => {
    expect(rb.tryFirst.map((s) => s.command)).toEqual([
      "gcloud compute ssh prod-master-c02 --zone europe-west1-c --project sandbox-project --command 'sudo tail -n 50 /var/log/etcd-events.log'",
      "gcloud compute ssh prod-master-d03 --zone europe-west1-d --project sandbox-project --command 'sudo tail -n 50 /var/log/etcd-events.log'",
    ]);
  });

  it('offers no runbook while the members that timed out could make a quorum with the survivor: silence is not a loss', () => {
    // b01 answers, d03 timed out: 2 of 3 may still be a quorum, out of Quorum's reach.
    expect(
      runbookOf(prod([{ zone: 'b' }, { zone: 'c', events: 'refused' }, { zone: 'd', events: 'timeout' }])),
    ).toBeNull();
    expect(rb.notes).toEqual([]);
  });

  it('only the events snapshot counts', () => {
    const withMain = mustRunbook(t, [snapshot()]);
    expect(lostOf(withMain, 'events').snapshot).toBeNull();
    expect(lostOf(withMain, 'events').recommended).toBe('force-new-cluster');
  });
});

describe('quorumLostRunbook: observation time', () => {
  it('ages are relative to the observation, not to the clock', () => {
    const t = { ...twoOfThreeStopped(), observedAt: '2026-01-10T09:00:00.000Z' };
    expect(lostOf(mustRunbook(t, [snapshot()]), 'main').snapshot?.age).toBe('5m');
    expect(OBSERVED_AT).toBe('2026-01-10T12:00:00.000Z');
  });
});
