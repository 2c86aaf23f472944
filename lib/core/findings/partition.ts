// Partition: etcd members that answer Quorum but not each other, from their own reports of their peer links.
import type { MemberPeerView, RuleFinding } from '../assessment';
import { membersThatCanBeLost } from '../connectivity';
import { listOf, pluralize } from '../format';
import type { Context, FindingRule } from './context';
import { partParams, type PartFields } from './params';

/** `prod-master-b01 reports leader prod-master-d01 (term 3) and sees 1 of 2 peers: prod-master-d01` */
function describeView(v: MemberPeerView): string {
  const leader =
    v.leader === null
      ? 'knows no leader'
      : v.leader === v.replica
        ? `is the leader (term ${v.raftTerm})`
        : `reports leader ${v.leader} (term ${v.raftTerm})`;
  const sees =
    v.sees.length === 0
      ? 'sees no peer'
      : v.sees.length === v.peers.length
        ? `sees all ${pluralize(v.peers.length, 'peer')}`
        : `sees ${v.sees.length} of ${pluralize(v.peers.length, 'peer')}: ${listOf(v.sees)}`;
  return `${v.replica} ${leader} and ${sees}`;
}

/** describeView as params: one item of the `views` part. */
function viewFields(v: MemberPeerView): PartFields {
  return {
    replica: v.replica,
    leaderIs: v.leader === null ? 'none' : v.leader === v.replica ? 'self' : 'other',
    leader: v.leader ?? '',
    term: v.raftTerm,
    seeing: v.sees.length === 0 ? 'none' : v.sees.length === v.peers.length ? 'all' : 'some',
    seen: v.sees.length,
    peers: v.peers.length,
    sees: v.sees,
  };
}

/**
 * Members that answer Quorum but not each other: a partition. Nothing is wrong with the replicas, so no recovery
 * is offered (a replacement would sit behind the same cut); the finding says what each side's etcd reports,
 * what the cut leaves of the tolerance, and where to look.
 */
function partitionFindings(ctx: Context): RuleFinding[] {
  const out: RuleFinding[] = [];
  ctx.clusters.forEach((c, i) => {
    const links = ctx.links[i];
    if (!links) return;
    const { connectivity: k, graph } = links;
    if (k.cutPairs.length === 0) return;
    const zoneOf = new Map(ctx.t.replicas.map((r) => [r.name, r.zone]));
    const canLose = membersThatCanBeLost(graph);
    const critical = canLose === 0;
    const leaders = new Set(k.views.filter((v) => v.leader !== null).map((v) => v.leader));
    const named = (names: readonly string[]) => names.map((n) => `${n}${leaders.has(n) ? ', the leader' : ''}`);
    let meaning: string;
    const holdingZones = [...new Set(k.holdingQuorum.map((n) => zoneOf.get(n) ?? n))];
    const meaningParams = {
      cluster: c.name,
      meaning: k.possibleLeaders.length === 0 ? 'noLeader' : k.holdingQuorum.length > 0 ? 'holding' : 'canLose',
      voters: c.quorum.voters,
      holdingZones,
      holdingCount: k.holdingQuorum.length,
      ...partParams(
        'holding',
        k.holdingQuorum.map((name) => ({ name, leader: leaders.has(name) })),
      ),
      canLose,
    };
    if (k.possibleLeaders.length === 0) {
      meaning = `No member reaches a majority of the ${pluralize(c.quorum.voters, 'voter')} directly, so etcd ${c.name} cannot commit and writes stop until the links are back.`;
    } else if (k.holdingQuorum.length > 0) {
      meaning = `etcd ${c.name} keeps quorum only through ${listOf(holdingZones)} (${listOf(named(k.holdingQuorum))}); losing ${k.holdingQuorum.length === 1 ? 'it' : 'any of them'} stops writes.`;
    } else {
      meaning = `etcd ${c.name} still has a leader reaching a majority, and can lose ${pluralize(canLose, 'more replica')}.`;
    }
    const where = (zones: readonly string[]) =>
      `Replacing a replica would not help: the replicas are up, the network between ${listOf(zones)} is not. Check the VPC's routes and the firewall rules between the masters of ${zones.length === 2 ? 'these zones' : 'those zones'} (etcd's peer ports tcp:2380 and tcp:2381 between masters: kube-up's default-internal-master rule), and any appliance or route between them; etcd reconnects by itself once packets flow.`;
    const covered = new Set<string>();
    for (const [za, zb] of k.cutZones) {
      const side = (zone: string) => k.views.filter((v) => v.zone === zone);
      const views = [...side(za), ...side(zb)];
      for (const [a, b] of k.cutPairs)
        if (
          zoneOf.get(a) !== zoneOf.get(b) &&
          [za, zb].includes(zoneOf.get(a) ?? '') &&
          [za, zb].includes(zoneOf.get(b) ?? '')
        )
          covered.add(`${a}|${b}`);
      out.push({
        code: 'ZonePartition',
        severity: critical ? 'critical' : 'warning',
        subject: `${za} | ${zb}`,
        message: `etcd ${c.name} members in ${za} and ${zb} cannot reach each other, although both answer Quorum: ${views.map(describeView).join('; ')}. ${meaning}`,
        fix: where([za, zb]),
        params: {
          ...meaningParams,
          zoneA: za,
          zoneB: zb,
          ...partParams('views', views.map(viewFields)),
          zones: [za, zb],
          zoneCount: 2,
        },
      });
    }
    const rest = k.cutPairs.filter(([a, b]) => !covered.has(`${a}|${b}`));
    if (rest.length > 0) {
      const names = [...new Set(rest.flat())].sort();
      const views = k.views.filter((v) => names.includes(v.replica));
      const zones = [...new Set(names.map((n) => zoneOf.get(n) ?? n))].sort();
      out.push({
        code: 'PeersCut',
        severity: critical ? 'critical' : 'warning',
        subject: null,
        message: `etcd ${c.name} members ${listOf(rest.map(([a, b]) => `${a} and ${b}`))} cannot reach each other, although all answer Quorum: ${views.map(describeView).join('; ')}. ${meaning}`,
        fix: where(zones),
        params: {
          ...meaningParams,
          ...partParams(
            'pairs',
            rest.map(([a, b]) => ({ a, b })),
          ),
          ...partParams('views', views.map(viewFields)),
          zones,
          zoneCount: zones.length,
        },
      });
    }
  });
  return out;
}

export const partitionRule: FindingRule = {
  name: 'partition',
  codes: ['ZonePartition', 'PeersCut'],
  evaluate: partitionFindings,
};
