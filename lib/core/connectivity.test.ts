import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  cutPairs,
  cutZonePairs,
  linked,
  membersHoldingQuorum,
  membersThatCanBeLost,
  possibleLeaders,
  someMemberReachesQuorum,
  zoneLossKeepsLeader,
  zonesThatCanBeLostGiven,
  type GraphMember,
  type PeerGraph,
} from './connectivity';
import { remainingFailures, zonesThatCanBeLost } from './quorum';

/** Members 1..n in the given zones, each seeing every other except across `cuts` (ids); `unknown` report nothing. */
function graph(
  zones: string[],
  cuts: Array<[number, number]> = [],
  opts: { voters?: number; unknown?: number[] } = {},
): PeerGraph {
  const ids = zones.map((_, i) => String(i + 1));
  const cut = (a: string, b: string) =>
    cuts.some(([x, y]) => (String(x) === a && String(y) === b) || (String(x) === b && String(y) === a));
  const members: GraphMember[] = ids.map((id, i) => ({
    id,
    zone: zones[i] ?? '',
    sees: opts.unknown?.includes(i + 1) ? null : new Set(ids.filter((o) => o !== id && !cut(id, o))),
  }));
  return { voters: opts.voters ?? zones.length, members };
}

describe('links', () => {
  it('a pair is cut only when every side that reported lacks the other; one side listing the other links it', () => {
    const a = { id: '1', zone: 'b', sees: new Set(['2']) };
    const b = { id: '2', zone: 'c', sees: new Set<string>() };
    const c = { id: '3', zone: 'd', sees: null };
    expect(linked(a, b)).toBe(true); // b's gauge for 1 at 0 (etcd-io/etcd#14523) while 1 sees 2
    expect(linked(b, a)).toBe(true);
    expect(linked(b, { id: '4', zone: 'd', sees: new Set(['1']) })).toBe(false); // both sides lack the other
    expect(linked(a, c)).toBe(false); // a does not list 3, and 3 said nothing
    expect(linked(c, { id: '4', zone: 'd', sees: null })).toBe(true);
    expect(linked({ id: '1', zone: 'b', sees: new Set(['3']) }, c)).toBe(true);
  });
});

describe('tolerance from the links (raft: a leader needs direct links to a majority, itself included)', () => {
  const cases: Array<{
    name: string;
    g: PeerGraph;
    replicas: number;
    zones: number;
    leaders: string[];
    holding: string[];
  }> = [
    {
      name: '3 voters fully linked: as counted',
      g: graph(['b', 'c', 'd']),
      replicas: 1,
      zones: 1,
      leaders: ['1', '2', '3'],
      holding: [],
    },
    {
      name: '3 voters, b|c cut: each still reaches a majority through d, and losing d stops the cluster',
      g: graph(['b', 'c', 'd'], [[1, 2]]),
      replicas: 0,
      zones: 0,
      leaders: ['1', '2', '3'],
      holding: ['3'],
    },
    {
      name: '3 voters, all cut: nobody can lead',
      g: graph(
        ['b', 'c', 'd'],
        [
          [1, 2],
          [1, 3],
          [2, 3],
        ],
      ),
      replicas: 0,
      zones: 0,
      leaders: [],
      holding: [],
    },
    {
      name: '5 voters, one pair cut: any three left include one linked to both others, so as counted',
      g: graph(['b', 'c', 'd', 'd', 'b'], [[1, 2]]),
      replicas: 2,
      zones: 1,
      leaders: ['1', '2', '3', '4', '5'],
      holding: [],
    },
    {
      name: '5 voters, 2|3 split: the side of three can lead, and losing any one of them ends it',
      g: graph(
        ['b', 'b', 'c', 'c', 'c'],
        [
          [1, 3],
          [1, 4],
          [1, 5],
          [2, 3],
          [2, 4],
          [2, 5],
        ],
      ),
      replicas: 0,
      zones: 0,
      leaders: ['3', '4', '5'],
      holding: ['3', '4', '5'],
    },
    {
      name: '3 voters, one down (2 healthy), linked',
      g: { voters: 3, members: graph(['b', 'c']).members },
      replicas: 0,
      zones: 0,
      leaders: ['1', '2'],
      holding: ['1', '2'],
    },
    { name: 'single voter', g: graph(['b']), replicas: 0, zones: 0, leaders: ['1'], holding: ['1'] },
  ];
  it.each(cases)('$name', ({ g, replicas, zones, leaders, holding }) => {
    expect(membersThatCanBeLost(g)).toBe(replicas);
    expect(zonesThatCanBeLostGiven(g)).toBe(zones);
    expect(possibleLeaders(g).map((m) => m.id)).toEqual(leaders);
    expect(membersHoldingQuorum(g).map((m) => m.id)).toEqual(holding);
  });

  it('zone losses: with b|c cut, losing d loses the leader, losing b or c does not', () => {
    const g = graph(['b', 'c', 'd'], [[1, 2]]);
    expect(zoneLossKeepsLeader(g, 'd')).toBe(false);
    expect(zoneLossKeepsLeader(g, 'b')).toBe(true);
    expect(zoneLossKeepsLeader(g, 'c')).toBe(true);
  });

  it('cut pairs and zones: a pair neither side reported on is not called cut', () => {
    const g = graph(['b', 'c', 'd'], [[1, 2]]);
    expect(cutPairs(g).map(([a, b]) => [a.id, b.id])).toEqual([['1', '2']]);
    expect(cutZonePairs(g)).toEqual([['b', 'c']]);
    const silent = graph(['b', 'c', 'd'], [], { unknown: [1, 2, 3] });
    expect(cutPairs(silent)).toEqual([]);
    // Zones b and c each hold two members; only one cross pair cut: no zone cut.
    const partial = graph(['b', 'b', 'c', 'c', 'd'], [[1, 3]]);
    expect(cutPairs(partial).map(([a, b]) => [a.id, b.id])).toEqual([['1', '3']]);
    expect(cutZonePairs(partial)).toEqual([]);
  });
});

