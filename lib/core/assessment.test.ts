import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  assessTopology,
  bindMembersToReplicas,
  describeReplicaHealth,
  isTimeoutError,
  noAccessFinding,
  replicaHealthOf,
  timeoutError,
  worstFinding,
  type Assessment,
  type Finding,
  type FindingCode,
  type ReplicaHealth,
  type Severity,
} from './assessment';
import {
  NOW,
  OTHER_LB_IP,
  STATIC_IP,
  buildTopology,
  leaseOf,
  prodSpec,
  stagingSpec,
  withReplica,
  type TopologySpec,
} from './testing/topology-builder';
import { reachWhyText } from './reach-why';
import type { EtcdMember, Replica, Topology } from './topology';

const B = 'prod-master-b01';
const C = 'prod-master-c02';
const D = 'prod-master-d03';

type Row = {
  name: string;
  topology: () => Topology;
  /** The findings, in order: [code, severity, subject]. */
  findings: [FindingCode, Severity, string | null][];
  canLoseReplicas: number;
  canLoseZones: number;
  health?: Record<string, ReplicaHealth>;
  /** Further checks on the assessment. */
  check?: (a: Assessment) => void;
};

const build = (spec: TopologySpec) => () => buildTopology(spec);
const findingOf = (a: Assessment, code: FindingCode, subject?: string | null): Finding => {
  const f = a.findings.find((x) => x.code === code && (subject === undefined || x.subject === subject));
  if (!f) throw new Error(`no ${code} finding${subject ? ` for ${subject}` : ''}`);
  return f;
};

