// Invariants of the planner over random clusters and intents (issue 3): whatever the planner returns, a plan
// never passes through a state without quorum, ends where it says it ends, and adds only to a healthy cluster.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { assessTopology } from './assessment';
import { DOMAIN_ERROR_CODES } from './errors';
import { layoutOf, toleranceOf, votersOf, type Layout } from './layout';
import { planOperation, type ClusterIntent, type Plan } from './planner';
import { NOW, buildTopology, type ProbeSpec, type ReplicaSpec, type TopologySpec } from './testing/topology-builder';
import type { VmStatus } from './topology';

const REGION = 'us-central1';
const MASTER = 'q-master';
const LETTERS = ['a', 'b', 'c', 'f'] as const;
const ZONES = LETTERS.map((l) => `${REGION}-${l}`);
const FOREIGN_ZONES = ['us-east1-b', 'us-central1-z'];

const replicaArb: fc.Arbitrary<ReplicaSpec> = fc.record({
  zone: fc.constantFrom(...LETTERS),
  vmStatus: fc.oneof(
    { weight: 9, arbitrary: fc.constant<VmStatus>('RUNNING') },
    { weight: 1, arbitrary: fc.constantFrom<VmStatus>('STOPPED', 'PROVISIONING') },
  ),
  etcd: fc.oneof(
    { weight: 12, arbitrary: fc.constant<ProbeSpec>('ok') },
    { weight: 1, arbitrary: fc.constantFrom<ProbeSpec>('refused', 'timeout') },
  ),
});

/**
 * 1..7 replicas over the region's zones, random health, now and then a learner left by an unfinished add or a
 * voting member whose VM is gone.
 */
const specArb: fc.Arbitrary<TopologySpec> = fc
  .tuple(
    fc.array(replicaArb, { minLength: 1, maxLength: 7 }),
    fc.oneof({ weight: 6, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.nat(6) }),
    fc.oneof({ weight: 8, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 2 }) }),
  )
  .map(([replicas, learnerAt, strays]) => ({
    region: REGION,
    masterName: MASTER,
    replicas: replicas.map((r, i) => (learnerAt !== null && i === learnerAt && i > 0 ? { ...r, learner: true } : r)),
    extraMembers: Array.from({ length: strays }, (_, i) => ({ name: `etcd-${MASTER}-s0${i}` })),
  }));

const zoneArb = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom(...ZONES) },
  { weight: 1, arbitrary: fc.constantFrom(...FOREIGN_ZONES) },
);

const intentArb = (spec: TopologySpec): fc.Arbitrary<ClusterIntent> => {
  const names = spec.replicas.map(
    (_, i) => `${MASTER}-${spec.replicas[i]?.zone ?? 'a'}${String(i + 1).padStart(2, '0')}`,
  );
  return fc.oneof(
    zoneArb.map((zone): ClusterIntent => ({ kind: 'add-replica', zone })),
    fc
      .tuple(fc.oneof(fc.constantFrom(...names), fc.constant(`${MASTER}-zzz`)), fc.option(zoneArb, { freq: 2 }))
      .map(([name, zone]): ClusterIntent =>
        zone === null ? { kind: 'replace-replica', name } : { kind: 'replace-replica', name, zone },
      ),
    fc
      .tuple(fc.option(zoneArb, { freq: 2 }), fc.option(fc.constantFrom(...names), { freq: 2 }))
      .map(([zone, name]): ClusterIntent => ({
        kind: 'rebalance',
        ...(zone === null ? {} : { zone }),
        ...(name === null ? {} : { name }),
      })),
    fc
      .tuple(zoneArb, fc.option(fc.oneof(fc.constantFrom(...names), fc.constant(`${MASTER}-zzz`)), { freq: 2 }))
      .map(([zone, name]): ClusterIntent =>
        name === null ? { kind: 'remove-replica', zone } : { kind: 'remove-replica', zone, name },
      ),
    fc
      .tuple(fc.integer({ min: 0, max: 8 }), fc.option(fc.array(zoneArb, { minLength: 0, maxLength: 7 }), { freq: 3 }))
      .map(([replicas, zones]): ClusterIntent =>
        zones === null ? { kind: 'scale', replicas } : { kind: 'scale', replicas, zones },
      ),
    // Scale with a zone list of the right length, so the explicit-zones path is exercised beyond InvalidInput.
    fc.integer({ min: 1, max: 7 }).chain((replicas) =>
      fc
        .array(fc.constantFrom(...ZONES), {
          minLength: Math.abs(replicas - spec.replicas.length),
          maxLength: Math.abs(replicas - spec.replicas.length),
        })
        .map((zones): ClusterIntent => ({ kind: 'scale', replicas, zones })),
    ),
  );
};

