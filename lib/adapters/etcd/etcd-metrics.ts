// What a member's etcd says about its peers, from the Prometheus text it serves on its client port (/metrics;
// kube-up sets no separate metrics listener). Two families matter (rafthttp/metrics.go and
// etcdserver/metrics.go, the same in 3.4 and 3.5):
//   etcd_network_active_peers{Local="<hex id>",Remote="<hex id>"} 1   (gauge: 1 while the peer link is active)
//   etcd_server_has_leader 1                                           (gauge: 1 when the member knows a leader)
// Ids are types.ID.String(): lower-case hex without padding. The parser is pure; the text is outside data.
import { z } from 'zod';
import type { EtcdPeerView } from '@/lib/core/topology';

export const ACTIVE_PEERS_METRIC = 'etcd_network_active_peers';
export const HAS_LEADER_METRIC = 'etcd_server_has_leader';

/** Lines worth keeping while the text streams in: the two families' samples (not their # HELP / # TYPE). */
export function isPeerMetricLine(line: string): boolean {
  return (
    line.startsWith(`${ACTIVE_PEERS_METRIC}{`) ||
    line.startsWith(`${HAS_LEADER_METRIC} `) ||
    line.startsWith(`${HAS_LEADER_METRIC}{`)
  );
}

const hexId = z.string().regex(/^[0-9a-f]{1,16}$/i, 'a member id in hex');
const activePeerLabels = z.object({ Local: hexId, Remote: hexId });
const gaugeValue = z
  .string()
  .transform(Number)
  .refine((n) => Number.isFinite(n), 'a finite number');

/** etcd prints ids in hex, the API (and EtcdMember.id) in decimal. */
export function hexIdToDecimal(hex: string): string {
  return BigInt(`0x${hex}`).toString(10);
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+-?\d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

type Sample = { name: string; labels: Record<string, string>; value: string };

function parseSample(line: string): Sample | null {
  const m = SAMPLE.exec(line.trim());
  if (!m) return null;
  const labels: Record<string, string> = {};
  for (const l of (m[2] ?? '').matchAll(LABEL)) labels[l[1] ?? ''] = (l[2] ?? '').replace(/\\(.)/g, '$1');
  return { name: m[1] ?? '', labels, value: m[3] ?? '' };
}

export type PeerMetrics = {
  /** The member's own id (decimal), from the Local label; null when it has no peer series (a single member). */
  localId: string | null;
  /** Peers (decimal ids) whose link is active now, sorted. */
  activePeers: string[];
  /** Peers (decimal ids) it knows of whose link is not active, sorted. */
  inactivePeers: string[];
  hasLeader: boolean | null;
};

/**
 * The peer facts in a member's metrics text (whole or already filtered by isPeerMetricLine). Rejects (zod) a
 * sample of these families that does not read as etcd writes it, rather than guessing.
 */
export function parsePeerMetrics(text: string): PeerMetrics {
  let localId: string | null = null;
  const active = new Set<string>();
  const inactive = new Set<string>();
  let hasLeader: boolean | null = null;
  for (const line of text.split('\n')) {
    if (!isPeerMetricLine(line)) continue;
    const sample = parseSample(line);
    if (!sample) throw new Error(`unreadable metrics line: ${line.slice(0, 120)}`);
    const value = gaugeValue.parse(sample.value);
    if (sample.name === HAS_LEADER_METRIC) {
      hasLeader = value > 0;
      continue;
    }
    const { Local, Remote } = activePeerLabels.parse(sample.labels);
    localId = hexIdToDecimal(Local);
    const remote = hexIdToDecimal(Remote);
    (value > 0 ? active : inactive).add(remote);
  }
  for (const id of active) inactive.delete(id);
  const sorted = (ids: Set<string>) =>
    [...ids].sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : BigInt(a) > BigInt(b) ? 1 : 0));
  return { localId, activePeers: sorted(active), inactivePeers: sorted(inactive), hasLeader };
}

export function toPeerView(m: PeerMetrics): EtcdPeerView {
  return { ok: true, activePeers: m.activePeers, hasLeader: m.hasLeader };
}