const rows: Row[] = [
  {
    name: 'prod-like healthy 3 replicas in 3 zones',
    topology: build(prodSpec()),
    findings: [],
    canLoseReplicas: 1,
    canLoseZones: 1,
    health: { [B]: 'healthy', [C]: 'healthy', [D]: 'healthy' },
    check: (a) => {
      expect(a.etcd.main).toEqual({
        voters: 3,
        healthyVoters: 3,
        unknownVoters: 0,
        learners: 0,
        quorum: 2,
        hasQuorum: true,
        quorumLost: false,
        leaderId: '1001',
      });
      expect(a.etcd.events.leaderId).toBe('2001');
      expect(a.zones).toEqual([
        { zone: 'europe-west1-b', replicas: [B], healthyVoters: 1, lossKeepsQuorum: true },
        { zone: 'europe-west1-c', replicas: [C], healthyVoters: 1, lossKeepsQuorum: true },
        { zone: 'europe-west1-d', replicas: [D], healthyVoters: 1, lossKeepsQuorum: true },
      ]);
      expect(a.healthyReplicas).toBe(3);
      expect(a.totalReplicas).toBe(3);
    },
  },
  {
    name: 'one replica stopped',
    topology: build(prodSpec({ replicas: [{ zone: 'b' }, { zone: 'c', vmStatus: 'STOPPED' }, { zone: 'd' }] })),
    findings: [['ReplicaUnhealthy', 'critical', C]],
    canLoseReplicas: 0,
    canLoseZones: 0,
    health: { [B]: 'healthy', [C]: 'unhealthy', [D]: 'healthy' },
    check: (a) => {
      expect(a.etcd.main).toMatchObject({ voters: 3, healthyVoters: 2, hasQuorum: true });
      expect(a.zones.map((z) => [z.zone, z.lossKeepsQuorum])).toEqual([
        ['europe-west1-b', false],
        ['europe-west1-c', true],
        ['europe-west1-d', false],
      ]);
      const f = findingOf(a, 'ReplicaUnhealthy');
      expect(f.message).toContain('VM is STOPPED');
      expect(f.message).toContain('one more failure stops the control plane');
      expect(f.fix).toContain(`gcloud compute instances start ${C} --zone europe-west1-c`);
      expect(f.fix).toContain('Recover replica wizard');
    },
  },
  {
    name: 'a replica Quorum cannot get into over SSH is unknown, with a NoAccess warning and no recovery',
    topology: build(prodSpec({ replicas: [{ zone: 'b' }, { zone: 'c', etcd: 'noaccess' }, { zone: 'd' }] })),
    findings: [['NoAccess', 'warning', C]],
    canLoseReplicas: 0,
    canLoseZones: 0,
    health: { [B]: 'healthy', [C]: 'unknown', [D]: 'healthy' },
    check: (a) => {
      const f = findingOf(a, 'NoAccess', C);
      expect(f.action).toBeUndefined();
      expect(f.failure).toBeUndefined();
      expect(f.message).toContain('refused Quorum');
      expect(f.fix).toContain('ssh-keys');
      expect(a.etcd.main).toMatchObject({ voters: 3, healthyVoters: 2, hasQuorum: true });
    },
  },
  {
    name: 'two of three replicas without SSH access: no quorum loss is declared from it',
    topology: build(
      prodSpec({ replicas: [{ zone: 'b', etcd: 'noaccess' }, { zone: 'c', etcd: 'noaccess' }, { zone: 'd' }] }),
    ),
    findings: [
      ['NoAccess', 'warning', B],
      ['NoAccess', 'warning', C],
    ],
    canLoseReplicas: 0,
    canLoseZones: 0,
    health: { [B]: 'unknown', [C]: 'unknown', [D]: 'healthy' },
  },
  {
    name: 'no SSH access to any replica: no EtcdUnreachable, no QuorumLost, only what to fix',
    topology: build(
      prodSpec({
        replicas: [
          { zone: 'b', etcd: 'noaccess' },
          { zone: 'c', etcd: 'noaccess' },
          { zone: 'd', etcd: 'noaccess' },
        ],
      }),
    ),
    findings: [
      ['NoAccess', 'warning', B],
      ['NoAccess', 'warning', C],
      ['NoAccess', 'warning', D],
    ],
    canLoseReplicas: 0,
    canLoseZones: 0,
    health: { [B]: 'unknown', [C]: 'unknown', [D]: 'unknown' },
  },
  {
    name: 'etcd refusing behind an open SSH channel is a real failure next to a no-access one',
    topology: build(
      prodSpec({ replicas: [{ zone: 'b', etcd: 'refused' }, { zone: 'c', etcd: 'noaccess' }, { zone: 'd' }] }),
    ),
    findings: [
      ['ReplicaUnhealthy', 'critical', B],
      ['NoAccess', 'warning', C],
    ],
    canLoseReplicas: 0,
    canLoseZones: 0,
    health: { [B]: 'unhealthy', [C]: 'unknown', [D]: 'healthy' },
    check: (a) => expect(findingOf(a, 'ReplicaUnhealthy', B).action).toEqual({ kind: 'recover', replica: B }),
  },
  {
    name: 'one of five replicas stopped is only a warning',
    topology: build(
      prodSpec({
        regionZones: ['europe-west1-b', 'europe-west1-c', 'europe-west1-d', 'europe-west1-e', 'europe-west1-f'],
        replicas: [{ zone: 'b' }, { zone: 'c' }, { zone: 'd' }, { zone: 'e', vmStatus: 'STOPPED' }, { zone: 'f' }],
      }),
    ),
    findings: [['ReplicaUnhealthy', 'warning', 'prod-master-e04']],
    canLoseReplicas: 1,
    canLoseZones: 1,
    check: (a) => expect(findingOf(a, 'ReplicaUnhealthy').message).toContain('can lose only 1 more replica'),
  },
  {
    name: 'a VM stopping while its etcd still answers is not counted on',
    topology: () => withReplica(buildTopology(prodSpec()), C, { vmStatus: 'STOPPING' }),
    findings: [['ReplicaUnhealthy', 'critical', C]],
    canLoseReplicas: 0,
    canLoseZones: 0,
    health: { [C]: 'unhealthy' },
    check: (a) => {
      expect(a.etcd.main).toMatchObject({ voters: 3, healthyVoters: 2 });
      expect(findingOf(a, 'ReplicaUnhealthy').fix).toContain(`Wait for ${C} to finish stopping`);
    },
  },
  {
    name: 'two replicas',
    topology: build(prodSpec({ replicas: [{ zone: 'b' }, { zone: 'c' }] })),
    findings: [['TwoReplicaLayout', 'critical', null]],
    canLoseReplicas: 0,
    canLoseZones: 0,
    check: (a) => {
      const f = findingOf(a, 'TwoReplicaLayout');
      expect(f.message).toContain('less available than a single replica');
      expect(f.fix).toContain('Add a replica in europe-west1-d');
    },
  },
  {
    name: 'four replicas as 2+1+1 in a three-zone region',
    topology: build(prodSpec({ replicas: [{ zone: 'b' }, { zone: 'b' }, { zone: 'c' }, { zone: 'd' }] })),
    findings: [
      ['ZoneHoldsQuorum', 'critical', 'europe-west1-b'],
      ['EvenReplicaCount', 'warning', null],
    ],
    canLoseReplicas: 1,
    canLoseZones: 0,
    check: (a) => {
      expect(findingOf(a, 'ZoneHoldsQuorum').fix).toContain('Remove one replica in europe-west1-b');
      expect(findingOf(a, 'EvenReplicaCount').message).toContain(
        '4 etcd voters, which tolerate 1 failure like 3 would',
      );
      expect(a.zones.find((z) => z.zone === 'europe-west1-b')).toMatchObject({
        healthyVoters: 2,
        lossKeepsQuorum: false,
      });
    },
  },
  {
    name: 'four replicas as 2+1+1 with a free zone',
    topology: build({
      ...stagingSpec(),
      quorumReads: true,
      replicas: [{ zone: 'b' }, { zone: 'b' }, { zone: 'c' }, { zone: 'f' }],
    }),
    findings: [
      ['ZoneHoldsQuorum', 'critical', 'us-central1-b'],
      ['EvenReplicaCount', 'warning', null],
      ['ZoneShared', 'warning', 'us-central1-b'],
    ],
    canLoseReplicas: 1,
    canLoseZones: 0,
    check: (a) => {
      expect(findingOf(a, 'ZoneShared').fix).toContain(
        'rebalance (one operation: add a replica in us-central1-a, then remove one in us-central1-b)',
      );
      expect(findingOf(a, 'ZoneShared').action).toEqual({ kind: 'rebalance', zone: 'us-central1-a' });
      expect(findingOf(a, 'EvenReplicaCount').fix).toContain('add one in us-central1-a');
    },
  },
  {
    // A recovery during an outage moved c's replica to b; c has no replica left to probe, its nodes are the witness.
    name: 'a pair in one zone while the free zone is still down',
    topology: () => {
      const t = buildTopology(
        prodSpec({ replicas: [{ zone: 'b' }, { zone: 'b', name: 'prod-master-r2d' }, { zone: 'd' }] }),
      );
      return { ...t, nodes: (t.nodes ?? []).map((n) => (n.zone === 'europe-west1-c' ? { ...n, ready: false } : n)) };
    },
    findings: [
      ['ZoneHoldsQuorum', 'critical', 'europe-west1-b'],
      ['ZoneUnreachable', 'warning', 'europe-west1-c'],
    ],
    canLoseReplicas: 1,
    canLoseZones: 0,
    check: (a) => {
      expect(a.diagnosis.zonesUnreachable).toEqual([
        {
          zone: 'europe-west1-c',
          replicas: [],
          nodes: { total: 1, notReady: 1 },
          evidence: 'none of its 1 nodes is Ready (no replica runs there to probe)',
        },
      ]);
      expect(findingOf(a, 'ZoneUnreachable').message).toContain('new replicas cannot be placed there');
      // No rebalance into a zone that is down.
      expect(findingOf(a, 'ZoneHoldsQuorum').action).toBeUndefined();
    },
  },
  {
    name: 'three replicas in one zone with free zones',
    topology: build(prodSpec({ replicas: [{ zone: 'b' }, { zone: 'b' }, { zone: 'b' }] })),
    findings: [
      ['ZoneHoldsQuorum', 'critical', 'europe-west1-b'],
      ['ZoneShared', 'warning', 'europe-west1-b'],
    ],
    canLoseReplicas: 1,
    canLoseZones: 0,
    check: (a) => {
      const shared = findingOf(a, 'ZoneShared');
      expect(shared.message).toContain('europe-west1-c and europe-west1-d have none');
      expect(shared.fix).toContain('Move 2 replicas from europe-west1-b to europe-west1-c and europe-west1-d');
      expect(findingOf(a, 'ZoneHoldsQuorum').fix).toContain('add a replica in europe-west1-c');
      expect(findingOf(a, 'ZoneHoldsQuorum').action).toEqual({ kind: 'rebalance', zone: 'europe-west1-c' });
      expect(a.zones.map((z) => z.replicas.length)).toEqual([3, 0, 0]);
    },
  },
  {
    name: 'replica in us-east1-b for a europe-west1 cluster',
    topology: build(prodSpec({ replicas: [{ zone: 'b' }, { zone: 'c' }, { zone: 'us-east1-b' }] })),
    findings: [['ZoneOutsideRegion', 'critical', 'prod-master-b03']],
    canLoseReplicas: 1,
    canLoseZones: 1,
    check: (a) => {
      expect(a.zones.map((z) => z.zone)).toEqual(['europe-west1-b', 'europe-west1-c', 'europe-west1-d', 'us-east1-b']);
      const f = findingOf(a, 'ZoneOutsideRegion');
      expect(f.message).toContain("us-east1-b, outside the cluster's region europe-west1");
      expect(f.fix).toBe(
        'Add a replica in europe-west1-d (Add replica wizard), then remove prod-master-b03 (Remove replica wizard).',
      );
    },
  },
  {
    name: 'etcd member without a VM',
    topology: build(prodSpec({ extraMembers: [{ name: 'etcd-prod-master-x9z' }] })),
    findings: [['MemberWithoutVm', 'critical', 'etcd-prod-master-x9z']],
    canLoseReplicas: 0,
    canLoseZones: 0,
    check: (a) => {
      expect(a.etcd.main).toMatchObject({ voters: 4, healthyVoters: 3, quorum: 3, hasQuorum: true });
      expect(findingOf(a, 'MemberWithoutVm').message).toContain('(main and events)');
    },
  },
  {
    name: 'VM without member in either cluster',
    topology: build(prodSpec({ replicas: [{ zone: 'b' }, { zone: 'c' }, { zone: 'd' }, { zone: 'd', memberOf: [] }] })),
    findings: [
      ['ReplicaUnhealthy', 'warning', 'prod-master-d04'],
      ['VmWithoutMember', 'warning', 'prod-master-d04'],
    ],
    canLoseReplicas: 1,
    canLoseZones: 1,
    check: (a) => expect(findingOf(a, 'VmWithoutMember').message).toContain('no member of etcd main and events'),
  },
  {
    name: 'learner catching up',
    topology: build(
      prodSpec({ replicas: [{ zone: 'b' }, { zone: 'c' }, { zone: 'd' }, { zone: 'b', learner: true }] }),
    ),
    findings: [['LearnerPresent', 'info', 'prod-master-b04']],
    canLoseReplicas: 1,
    canLoseZones: 1,
    health: { 'prod-master-b04': 'healthy' },
    check: (a) => {
      expect(a.etcd.main).toMatchObject({ voters: 3, learners: 1, healthyVoters: 3 });
      expect(a.etcd.events.learners).toBe(1);
    },
  },
  {
    name: 'learner left by an interrupted add (member added, VM never created)',
    topology: build(prodSpec({ extraMembers: [{ name: '', isLearner: true, peerHost: '10.0.0.50' }] })),
    findings: [['LearnerPresent', 'warning', '10.0.0.50']],
    canLoseReplicas: 1,
    canLoseZones: 1,
    check: (a) =>
      expect(findingOf(a, 'LearnerPresent').message).toContain(
        'that no replica VM backs, most likely left by an interrupted add',
      ),
  },
  {
    name: 'main and events membership differ',
    topology: build(prodSpec({ replicas: [{ zone: 'b' }, { zone: 'c' }, { zone: 'd', memberOf: ['main'] }] })),
    findings: [
      ['ReplicaUnhealthy', 'critical', D],
      ['VmWithoutMember', 'warning', D],
      ['MembershipMismatch', 'warning', null],
    ],
    canLoseReplicas: 0,
    canLoseZones: 0,
    check: (a) => {
      expect(a.etcd.events).toMatchObject({ voters: 2, healthyVoters: 2, hasQuorum: true });
      expect(findingOf(a, 'MembershipMismatch').message).toContain(`only in main: ${D}`);
      expect(findingOf(a, 'VmWithoutMember').message).toContain('no member of etcd events');
    },
  },
  {
    name: 'no load balancer with 3 replicas',
    topology: build(prodSpec({ loadBalancer: false })),
    findings: [['NoLoadBalancer', 'critical', null]],
    canLoseReplicas: 1,
    canLoseZones: 1,
    check: (a) =>
      expect(findingOf(a, 'NoLoadBalancer').fix).toContain(
        `forwarding rule prod-master on static address ${STATIC_IP}, port 443`,
      ),
  },
  {
    name: 'a replica missing from the target pool',
    topology: () => {
      const t = buildTopology(prodSpec());
      return {
        ...t,
        targetPool: t.targetPool && {
          ...t.targetPool,
          instances: t.targetPool.instances.filter((i) => !i.endsWith(D)),
        },
      };
    },
    findings: [['NoLoadBalancer', 'warning', D]],
    canLoseReplicas: 1,
    canLoseZones: 1,
  },
  {
    name: 'static IP on an instance with 3 replicas',
    topology: build(prodSpec({ staticAddress: { onReplica: B } })),
    findings: [['StaticIpNotOnLoadBalancer', 'critical', 'prod-master-ip']],
    canLoseReplicas: 1,
    canLoseZones: 1,
    check: (a) => {
      const f = findingOf(a, 'StaticIpNotOnLoadBalancer');
      expect(f.message).toContain(`not the load balancer's address (${OTHER_LB_IP})`);
      expect(f.message).toContain(`reach only ${B}`);
    },
  },
  {
    name: 'load balancer address not reserved',
    topology: build(prodSpec({ staticAddress: 'none' })),
    findings: [['StaticIpNotOnLoadBalancer', 'warning', 'prod-master']],
    canLoseReplicas: 1,
    canLoseZones: 1,
  },
  {
    name: 'single replica staging',
    topology: build(stagingSpec()),
    findings: [['QuorumReadsOff', 'info', null]],
    canLoseReplicas: 0,
    canLoseZones: 0,
    check: (a) => {
      expect([a.canLoseReplicas, a.canLoseZones]).toEqual([0, 0]);
      expect(a.zones.map((z) => z.zone)).toEqual(['us-central1-a', 'us-central1-b', 'us-central1-c', 'us-central1-f']);
      expect(a.zones.filter((z) => !z.lossKeepsQuorum).map((z) => z.zone)).toEqual(['us-central1-b']);
    },
  },
  {
    name: 'current kube-up layout (no quorum-read setting): no quorum-reads finding',
    topology: build(stagingSpec({ noQuorumReadSetting: true })),
    findings: [],
    canLoseReplicas: 0,
    canLoseZones: 0,
  },
  {
    name: 'single replica whose static IP is not on it',
    topology: () => {
      const t = buildTopology(stagingSpec({ quorumReads: true }));
      const detached = withReplica(t, 'staging-master-b01', { externalIp: '34.0.0.9' });
      return {
        ...detached,
        staticAddress: detached.staticAddress && { ...detached.staticAddress, status: 'RESERVED', users: [] },
      };
    },
    findings: [['StaticIpNotOnLoadBalancer', 'critical', 'staging-master-ip']],
    canLoseReplicas: 0,
    canLoseZones: 0,
    check: (a) => expect(findingOf(a, 'StaticIpNotOnLoadBalancer').message).toContain('cannot reach the master'),
  },
  {
    name: 'lease expired',
    topology: build(
      prodSpec({
        leases: [
          leaseOf('kube-controller-manager', B),
          leaseOf('kube-scheduler', C, { renewedSecondsAgo: 60 }),
          leaseOf('cluster-autoscaler', B),
        ],
      }),
    ),
    findings: [['LeaseWithoutHolder', 'warning', 'kube-scheduler']],
    canLoseReplicas: 1,
    canLoseZones: 1,
    check: (a) => expect(findingOf(a, 'LeaseWithoutHolder').message).toContain(`held by ${C} expired 45s ago`),
  },
  {
    name: 'lease absent, and an empty holder',
    topology: build(prodSpec({ leases: [leaseOf('kube-scheduler', '')] })),
    findings: [
      ['LeaseWithoutHolder', 'warning', 'kube-controller-manager'],
      ['LeaseWithoutHolder', 'warning', 'kube-scheduler'],
      ['LeaseWithoutHolder', 'info', 'cluster-autoscaler'],
    ],
    canLoseReplicas: 1,
    canLoseZones: 1,
    check: (a) => expect(findingOf(a, 'LeaseWithoutHolder', 'kube-scheduler').message).toContain('has no holder'),
  },
  {
    name: 'lease held by a stopped replica',
    topology: build(
      prodSpec({
        replicas: [{ zone: 'b' }, { zone: 'c', vmStatus: 'STOPPED' }, { zone: 'd' }],
        leases: [
          leaseOf('kube-controller-manager', C),
          leaseOf('kube-scheduler', B),
          leaseOf('cluster-autoscaler', 'other-master-a1b'),
        ],
      }),
    ),
    findings: [
      ['ReplicaUnhealthy', 'critical', C],
      ['LeaseWithoutHolder', 'warning', 'kube-controller-manager'],
      ['LeaseWithoutHolder', 'warning', 'cluster-autoscaler'],
    ],
    canLoseReplicas: 0,
    canLoseZones: 0,
    check: (a) => {
      expect(findingOf(a, 'LeaseWithoutHolder', 'kube-controller-manager').message).toContain(
        `held by ${C}, which is STOPPED`,
      );
      expect(findingOf(a, 'LeaseWithoutHolder', 'cluster-autoscaler').message).toContain(
        'not a replica of this cluster',
      );
    },
  },
  {
    name: 'no lease observed (no API server answered) says nothing about leases',
    topology: build(prodSpec({ leases: null })),
    findings: [],
    canLoseReplicas: 1,
    canLoseZones: 1,
  },
  {
    name: 'unknown on time-out',
    topology: build(prodSpec({ replicas: [{ zone: 'b' }, { zone: 'c', etcd: 'timeout' }, { zone: 'd' }] })),
    // Silence is never critical by itself.
    findings: [['ReplicaUnhealthy', 'warning', C]],
    canLoseReplicas: 0,
    canLoseZones: 0,
    health: { [C]: 'unknown' },
    check: (a) => {
      expect(findingOf(a, 'ReplicaUnhealthy').message).toContain(`Replica ${C} did not answer in time`);
      expect(a.etcd.main.hasQuorum).toBe(true);
    },
  },
  {
    name: 'API server not ready while etcd is fine',
    topology: build(prodSpec({ replicas: [{ zone: 'b' }, { zone: 'c', apiServer: 'not-ready' }, { zone: 'd' }] })),
    findings: [['ReplicaUnhealthy', 'warning', C]],
    canLoseReplicas: 1,
    canLoseZones: 1,
    health: { [C]: 'unhealthy' },
    check: (a) =>
      expect(findingOf(a, 'ReplicaUnhealthy').message).toContain('requests the load balancer sends to it fail'),
  },
  {
    name: 'quorum lost: two of three stopped',
    topology: build(
      prodSpec({
        replicas: [{ zone: 'b' }, { zone: 'c', vmStatus: 'STOPPED' }, { zone: 'd', vmStatus: 'TERMINATED' }],
        leases: null,
      }),
    ),
    findings: [
      ['QuorumLost', 'critical', 'etcd main'],
      ['QuorumLost', 'critical', 'etcd events'],
      ['ReplicaUnhealthy', 'critical', C],
      ['ReplicaUnhealthy', 'critical', D],
    ],
    canLoseReplicas: 0,
    canLoseZones: 0,
    check: (a) => {
      expect(a.etcd.main).toMatchObject({ voters: 3, healthyVoters: 1, hasQuorum: false, leaderId: null });
      expect(findingOf(a, 'QuorumLost', 'etcd main').fix).toContain(`Bring back ${C} and ${D}`);
      expect(a.zones.every((z) => !z.lossKeepsQuorum)).toBe(true);
    },
  },
  {
    name: 'no replica left, only the load balancer',
    topology: () => ({
      ...buildTopology(prodSpec()),
      replicas: [],
      etcd: { main: { members: null, error: 'no endpoint' }, events: { members: null, error: 'no endpoint' } },
      leases: null,
    }),
    findings: [
      ['QuorumLost', 'critical', 'etcd main'],
      ['QuorumLost', 'critical', 'etcd events'],
    ],
    canLoseReplicas: 0,
    canLoseZones: 0,
    check: (a) => {
      expect(findingOf(a, 'QuorumLost', 'etcd main').message).toContain('no voting member left');
      expect(a.zones.map((z) => z.replicas.length)).toEqual([0, 0, 0]);
    },
  },
  {
    name: 'etcd unreachable: every member times out',
    topology: build(
      prodSpec({
        replicas: [
          { zone: 'b', etcd: 'timeout' },
          { zone: 'c', etcd: 'timeout' },
          { zone: 'd', etcd: 'timeout' },
        ],
        leases: null,
      }),
    ),
    // Every member silent: Quorum cannot tell, and says so, but nothing is critical and quorum is not called lost.
    findings: [
      ['EtcdUnreachable', 'warning', 'etcd main'],
      ['EtcdUnreachable', 'warning', 'etcd events'],
      ['ReplicaUnhealthy', 'warning', B],
      ['ReplicaUnhealthy', 'warning', C],
      ['ReplicaUnhealthy', 'warning', D],
    ],
    canLoseReplicas: 0,
    canLoseZones: 0,
    health: { [B]: 'unknown', [C]: 'unknown', [D]: 'unknown' },
    check: (a) => {
      // No member list: the replicas stand in for the voters.
      expect(a.etcd.main).toMatchObject({
        voters: 3,
        healthyVoters: 0,
        unknownVoters: 3,
        hasQuorum: false,
        quorumLost: false,
      });
      expect(a.unknownReplicas).toBe(3);
      expect(findingOf(a, 'EtcdUnreachable', 'etcd events').fix).toContain('client port 4002');
    },
  },
  {
    name: 'etcd unreachable and down: every member refuses on running VMs',
    topology: build(
      prodSpec({
        replicas: [
          { zone: 'b', etcd: 'refused' },
          { zone: 'c', etcd: 'refused' },
          { zone: 'd', etcd: 'refused' },
        ],
        leases: null,
      }),
    ),
    findings: [
      ['EtcdUnreachable', 'critical', 'etcd main'],
      ['QuorumLost', 'critical', 'etcd main'],
      ['EtcdUnreachable', 'critical', 'etcd events'],
      ['QuorumLost', 'critical', 'etcd events'],
      ['ReplicaUnhealthy', 'critical', B],
      ['ReplicaUnhealthy', 'critical', C],
      ['ReplicaUnhealthy', 'critical', D],
    ],
    canLoseReplicas: 0,
    canLoseZones: 0,
  },
  {
    name: 'one member refuses and the others are silent: that refusal is an answer, quorum is not called lost on silence',
    topology: build(
      prodSpec({
        replicas: [
          { zone: 'b', etcd: 'refused' },
          { zone: 'c', etcd: 'timeout' },
          { zone: 'd', etcd: 'timeout' },
        ],
        leases: null,
      }),
    ),
    findings: [
      ['EtcdUnreachable', 'critical', 'etcd main'],
      ['EtcdUnreachable', 'critical', 'etcd events'],
      ['ReplicaUnhealthy', 'critical', B],
      ['ReplicaUnhealthy', 'warning', C],
      ['ReplicaUnhealthy', 'warning', D],
    ],
    canLoseReplicas: 0,
    canLoseZones: 0,
    health: { [B]: 'unhealthy', [C]: 'unknown', [D]: 'unknown' },
    check: (a) => {
      expect(a.etcd.main).toMatchObject({ healthyVoters: 0, unknownVoters: 2, quorumLost: false });
    },
  },
];