const caseArb = specArb.chain((spec) =>
  fc.record({
    spec: fc.constant(spec),
    intent: intentArb(spec),
    operationInProgress: fc.oneof(
      { weight: 9, arbitrary: fc.constant(false) },
      { weight: 1, arbitrary: fc.constant(true) },
    ),
    newNames: fc.option(
      fc
        .uniqueArray(fc.constantFrom('n01', 'n02', 'n03', 'n04', 'n05', 'n06', 'n07'), { maxLength: 7 })
        .map((s) => s.map((x) => `${MASTER}-${x}`)),
      { freq: 2 },
    ),
  }),
);

type Case = { spec: TopologySpec; intent: ClusterIntent; operationInProgress: boolean; newNames: string[] | null };

function run(c: Case) {
  const topology = buildTopology(c.spec);
  const assessment = assessTopology(topology, NOW);
  const result = planOperation({
    topology,
    assessment,
    intent: c.intent,
    operationInProgress: c.operationInProgress,
    newNames: c.newNames ?? undefined,
  });
  return { topology, assessment, start: layoutOf(topology, assessment), result };
}

const zoneCounts = (l: Layout): Map<string, number> => {
  const m = new Map<string, number>();
  for (const r of l.replicas) m.set(r.zone, (m.get(r.zone) ?? 0) + 1);
  return m;
};
const endOf = (plan: Plan): Layout | undefined => plan.steps[plan.steps.length - 1]?.layoutAfter;
const learners = (l: Layout) => l.replicas.filter((r) => r.role === 'learner').length;

const RUNS = { numRuns: 600 };
/** A few hundred plans take 1-3 s here; vitest's 5 s default would flake on a busy machine. */
const PROPERTY_TIMEOUT_MS = 60_000;

