// The dry run of a plan: the calls each step will make that change something, before anything runs, so an
// operator sees exactly what Quorum will do to the project and to etcd, and the operation keeps the list.
//
// What is listed: Compute mutations (the method as Google's API reference names it, `instances.insert`, and the
// resource as project/zone-or-region-or-global/name), etcd membership calls (MemberAddAsLearner, MemberPromote,
// MemberRemove, MoveLeader) and the backup gate's Snapshot of main and events, instance metadata keys written,
// and where Quorum's SSH key is published. Not listed: reads (instances.get and list, Operations polled, etcd
// status and member lists, probes), and the retries of a listed call (one call, same requestId).
//
// It follows what the step executors (lib/server/operations/steps) do on the normal path, on the world the plan
// was made on: a step whose executor acts only when something holds (the first replica holds the static IP, the
// victim leads etcd, a member is in a member list) lists its call when the observation says it holds, and says
// so in `when`. A name chosen at run time stays the plan's placeholder (`prod-master-???`) and is named in
// `chosenAtRunTime`. Pure: the planner calls it with the topology it planned on (planner.ts).
import { z } from 'zod';
import type { Assessment } from './assessment';
import { STEP_KINDS, type PlanStep } from './planner';
import { ETCD_CLUSTERS, type EtcdClusterName, type Topology } from './topology';

export const PLANNED_ETCD_CALLS = [
  'MemberAddAsLearner',
  'MemberPromote',
  'MemberRemove',
  'MoveLeader',
  'Snapshot',
] as const;
export type PlannedEtcdCall = (typeof PLANNED_ETCD_CALLS)[number];

export type PlannedCall =
  /** `resource`: project/zone/name, project/region/name or project/global/name; `detail` says what the body changes. */
  | { kind: 'compute'; method: string; resource: string; detail?: string; when?: string }
  /** `member`: the etcd member the call is about (`etcd-<instance>`); `at`: where it is sent, when that is known. */
  | { kind: 'etcd'; call: PlannedEtcdCall; cluster: EtcdClusterName; member: string; at?: string; when?: string }
  /** Keys of an instance's metadata written, by the Compute call named in `via`. */
  | { kind: 'metadata'; instance: string; keys: string[]; via: string; detail?: string }
  /** Quorum's SSH login key published (instance-level `ssh-keys`), by the Compute call named in `via`. */
  | { kind: 'ssh-key'; instance: string; via: string; when?: string };

export type StepCalls = { stepId: string; kind: PlanStep['kind']; title: string; calls: PlannedCall[] };

export type PlanCalls = {
  /** Every step of the plan in order; a step that only reads or waits has no calls. */
  steps: StepCalls[];
  /** Placeholders in the list that stand for names the operation picks when it runs (`prod-master-???`). */
  chosenAtRunTime: string[];
};

/** A stored list as read back; null when `value` is none (an operation journaled before plans had dry runs). */
export function parsePlanCalls(value: unknown): PlanCalls | null {
  return (storedSchema ??= planCallsSchema()).safeParse(value).data ?? null;
}

let storedSchema: z.ZodType<PlanCalls> | undefined;

// Built on first use: planner.ts imports this module, so STEP_KINDS is not there yet while it loads.
function planCallsSchema(): z.ZodType<PlanCalls> {
  const when = z.string().optional();
  return z.object({
    steps: z.array(
      z.object({
        stepId: z.string(),
        kind: z.enum(STEP_KINDS),
        title: z.string(),
        calls: z.array(
          z.discriminatedUnion('kind', [
            z.object({
              kind: z.literal('compute'),
              method: z.string(),
              resource: z.string(),
              detail: z.string().optional(),
              when,
            }),
            z.object({
              kind: z.literal('etcd'),
              call: z.enum(PLANNED_ETCD_CALLS),
              cluster: z.enum(ETCD_CLUSTERS),
              member: z.string(),
              at: z.string().optional(),
              when,
            }),
            z.object({
              kind: z.literal('metadata'),
              instance: z.string(),
              keys: z.array(z.string()),
              via: z.string(),
              detail: z.string().optional(),
            }),
            z.object({ kind: z.literal('ssh-key'), instance: z.string(), via: z.string(), when }),
          ]),
        ),
      }),
    ),
    chosenAtRunTime: z.array(z.string()),
  });
}