describe('assessTopology', () => {
  it.each(rows)('$name', ({ topology, findings, canLoseReplicas, canLoseZones, health, check }) => {
    const a = assessTopology(topology(), NOW);
    expect(a.findings.map((f) => [f.code, f.severity, f.subject])).toEqual(findings);
    expect(a.canLoseReplicas).toBe(canLoseReplicas);
    expect(a.canLoseZones).toBe(canLoseZones);
    if (health) expect(a.replicaHealth).toMatchObject(health);
    check?.(a);
  });

  it.each(rows)('$name: every finding is one sentence with an instruction as fix', ({ topology }) => {
    for (const f of assessTopology(topology(), NOW).findings) {
      expect(f.message).toMatch(/^[A-Za-z].*[.]$/);
      // One sentence: no full stop followed by a new sentence inside.
      expect(f.message.slice(0, -1)).not.toMatch(/\.\s+[A-Z]/);
      expect(f.fix).toMatch(/^[A-Z].*[.]$/);
    }
  });

  it('sorts worst first and keeps the rule order within a severity', () => {
    const t = buildTopology(
      prodSpec({
        replicas: [{ zone: 'b' }, { zone: 'b' }, { zone: 'c', vmStatus: 'STOPPED' }, { zone: 'd' }],
        quorumReads: false,
        loadBalancer: false,
      }),
    );
    const severities = assessTopology(t, NOW).findings.map((f) => f.severity);
    expect(severities).toEqual(
      [...severities].sort(
        (x, y) => ['critical', 'warning', 'info'].indexOf(x) - ['critical', 'warning', 'info'].indexOf(y),
      ),
    );
    expect(severities.at(-1)).toBe('info');
    expect(severities[0]).toBe('critical');
  });

  it('maps members to replicas by name, then by peer IP, without the member list being in replica order', () => {
    const t = buildTopology(prodSpec());
    const main = t.etcd.main.members ?? [];
    // Nobody answers status (VMs just restarted): only names and peer URLs can tell who is who.
    const silent = t.replicas.map((r) => ({
      ...r,
      etcd: { main: { ok: false as const, error: 'connect ECONNREFUSED' }, events: r.etcd.events },
    }));
    const renamed: EtcdMember[] = [...main].reverse().map((m, i) => (i === 0 ? { ...m, name: '' } : m));
    expect(Object.fromEntries(bindMembersToReplicas(renamed, silent, 'main'))).toEqual({
      '1001': B,
      '1002': C,
      '1003': D,
    });
  });

  it('maps a member by a peer URL naming the instance (kube-up writes https://<instance>:2380)', () => {
    const t = buildTopology(prodSpec());
    const silent: Replica[] = t.replicas.map((r) => ({
      ...r,
      etcd: { ...r.etcd, main: { ok: false, error: 'connect ECONNREFUSED' } },
    }));
    const member: EtcdMember = { id: '77', name: '', peerUrls: [`https://${C}:2380`], clientUrls: [], isLearner: true };
    expect(bindMembersToReplicas([member], silent, 'main').get('77')).toBe(C);
  });

  it('does not take a replica that answers as another member for the listed one', () => {
    const t = buildTopology(prodSpec());
    // C's etcd answers, but as member 555, which the list does not hold: it runs some other etcd.
    const rogue = withReplica(t, C, (r) => ({
      ...r,
      etcd: {
        ...r.etcd,
        main: {
          ok: true,
          memberId: '555',
          leaderId: '555',
          raftIndex: 1,
          raftTerm: 1,
          dbSize: 1,
          isLearner: false,
          version: '3.4.23',
        },
      },
    }));
    const a = assessTopology(rogue, NOW);
    expect(a.etcd.main).toMatchObject({ voters: 3, healthyVoters: 2, leaderId: '1001' });
    expect(a.findings.map((f) => [f.code, f.subject])).toEqual(
      expect.arrayContaining([
        ['MemberWithoutVm', `etcd-${C}`],
        ['VmWithoutMember', C],
      ]),
    );
  });

  it('reports the leader most members agree on', () => {
    const t = buildTopology(prodSpec());
    const stale = withReplica(t, D, (r) =>
      r.etcd.main.ok ? { ...r, etcd: { ...r.etcd, main: { ...r.etcd.main, leaderId: '1003', raftTerm: 2 } } } : r,
    );
    expect(assessTopology(stale, NOW).etcd.main.leaderId).toBe('1001');
  });
});