describe('planner invariants', () => {
  it(
    '(a) no step leaves fewer healthy voters than quorum; two voters only as a marked transient with both healthy',
    () => {
      fc.assert(
        fc.property(caseArb, (c) => {
          const { result } = run(c);
          if (!result.ok) return;
          expect(result.plan.before.hasQuorum).toBe(true);
          for (const step of result.plan.steps) {
            const tol = step.toleranceAfter;
            expect(tol).toEqual(toleranceOf(step.layoutAfter));
            expect(tol.healthyVoters).toBeGreaterThanOrEqual(tol.quorum);
            expect(tol.hasQuorum).toBe(true);
            if (tol.voters === 2) {
              expect(step.transient).toBeTruthy();
              expect(tol.healthyVoters).toBe(2);
            } else {
              expect(step.transient).toBeUndefined();
            }
          }
        }),
        RUNS,
      );
    },
    PROPERTY_TIMEOUT_MS,
  );

  it(
    '(b) every plan ends in the layout it promised',
    () => {
      fc.assert(
        fc.property(caseArb, (c) => {
          const { start, result } = run(c);
          if (!result.ok) return;
          const { plan } = result;
          const end = endOf(plan);
          expect(end).toBeDefined();
          if (!end) return;
          expect(plan.after).toEqual(toleranceOf(end));
          // A plan never creates a two-voter end state; removing a leftover learner from one may keep it.
          if (plan.after.voters === 2) expect(plan.before.voters).toBe(2);
          expect(end.loadBalancer).toBe(end.replicas.length > 1);
          expect(learners(end)).toBeLessThanOrEqual(learners(start));
          const before = zoneCounts(start);
          const after = zoneCounts(end);
          const delta = (zone: string) => (after.get(zone) ?? 0) - (before.get(zone) ?? 0);
          const intent = c.intent;
          switch (intent.kind) {
            case 'add-replica':
              expect(end.replicas.length).toBe(start.replicas.length + 1);
              expect(delta(intent.zone)).toBe(1);
              break;
            case 'replace-replica': {
              expect(end.replicas.length).toBe(start.replicas.length);
              expect(end.replicas.map((r) => r.name)).not.toContain(intent.name);
              // One replica leaves the victim's zone and one joins the zone of the add (the asked one, if any).
              const victimZone = start.replicas.find((r) => r.name === intent.name)?.zone;
              const addZone = plan.steps.find((st) => st.kind === 'add-learner')?.params.zone;
              if (intent.zone !== undefined) expect(addZone).toBe(intent.zone);
              for (const z of new Set([...before.keys(), ...after.keys()]))
                expect(delta(z)).toBe((z === addZone ? 1 : 0) - (z === victimZone ? 1 : 0));
              // The add needed every other voter healthy, so all are at the end.
              expect(end.replicas.every((r) => r.role === 'voter' && r.healthy)).toBe(true);
              break;
            }
            case 'rebalance': {
              // Same number of replicas, one more zone used, and the zone that lost one had two or more.
              expect(end.replicas.length).toBe(start.replicas.length);
              expect(after.size).toBe(new Set(start.replicas.map((r) => r.zone)).size + 1);
              const gained = [...after.keys()].filter((z) => delta(z) === 1);
              const lost = [...before.keys()].filter((z) => delta(z) === -1);
              expect(gained).toHaveLength(1);
              expect(lost).toHaveLength(1);
              expect(before.get(lost[0] ?? '') ?? 0).toBeGreaterThanOrEqual(2);
              if (intent.zone !== undefined) expect(gained).toEqual([intent.zone]);
              if (intent.name !== undefined) expect(end.replicas.map((r) => r.name)).not.toContain(intent.name);
              break;
            }
            case 'remove-replica':
              expect(end.replicas.length).toBe(start.replicas.length - 1);
              expect(delta(intent.zone)).toBe(-1);
              if (intent.name !== undefined) expect(end.replicas.map((r) => r.name)).not.toContain(intent.name);
              expect(plan.summary).toContain(plan.steps[0]?.params.name);
              break;
            case 'scale': {
              expect(end.replicas.length).toBe(intent.replicas);
              if (intent.zones) {
                const sign = intent.replicas > start.replicas.length ? 1 : -1;
                for (const zone of new Set(intent.zones))
                  expect(delta(zone)).toBe(sign * intent.zones.filter((z) => z === zone).length);
              }
              break;
            }
          }
          // Replicas that were not touched keep their place.
          const kept = start.replicas.filter((r) => end.replicas.some((e) => e.name === r.name));
          for (const r of kept) expect(end.replicas.find((e) => e.name === r.name)?.zone).toBe(r.zone);
        }),
        RUNS,
      );
    },
    PROPERTY_TIMEOUT_MS,
  );

  it(
    '(c) refusals never come with steps, and carry a domain code and words',
    () => {
      fc.assert(
        fc.property(caseArb, (c) => {
          const { result } = run(c);
          if (result.ok) return;
          expect(result).not.toHaveProperty('plan');
          expect(DOMAIN_ERROR_CODES).toContain(result.refusal.code);
          expect(result.refusal.message.length).toBeGreaterThan(10);
          if (c.operationInProgress) expect(result.refusal.code).toBe('OperationInProgress');
        }),
        RUNS,
      );
    },
    PROPERTY_TIMEOUT_MS,
  );

  it(
    '(d) no plan adds while a voter is unhealthy or a learner is pending',
    () => {
      fc.assert(
        fc.property(caseArb, (c) => {
          const { start, assessment, result } = run(c);
          if (!result.ok) return;
          // Checked on the layout just before each member add: a replace adds after taking the failed voter out.
          let prev = start;
          for (const step of result.plan.steps) {
            if (step.kind === 'add-learner') {
              expect(votersOf(prev).every((r) => r.healthy)).toBe(true);
              expect(learners(prev)).toBe(0);
              expect(prev.strayVoters).toBe(0);
            }
            prev = step.layoutAfter;
          }
          // A plain add or scale-up also needs etcd's own view of the voters to be all healthy at the start.
          if (
            c.intent.kind === 'add-replica' ||
            (c.intent.kind === 'scale' && c.intent.replicas > start.replicas.length)
          ) {
            for (const q of [assessment.etcd.main, assessment.etcd.events]) expect(q.healthyVoters).toBe(q.voters);
          }
        }),
        RUNS,
      );
    },
    PROPERTY_TIMEOUT_MS,
  );

  it(
    'changes membership one member at a time, with at most one learner, and never in another region',
    () => {
      fc.assert(
        fc.property(caseArb, (c) => {
          const { start, result } = run(c);
          if (!result.ok) return;
          const members = (l: Layout) => new Set(l.replicas.map((r) => `${r.name}:${r.role}`));
          let prev = start;
          for (const step of result.plan.steps) {
            const l = step.layoutAfter;
            // One member added, promoted or removed per step, at most: a promotion changes one entry's role.
            const [was, now] = [members(prev), members(l)];
            const gone = [...was].filter((m) => !now.has(m)).length;
            const come = [...now].filter((m) => !was.has(m)).length;
            expect(Math.max(gone, come)).toBeLessThanOrEqual(1);
            expect(learners(l)).toBeLessThanOrEqual(Math.max(1, learners(start)));
            prev = l;
          }
          const added = prev.replicas.filter((r) => !start.replicas.some((s) => s.name === r.name));
          for (const r of added) expect(ZONES).toContain(r.zone);
          expect(new Set(result.plan.steps.map((s) => s.id)).size).toBe(result.plan.steps.length);
        }),
        RUNS,
      );
    },
    PROPERTY_TIMEOUT_MS,
  );

  it(
    '(e) a verified-snapshot step precedes every group of membership changes, in every plan kind',
    () => {
      const MEMBERSHIP = new Set(['add-learner', 'promote-learner', 'remove-member']);
      const groupOf = (id: string) => id.slice(0, id.lastIndexOf(':'));
      fc.assert(
        fc.property(caseArb, fc.boolean(), (c, override) => {
          const topology = buildTopology(c.spec);
          const assessment = assessTopology(topology, NOW);
          const result = planOperation({
            topology,
            assessment,
            intent: c.intent,
            operationInProgress: c.operationInProgress,
            newNames: c.newNames ?? undefined,
            ...(override ? { backupGateOverride: { reason: 'the snapshot disk is being replaced' } } : {}),
          });
          if (!result.ok) return;
          const steps = result.plan.steps;
          const groups = new Map<string, number[]>();
          steps.forEach((s, i) => groups.set(groupOf(s.id), [...(groups.get(groupOf(s.id)) ?? []), i]));
          for (const indices of groups.values()) {
            const gates = indices.filter((i) => steps[i]?.kind === 'snapshot-etcd');
            const changes = indices.filter((i) => MEMBERSHIP.has(steps[i]?.kind ?? ''));
            // Exactly one gate in each add or removal, none where membership does not change.
            expect(gates.length).toBe(changes.length > 0 ? 1 : 0);
            const [gate] = gates;
            const [first] = changes;
            if (gate === undefined || first === undefined) continue;
            expect(gate).toBeLessThan(first);
            // Nothing between the gate and the first membership change touches etcd members; the gate itself neither.
            const members = (i: number) =>
              JSON.stringify(
                (i < 0 ? layoutOf(topology, assessment) : steps[i]?.layoutAfter)?.replicas.map(
                  (r) => `${r.name}:${r.role}`,
                ),
              );
            for (let i = gate; i < first; i++) expect(members(i)).toBe(members(i - 1));
            const step = steps[gate];
            expect(step?.params.gateOverridden === true).toBe(override);
            const removed = steps.find((s, i) => indices.includes(i) && s.kind === 'resolve-replica')?.params.name;
            if (removed !== undefined) expect(step?.params.exclude).toBe(removed);
          }
          // Every membership change has its group's gate before it (a scale has one per add or removal).
          for (const [i, s] of steps.entries()) {
            if (!MEMBERSHIP.has(s.kind)) continue;
            expect(steps.slice(0, i).some((g) => g.kind === 'snapshot-etcd' && groupOf(g.id) === groupOf(s.id))).toBe(
              true,
            );
          }
        }),
        RUNS,
      );
    },
    PROPERTY_TIMEOUT_MS,
  );

  it(
    'is deterministic',
    () => {
      fc.assert(
        fc.property(caseArb, (c) => {
          expect(run(c).result).toEqual(run(c).result);
        }),
        { numRuns: 200 },
      );
    },
    PROPERTY_TIMEOUT_MS,
  );
});