/** What the dry run needs to know of the world the plan was made on. */
export type DryRunWorld = {
  project: string;
  region: string;
  /** The cluster's replicas as observed, by name; empty for a create. */
  replicas: ReadonlyArray<{
    name: string;
    zone: string;
    externalIp: string | null;
    running: boolean;
    /** Per etcd cluster where it answered status: whether as a voter. */
    etcd: Partial<Record<EtcdClusterName, { voter: boolean }>>;
  }>;
  /** Member names (`etcd-<instance>`) per etcd cluster, null when no member list was read. */
  members: Record<EtcdClusterName, readonly string[] | null>;
  /** The replica leading each etcd cluster, when known. */
  leaders: Record<EtcdClusterName, string | null>;
  /** The cluster's static address (`<master>-ip`) as an IP, when known. */
  staticIp: string | null;
};

/** The world of a plan made on an observation (planOperation). */
export function dryRunWorldOf(t: Topology, a: Pick<Assessment, 'etcd'>): DryRunWorld {
  const leaders = Object.fromEntries(
    ETCD_CLUSTERS.map((cluster) => {
      const id = a.etcd[cluster].leaderId;
      const r =
        id === null
          ? undefined
          : t.replicas.find((x) => {
              const s = x.etcd[cluster];
              return s.ok && s.memberId === id;
            });
      return [cluster, r?.name ?? null];
    }),
  ) as Record<EtcdClusterName, string | null>;
  const members = Object.fromEntries(
    ETCD_CLUSTERS.map((cluster) => [cluster, t.etcd[cluster].members?.map((m) => m.name) ?? null]),
  ) as DryRunWorld['members'];
  return {
    project: t.cluster.project,
    region: t.cluster.region,
    replicas: t.replicas.map((r) => ({
      name: r.name,
      zone: r.zone,
      externalIp: r.externalIp,
      running: r.vmStatus === 'RUNNING',
      etcd: Object.fromEntries(
        ETCD_CLUSTERS.flatMap((cl) => {
          const s = r.etcd[cl];
          return s.ok ? [[cl, { voter: !s.isLearner }]] : [];
        }),
      ),
    })),
    members,
    leaders,
    staticIp: t.staticAddress?.address ?? null,
  };
}

/** The world of a create: nothing exists yet. */
export function emptyDryRunWorld(project: string, region: string): DryRunWorld {
  return {
    project,
    region,
    replicas: [],
    members: { main: [], events: [] },
    leaders: { main: null, events: null },
    staticIp: null,
  };
}

/**
 * Metadata that belongs to one instance and must not follow it to a sibling (sibling-spec.ts drops it): login keys
 * (gcloud compute ssh and Quorum's own reach publish them per instance; the guest agent would grant the source's
 * users a login) and kube-up's `kube-master-internal-ip` (attach-internal-master-ip gives it to one master only).
 */
export const INSTANCE_SPECIFIC_METADATA: readonly string[] = [
  'ssh-keys',
  'sshKeys',
  'windows-keys',
  'kube-master-internal-ip',
];
/** What a new replica's insert writes anew: kube-env (its etcd peer certificate, INITIAL_ETCD_CLUSTER), kube-master-certs, Quorum's key. */
const NEW_REPLICA_KEYS = ['kube-env', 'kube-master-certs', 'ssh-keys'];
/** The first master's metadata, as kube-up writes it (lib/pki/first-master.ts). */
const FIRST_MASTER_KEYS = ['kube-env', 'kube-master-certs', 'cluster-name', 'cluster-location'];

const PLACEHOLDER = /-\?\?\?(-\d+)?$/;

