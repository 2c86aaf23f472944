import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  faultTolerance,
  hasQuorum,
  quorumOf,
  remainingFailures,
  zoneLossKeepsQuorum,
  zonesHoldingQuorum,
  zonesThatCanBeLost,
  type ZoneLayout,
} from './quorum';

describe('quorumOf and faultTolerance', () => {
  it.each([
    { voters: 1, quorum: 1, tolerates: 0 },
    { voters: 2, quorum: 2, tolerates: 0 },
    { voters: 3, quorum: 2, tolerates: 1 },
    { voters: 4, quorum: 3, tolerates: 1 },
    { voters: 5, quorum: 3, tolerates: 2 },
    { voters: 6, quorum: 4, tolerates: 2 },
    { voters: 7, quorum: 4, tolerates: 3 },
  ])('$voters voters: quorum $quorum, tolerates $tolerates', ({ voters, quorum, tolerates }) => {
    expect(quorumOf(voters)).toBe(quorum);
    expect(faultTolerance(voters)).toBe(tolerates);
    expect(remainingFailures(voters, voters)).toBe(tolerates);
  });

  it('an empty cluster has no quorum and tolerates nothing', () => {
    expect(quorumOf(0)).toBe(1);
    expect(faultTolerance(0)).toBe(0);
    expect(hasQuorum(0, 0)).toBe(false);
    expect(remainingFailures(0, 0)).toBe(0);
  });
});

describe('hasQuorum and remainingFailures with members down', () => {
  it.each([
    { voters: 3, healthy: 3, quorum: true, remaining: 1 },
    { voters: 3, healthy: 2, quorum: true, remaining: 0 },
    { voters: 3, healthy: 1, quorum: false, remaining: 0 },
    { voters: 2, healthy: 1, quorum: false, remaining: 0 },
    { voters: 4, healthy: 3, quorum: true, remaining: 0 },
    { voters: 5, healthy: 4, quorum: true, remaining: 1 },
    { voters: 1, healthy: 0, quorum: false, remaining: 0 },
  ])(
    '$healthy of $voters healthy: quorum $quorum, can lose $remaining more',
    ({ voters, healthy, quorum, remaining }) => {
      expect(hasQuorum(healthy, voters)).toBe(quorum);
      expect(remainingFailures(healthy, voters)).toBe(remaining);
    },
  );
});

describe('zone math', () => {
  const cases: {
    name: string;
    layout: ZoneLayout;
    canLose: number;
    keeps: Record<string, boolean>;
    holding: string[];
  }[] = [
    {
      name: '3 zones x1',
      layout: { voters: 3, healthyByZone: { b: 1, c: 1, d: 1 } },
      canLose: 1,
      keeps: { b: true, c: true, d: true },
      holding: [],
    },
    {
      name: '3 zones x1, one member down',
      layout: { voters: 3, healthyByZone: { b: 0, c: 1, d: 1 } },
      canLose: 0,
      keeps: { b: true, c: false, d: false },
      holding: ['c', 'd'],
    },
    {
      name: '2+1',
      layout: { voters: 3, healthyByZone: { b: 2, c: 1 } },
      canLose: 0,
      keeps: { b: false, c: true },
      holding: ['b'],
    },
    {
      name: '3 in one zone',
      layout: { voters: 3, healthyByZone: { b: 3, c: 0, d: 0 } },
      canLose: 0,
      keeps: { b: false, c: true, d: true },
      holding: ['b'],
    },
    {
      name: '5 as 2+2+1',
      layout: { voters: 5, healthyByZone: { b: 2, c: 2, d: 1 } },
      canLose: 1,
      keeps: { b: true, c: true, d: true },
      holding: [],
    },
    {
      name: '5 as 2+2+1, one member of b down',
      layout: { voters: 5, healthyByZone: { b: 1, c: 2, d: 1 } },
      canLose: 0,
      keeps: { b: true, c: false, d: true },
      holding: ['c'],
    },
    {
      name: '5 as 2+2+1, the member of d down',
      layout: { voters: 5, healthyByZone: { b: 2, c: 2, d: 0 } },
      canLose: 0,
      keeps: { b: false, c: false, d: true },
      holding: ['b', 'c'],
    },
    {
      name: '3 zones x1, two members down (quorum lost)',
      layout: { voters: 3, healthyByZone: { b: 1, c: 0, d: 0 } },
      canLose: 0,
      keeps: { b: false, c: false, d: false },
      holding: [],
    },
    {
      name: '4 as 2+1+1',
      layout: { voters: 4, healthyByZone: { b: 2, c: 1, d: 1 } },
      canLose: 0,
      keeps: { b: false, c: true, d: true },
      holding: ['b'],
    },
    {
      name: '7 as 3+2+2',
      layout: { voters: 7, healthyByZone: { b: 3, c: 2, d: 2 } },
      canLose: 1,
      keeps: { b: true, c: true, d: true },
      holding: [],
    },
    {
      name: 'single replica',
      layout: { voters: 1, healthyByZone: { a: 0, b: 1, c: 0, f: 0 } },
      canLose: 0,
      keeps: { a: true, b: false, c: true, f: true },
      holding: ['b'],
    },
  ];

  it.each(cases)('$name: can lose $canLose zones', ({ layout, canLose, keeps, holding }) => {
    expect(zonesThatCanBeLost(layout)).toBe(canLose);
    for (const [zone, keep] of Object.entries(keeps)) expect(zoneLossKeepsQuorum(layout, zone), zone).toBe(keep);
    expect(zonesHoldingQuorum(layout)).toEqual(holding);
  });

  it('a zone not in the layout holds nobody, so losing it changes nothing', () => {
    expect(zoneLossKeepsQuorum({ voters: 3, healthyByZone: { b: 1, c: 1, d: 1 } }, 'x')).toBe(true);
  });

  it('losing the worst-case zones never loses quorum, and losing one more always does', () => {
    const layouts = fc.array(fc.nat({ max: 4 }), { minLength: 1, maxLength: 5 }).chain((healthy) =>
      fc.record({
        healthy: fc.constant(healthy),
        down: fc.nat({ max: 3 }),
      }),
    );
    fc.assert(
      fc.property(layouts, ({ healthy, down }) => {
        const healthyByZone = Object.fromEntries(healthy.map((n, i) => [`z${i}`, n]));
        const total = healthy.reduce((a, b) => a + b, 0);
        const layout = { voters: total + down, healthyByZone };
        const k = zonesThatCanBeLost(layout);
        const sorted = [...healthy].sort((a, b) => b - a);
        const lostVoters = sorted.slice(0, k).reduce((a, b) => a + b, 0);
        if (k > 0) expect(hasQuorum(total - lostVoters, layout.voters)).toBe(true);
        if (k < sorted.length) expect(hasQuorum(total - lostVoters - (sorted[k] ?? 0), layout.voters)).toBe(false);
        // Never more than the replica tolerance allows when every zone holds at least one voter.
        if (healthy.every((n) => n > 0)) expect(k).toBeLessThanOrEqual(remainingFailures(total, layout.voters));
      }),
    );
  });
});