describe('replica health', () => {
  const base = buildTopology(prodSpec()).replicas[0];
  if (!base) throw new Error('builder gave no replica');
  const ok = base.etcd.main;
  const refused = { ok: false as const, error: 'connect ECONNREFUSED 10.0.0.2:2379' };
  const timedOut = { ok: false as const, error: timeoutError('no answer within 1500 ms') };
  it.each<{ name: string; replica: Replica; health: ReplicaHealth }>([
    { name: 'running, etcd answers, API ready', replica: base, health: 'healthy' },
    {
      name: 'a learner that answers',
      replica: { ...base, etcd: { main: ok.ok ? { ...ok, isLearner: true } : ok, events: base.etcd.events } },
      health: 'healthy',
    },
    { name: 'VM stopped', replica: { ...base, vmStatus: 'STOPPED' }, health: 'unhealthy' },
    { name: 'VM still provisioning', replica: { ...base, vmStatus: 'PROVISIONING' }, health: 'unhealthy' },
    { name: 'etcd main refuses', replica: { ...base, etcd: { ...base.etcd, main: refused } }, health: 'unhealthy' },
    {
      name: 'API server not ready',
      replica: { ...base, apiServer: { ready: false, live: true } },
      health: 'unhealthy',
    },
    {
      name: 'API server refuses',
      replica: { ...base, apiServer: { ready: null, live: null, error: 'connect ECONNREFUSED' } },
      health: 'unhealthy',
    },
    {
      name: 'etcd events times out',
      replica: { ...base, etcd: { ...base.etcd, events: timedOut } },
      health: 'unknown',
    },
    {
      name: 'API server times out',
      replica: { ...base, apiServer: { ready: null, live: null, error: timedOut.error } },
      health: 'unknown',
    },
    {
      name: 'a raw gRPC deadline from a library',
      replica: {
        ...base,
        etcd: { ...base.etcd, main: { ok: false, error: '4 DEADLINE_EXCEEDED: Deadline exceeded' } },
      },
      health: 'unknown',
    },
    {
      name: 'a negative answer outweighs a time-out',
      replica: { ...base, etcd: { ...base.etcd, main: timedOut }, apiServer: { ready: false, live: true } },
      health: 'unhealthy',
    },
    {
      name: 'stopped VM whose probes timed out',
      replica: { ...base, vmStatus: 'STOPPING', etcd: { main: timedOut, events: timedOut } },
      health: 'unhealthy',
    },
  ])('$name -> $health', ({ replica, health }) => {
    expect(replicaHealthOf(replica)).toBe(health);
    expect(describeReplicaHealth(replica).reasons.length === 0).toBe(health === 'healthy');
  });
});