/** The calls of every step of `steps`, on `world`. */
export function listPlanCalls(steps: readonly PlanStep[], world: DryRunWorld, masterName: string): PlanCalls {
  const w = new World(world);
  const out = steps.map((step) => ({
    stepId: step.id,
    kind: step.kind,
    title: step.title,
    calls: callsOf(step, w, masterName),
  }));
  const chosen = new Set<string>();
  for (const step of steps) {
    const name = step.params.name;
    if (step.params.namePending === true && typeof name === 'string' && PLACEHOLDER.test(name)) chosen.add(name);
  }
  return { steps: out, chosenAtRunTime: [...chosen] };
}

/** The world as the steps before change it: an add's new replica is there for the steps after it. */
class World {
  readonly replicas: Map<string, DryRunWorld['replicas'][number]>;
  readonly members: Record<EtcdClusterName, Set<string> | null>;
  constructor(readonly w: DryRunWorld) {
    this.replicas = new Map(w.replicas.map((r) => [r.name, r]));
    this.members = {
      main: w.members.main && new Set(w.members.main),
      events: w.members.events && new Set(w.members.events),
    };
  }
  zonal(zone: string, name: string): string {
    return `${this.w.project}/${zone}/${name}`;
  }
  regional(name: string): string {
    return `${this.w.project}/${this.w.region}/${name}`;
  }
  global(name: string): string {
    return `${this.w.project}/global/${name}`;
  }
  /** Whether `etcd-<name>` is a member of `cluster`; unknown lists count as yes (the executor asks and acts). */
  isMember(cluster: EtcdClusterName, name: string): boolean {
    const list = this.members[cluster];
    return list === null || list.has(`etcd-${name}`);
  }
  /** Replicas by name, as listReplicas sorts them. */
  sorted() {
    return [...this.replicas.values()].sort((a, b) => a.name.localeCompare(b.name));
  }
}

const str = (step: PlanStep, key: string): string => {
  const v = step.params[key];
  return typeof v === 'string' ? v : '';
};