// Random clusters: up to 9 healthy voters (plus some down), zones a..d, random cut links, random unreported views.
const graphArb: fc.Arbitrary<{ g: PeerGraph; complete: PeerGraph }> = fc
  .record({
    zones: fc.array(fc.constantFrom('a', 'b', 'c', 'd'), { minLength: 1, maxLength: 9 }),
    down: fc.nat({ max: 3 }),
    cutSeed: fc.array(fc.boolean(), { minLength: 36, maxLength: 36 }),
    unknownSeed: fc.array(fc.boolean(), { minLength: 9, maxLength: 9 }),
  })
  .map(({ zones, down, cutSeed, unknownSeed }) => {
    const cuts: Array<[number, number]> = [];
    let k = 0;
    for (let i = 1; i <= zones.length; i++)
      for (let j = i + 1; j <= zones.length; j++) if (cutSeed[k++ % 36]) cuts.push([i, j]);
    const unknown = zones.flatMap((_, i) => (unknownSeed[i] ? [i + 1] : []));
    const voters = zones.length + down;
    return { g: graph(zones, cuts, { voters, unknown }), complete: graph(zones, [], { voters }) };
  });

describe('tolerance from the links: properties', () => {
  it('fully linked (or nothing reported) equals the counting tolerance, for replicas and zones', () => {
    fc.assert(
      fc.property(graphArb, ({ complete }) => {
        const healthy = complete.members.length;
        expect(membersThatCanBeLost(complete)).toBe(remainingFailures(healthy, complete.voters));
        const byZone: Record<string, number> = {};
        for (const m of complete.members) byZone[m.zone] = (byZone[m.zone] ?? 0) + 1;
        expect(zonesThatCanBeLostGiven(complete)).toBe(
          zonesThatCanBeLost({ voters: complete.voters, healthyByZone: byZone }),
        );
        const silent: PeerGraph = { ...complete, members: complete.members.map((m) => ({ ...m, sees: null })) };
        expect(membersThatCanBeLost(silent)).toBe(membersThatCanBeLost(complete));
      }),
    );
  });

  it('cut links never raise the tolerance, and the number is exactly the smallest loss that stops every leader, minus one', () => {
    fc.assert(
      fc.property(graphArb, ({ g, complete }) => {
        const n = membersThatCanBeLost(g);
        expect(n).toBeLessThanOrEqual(membersThatCanBeLost(complete));
        expect(zonesThatCanBeLostGiven(g)).toBeLessThanOrEqual(zonesThatCanBeLostGiven(complete));
        expect(n).toBeGreaterThanOrEqual(0);
        if (!someMemberReachesQuorum(g.members, g.voters)) {
          expect(n).toBe(0);
          return;
        }
        // Any n losses leave a leader: checked on every subset of size n (small graphs only).
        const subsets = (k: number, from = 0): GraphMember[][] =>
          k === 0
            ? [[]]
            : g.members.slice(from).flatMap((m, i) => subsets(k - 1, from + i + 1).map((rest) => [m, ...rest]));
        for (const lost of subsets(n))
          expect(
            someMemberReachesQuorum(
              g.members.filter((m) => !lost.includes(m)),
              g.voters,
            ),
          ).toBe(true);
        expect(
          subsets(n + 1).some(
            (lost) =>
              !someMemberReachesQuorum(
                g.members.filter((m) => !lost.includes(m)),
                g.voters,
              ),
          ),
        ).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('a member holding quorum is one whose loss alone stops it, so the tolerance is then 0', () => {
    fc.assert(
      fc.property(graphArb, ({ g }) => {
        if (membersHoldingQuorum(g).length > 0) expect(membersThatCanBeLost(g)).toBe(0);
      }),
    );
  });
});