describe('isTimeoutError', () => {
  it.each([
    ['timeout: no answer from 10.0.0.2:2379 within 1500 ms', true],
    [timeoutError('x'), true],
    ['  Timeout: upper case', true],
    ['4 DEADLINE_EXCEEDED: Deadline exceeded', true],
    ['context deadline exceeded', true],
    ['connect ETIMEDOUT 10.0.0.2:2379', true],
    ['request timed out', true],
    ['ESOCKETTIMEDOUT', true],
    ['connectTimeout exceeded', true],
    ['connect ECONNREFUSED 10.0.0.2:2379', false],
    ['14 UNAVAILABLE: No connection established', false],
    ['certificate signed by unknown authority', false],
    ['HTTP 500', false],
  ])('%s -> %s', (error, expected) => {
    expect(isTimeoutError(error)).toBe(expected);
  });
});

describe('worstFinding', () => {
  const f = (code: FindingCode, severity: Severity): Finding => ({
    code,
    severity,
    subject: null,
    message: 'm.',
    fix: 'F.',
  });
  it.each<{ findings: Finding[]; code: FindingCode | null }>([
    { findings: [], code: null },
    { findings: [f('QuorumReadsOff', 'info')], code: 'QuorumReadsOff' },
    {
      findings: [
        f('QuorumReadsOff', 'info'),
        f('EvenReplicaCount', 'warning'),
        f('TwoReplicaLayout', 'critical'),
        f('QuorumLost', 'critical'),
      ],
      code: 'TwoReplicaLayout',
    },
  ])('-> $code', ({ findings, code }) => {
    expect(worstFinding({ findings })?.code ?? null).toBe(code);
  });

  it('is the first finding of an assessment', () => {
    const a = assessTopology(
      buildTopology(prodSpec({ replicas: [{ zone: 'b' }, { zone: 'c' }], quorumReads: false })),
      NOW,
    );
    expect(worstFinding(a)).toBe(a.findings[0]);
    expect(worstFinding(a)?.code).toBe('TwoReplicaLayout');
  });
});