function callsOf(step: PlanStep, w: World, master: string): PlannedCall[] {
  const zone = str(step, 'zone');
  const name = str(step, 'name');
  const compute = (method: string, resource: string, more: { detail?: string; when?: string } = {}): PlannedCall => ({
    kind: 'compute',
    method,
    resource,
    ...more,
  });
  switch (step.kind) {
    case 'snapshot-etcd': {
      // verifiedSnapshot: running voters that answer, other than the one a removal takes out, followers first, by name.
      const exclude = str(step, 'exclude');
      return ETCD_CLUSTERS.map((cluster) => {
        const from = w
          .sorted()
          .filter((r) => r.running && r.name !== exclude && r.etcd[cluster]?.voter === true)
          .sort((a, b) => Number(w.w.leaders[cluster] === a.name) - Number(w.w.leaders[cluster] === b.name))[0];
        return {
          kind: 'etcd',
          call: 'Snapshot',
          cluster,
          member: from ? `etcd-${from.name}` : 'a healthy voter',
          ...(from ? { at: from.name } : {}),
        } satisfies PlannedCall;
      });
    }
    case 'move-first-replica-to-ephemeral-ip': {
      const first = w.replicas.get(name);
      const where = w.zonal(first?.zone ?? zone, name);
      // Holding the static IP (kube-up's single master): its access config goes, an ephemeral one comes.
      if (first && first.externalIp !== null && first.externalIp !== w.w.staticIp) return [];
      const calls: PlannedCall[] = [];
      if (first?.externalIp !== null)
        calls.push(
          compute('instances.deleteAccessConfig', where, {
            detail: `frees the static IP ${w.w.staticIp ?? ''}`.trim(),
          }),
        );
      calls.push(compute('instances.addAccessConfig', where, { detail: 'an ephemeral external IP' }));
      if (first) w.replicas.set(name, { ...first, externalIp: 'ephemeral' });
      return calls;
    }
    case 'create-target-pool':
      return [
        compute('targetPools.insert', w.regional(str(step, 'targetPool')), {
          detail: `with ${str(step, 'instances').split(',').join(', ')}`,
        }),
      ];
    case 'create-forwarding-rule':
      return [
        compute('forwardingRules.insert', w.regional(str(step, 'forwardingRule')), {
          detail: `on the static IP, port ${String(step.params.port ?? 443)}`,
        }),
      ];
    case 'add-learner':
      return ETCD_CLUSTERS.flatMap((cluster): PlannedCall[] => {
        const list = w.members[cluster];
        if (list?.has(`etcd-${name}`)) return [];
        list?.add(`etcd-${name}`);
        return [{ kind: 'etcd', call: 'MemberAddAsLearner', cluster, member: `etcd-${name}` }];
      });
    case 'create-disk': {
      const disk = str(step, 'disk') || `${name}-pd`;
      return [
        compute('disks.insert', w.zonal(zone, disk), {
          detail: str(step, 'masterName') !== '' ? '20 GB pd-ssd' : `size and type of the source's data disk`,
        }),
      ];
    }
    case 'create-instance': {
      const where = w.zonal(zone, name);
      if (str(step, 'masterName') !== '') {
        // A create's first master: kube-up's metadata, no login key (Quorum publishes it when it first gets in).
        w.replicas.set(name, { name, zone, externalIp: w.w.staticIp, running: true, etcd: {} });
        return [
          compute('instances.insert', where, { detail: 'the first master, holding the static IP' }),
          { kind: 'metadata', instance: where, keys: FIRST_MASTER_KEYS, via: 'instances.insert' },
        ];
      }
      const source = w.sorted().find((r) => r.running && r.name !== name);
      w.replicas.set(name, { name, zone, externalIp: 'ephemeral', running: true, etcd: {} });
      return [
        compute('instances.insert', where, { detail: `a sibling of ${source?.name ?? 'a running replica'}` }),
        {
          kind: 'metadata',
          instance: where,
          keys: NEW_REPLICA_KEYS,
          via: 'instances.insert',
          detail: `the rest of ${source?.name ?? 'the source'}'s metadata is copied as it is, except ${INSTANCE_SPECIFIC_METADATA.join(', ')}`,
        },
        { kind: 'ssh-key', instance: where, via: 'instances.insert' },
      ];
    }
    case 'add-to-target-pool':
      return [compute('targetPools.addInstance', w.regional(str(step, 'targetPool')), { detail: `adds ${name}` })];
    case 'promote-learner': {
      const added = w.replicas.get(name);
      if (added) w.replicas.set(name, { ...added, etcd: { main: { voter: true }, events: { voter: true } } });
      return ETCD_CLUSTERS.map((cluster): PlannedCall => ({
        kind: 'etcd',
        call: 'MemberPromote',
        cluster,
        member: `etcd-${name}`,
      }));
    }
    case 'move-leadership':
      // MoveLeader goes to the victim while it leads; a victim that does not answer is skipped (and logged).
      return ETCD_CLUSTERS.flatMap((cluster): PlannedCall[] => {
        if (w.w.leaders[cluster] !== name || !w.isMember(cluster, name) || !w.replicas.get(name)?.etcd[cluster])
          return [];
        return [
          {
            kind: 'etcd',
            call: 'MoveLeader',
            cluster,
            member: `etcd-${name}`,
            at: name,
            when: `${name} leads etcd ${cluster} now; not sent if it no longer does when the step runs`,
          },
        ];
      });
    case 'remove-member':
      return ETCD_CLUSTERS.flatMap((cluster): PlannedCall[] => {
        if (!w.isMember(cluster, name)) return [];
        w.members[cluster]?.delete(`etcd-${name}`);
        return [{ kind: 'etcd', call: 'MemberRemove', cluster, member: `etcd-${name}` }];
      });
    case 'remove-from-target-pool':
      return [
        compute('targetPools.removeInstance', w.regional(str(step, 'targetPool')), { detail: `removes ${name}` }),
      ];
    case 'delete-instance': {
      const known = w.replicas.get(name);
      w.replicas.delete(name);
      return [
        compute(
          'instances.delete',
          w.zonal(known?.zone ?? zone, name),
          known ? {} : { when: `${name} had no VM when planned: nothing to delete then` },
        ),
      ];
    }
    case 'delete-disk':
      return [compute('disks.delete', w.zonal(zone, str(step, 'disk') || `${name}-pd`))];
    case 'restart-instance':
      return [
        compute(`instances.${str(step, 'action') === 'start' ? 'start' : 'reset'}`, w.zonal(zone, name), {
          detail: 'its disks and etcd members stay',
        }),
      ];
    case 'delete-forwarding-rule':
      return [
        compute('forwardingRules.delete', w.regional(str(step, 'forwardingRule')), { detail: 'frees the static IP' }),
      ];
    case 'return-static-ip-to-last-replica': {
      const lastName = str(step, 'lastReplica');
      const last = w.replicas.get(lastName);
      const where = w.zonal(last?.zone ?? zone, lastName);
      if (last && w.w.staticIp !== null && last.externalIp === w.w.staticIp) return [];
      const calls: PlannedCall[] = [];
      if (last?.externalIp !== null)
        calls.push(compute('instances.deleteAccessConfig', where, { detail: 'its ephemeral external IP' }));
      calls.push(compute('instances.addAccessConfig', where, { detail: `the static IP ${w.w.staticIp ?? ''}`.trim() }));
      return calls;
    }
    case 'delete-target-pool':
      return [compute('targetPools.delete', w.regional(str(step, 'targetPool')))];
    case 'create-firewall-rules':
      return [
        compute('firewalls.insert', w.global(`${master}-etcd`), { detail: `tcp:2380-2381 between the masters` }),
        compute('firewalls.insert', w.global(`${master}-https`), { detail: 'tcp:443 from anywhere' }),
      ];
    case 'reserve-static-address':
      return [compute('addresses.insert', w.regional(str(step, 'address') || `${master}-ip`))];
    case 'await-etcd': {
      // The first connection to the new master publishes Quorum's key: its insert carried none.
      const where = w.zonal(zone, name);
      const when = `when this step is the first to get into ${name}; not sent if an observation of the new cluster got in before`;
      return [
        compute('instances.setMetadata', where, { detail: "adds Quorum's SSH key", when }),
        {
          kind: 'metadata',
          instance: where,
          keys: ['ssh-keys'],
          via: 'instances.setMetadata',
          detail: 'every other item is written back as it was read',
        },
        { kind: 'ssh-key', instance: where, via: 'instances.setMetadata', when },
      ];
    }
    case 'pick-name':
    case 'issue-certificates':
    case 'issue-cluster-certificates':
    case 'await-cluster-address':
    case 'await-learner-catch-up':
    case 'await-api-server':
    case 'resolve-replica':
    case 'await-replica-rejoined':
    case 'verify':
      return [];
  }
}