describe('tolerance is honest (property)', () => {
  const zones = ['a', 'b', 'c', 'f'];
  const replicaSpec = fc.record({
    zone: fc.constantFrom(...zones),
    vmStatus: fc.constantFrom('RUNNING' as const, 'RUNNING' as const, 'RUNNING' as const, 'STOPPED' as const),
    etcd: fc.constantFrom('ok' as const, 'ok' as const, 'ok' as const, 'refused' as const, 'timeout' as const),
  });
  const specs = fc.array(replicaSpec, { minLength: 1, maxLength: 6 }).map((replicas) => stagingSpec({ replicas }));
  const down = { ok: false as const, error: 'connect ECONNREFUSED' };
  const stop = (t: Topology, names: readonly string[]) =>
    names.reduce((acc, name) => withReplica(acc, name, { vmStatus: 'STOPPED', etcd: { main: down, events: down } }), t);
  const quorate = (t: Topology) => {
    const a = assessTopology(t, NOW);
    return a.etcd.main.hasQuorum && a.etcd.events.hasQuorum;
  };
  const subsets = <T>(items: readonly T[], k: number): T[][] =>
    k === 0 ? [[]] : items.flatMap((x, i) => subsets(items.slice(i + 1), k - 1).map((rest) => [x, ...rest]));

  it('losing any canLoseReplicas replicas keeps quorum, and some one more loses it', () => {
    fc.assert(
      fc.property(specs, (spec) => {
        const t = buildTopology(spec);
        const a = assessTopology(t, NOW);
        const names = t.replicas.map((r) => r.name);
        for (const lost of subsets(names, a.canLoseReplicas))
          expect(quorate(stop(t, lost)), `lose ${lost.join(',')}`).toBe(
            a.etcd.main.hasQuorum && a.etcd.events.hasQuorum,
          );
        if (quorate(t) && a.canLoseReplicas + 1 <= names.length) {
          expect(subsets(names, a.canLoseReplicas + 1).some((lost) => !quorate(stop(t, lost)))).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('losing any canLoseZones zones keeps quorum, and each zone keeps it exactly when it says so', () => {
    fc.assert(
      fc.property(specs, (spec) => {
        const t = buildTopology(spec);
        const a = assessTopology(t, NOW);
        const inZones = (zs: readonly string[]) => t.replicas.filter((r) => zs.includes(r.zone)).map((r) => r.name);
        const zoneNames = a.zones.map((z) => z.zone);
        if (quorate(t))
          for (const lost of subsets(zoneNames, a.canLoseZones)) expect(quorate(stop(t, inZones(lost)))).toBe(true);
        for (const z of a.zones) expect(quorate(stop(t, inZones([z.zone]))), z.zone).toBe(z.lossKeepsQuorum);
        const severities = a.findings.map((f) => ['critical', 'warning', 'info'].indexOf(f.severity));
        expect(severities).toEqual([...severities].sort((x, y) => x - y));
      }),
      { numRuns: 300 },
    );
  });
});

describe('noAccessFinding', () => {
  const replica = { name: 'prod-master-abc', zone: 'europe-west1-c' };
  const pinned = `SHA256:${'p'.repeat(43)}`;
  const presented = `SHA256:${'n'.repeat(43)}`;

  it('names both fingerprints of a changed host key and offers it for an admin to trust, never a recovery', () => {
    const f = noAccessFinding(replica, {
      kind: 'host-key',
      reason: reachWhyText('hostKeyChanged', { pinned, presented }),
    });
    expect(f).toMatchObject({ code: 'NoAccess', severity: 'warning', subject: replica.name });
    expect(f.message).toContain(`from ${pinned} (pinned) to ${presented}`);
    expect(f.message).toContain('not counted as failed');
    expect(f.fix).toContain('never accept it unchecked');
    expect(f.hostKey).toEqual({
      replica: replica.name,
      zone: replica.zone,
      pinnedFingerprint: pinned,
      presentedFingerprint: presented,
    });
    expect(f.action).toBeUndefined();
  });

  it.each([
    ['key', "sshd at 198.18.0.5 refused Quorum's key", 'ssh-keys'],
    ['network', 'port 22 of 198.18.0.5 cannot be reached (ECONNREFUSED)', 'sshd runs on the VM'],
    ['host-key', 'the host no longer offers its pinned ssh-ed25519 key; refused', 'serial console'],
  ] as const)('%s: says what to fix, offers nothing to trust or recover', (kind, reason, fix) => {
    const f = noAccessFinding(replica, { kind, reason });
    expect(f.message).toContain(reason);
    expect(f.fix).toContain(fix);
    expect(f.hostKey).toBeUndefined();
    expect(f.action).toBeUndefined();
  });
});