/** A call in one line, for logs and tests: `compute instances.insert p/z/n`, `etcd MemberPromote main etcd-n`. */
export function callLine(call: PlannedCall): string {
  switch (call.kind) {
    case 'compute':
      return `compute ${call.method} ${call.resource}`;
    case 'etcd':
      return `etcd ${call.call} ${call.cluster} ${call.member}`;
    case 'metadata':
      return `metadata ${call.instance} ${call.keys.join(',')}`;
    case 'ssh-key':
      return `ssh-key ${call.instance}`;
  }
}

/** The list with each placeholder replaced by the name the run picked (`names`: placeholder -> name). */
export function withNamesChosen(calls: PlanCalls, names: Readonly<Record<string, string>>): PlanCalls {
  // Longest first: `prod-master-???` is a prefix of `prod-master-???-2`.
  const pairs = Object.entries(names).sort(([a], [b]) => b.length - a.length);
  const sub = (s: string) => pairs.reduce((acc, [from, to]) => acc.split(from).join(to), s);
  const fix = (c: PlannedCall): PlannedCall => {
    switch (c.kind) {
      case 'compute':
        return { ...c, resource: sub(c.resource), ...(c.detail !== undefined ? { detail: sub(c.detail) } : {}) };
      case 'etcd':
        return { ...c, member: sub(c.member) };
      case 'metadata':
      case 'ssh-key':
        return { ...c, instance: sub(c.instance) };
    }
  };
  return {
    steps: calls.steps.map((s) => ({ ...s, title: sub(s.title), calls: s.calls.map(fix) })),
    chosenAtRunTime: calls.chosenAtRunTime.filter((p) => !(p in names)),
  };
}
