// etcd's server version as members report it (maintenance.status `version`, e.g. "3.4.23"), and what it
// allows: learners (non-voting members, used by every add) exist from etcd 3.4 on; an older server ignores
// the learner flag of MemberAdd and adds a voter at once, which can lose quorum while the new member syncs.
import type { Topology } from './topology';

export type EtcdVersion = { major: number; minor: number; patch: number; text: string };

/** The first release with learners. */
export const LEARNER_MIN_VERSION = { major: 3, minor: 4 } as const;

/** "3.4.23" (or "v3.4.23", "3.5.0-rc.1") -> its numbers; null when it is not a version. */
export function parseEtcdVersion(text: string): EtcdVersion | null {
  const m = /^v?(\d+)\.(\d+)(?:\.(\d+))?/.exec(text.trim());
  if (!m) return null;
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3] ?? 0), text: text.trim().replace(/^v/, '') };
}

function compare(
  a: Pick<EtcdVersion, 'major' | 'minor' | 'patch'>,
  b: Pick<EtcdVersion, 'major' | 'minor' | 'patch'>,
): number {
  return a.major - b.major || a.minor - b.minor || a.patch - b.patch;
}

export function supportsLearners(v: EtcdVersion): boolean {
  return compare(v, { ...LEARNER_MIN_VERSION, patch: 0 }) >= 0;
}

/**
 * The lowest version any member of etcd main or events reported in this observation (a cluster in the
 * middle of an upgrade behaves like its oldest member); null when no member answered.
 */
export function lowestEtcdVersion(t: Pick<Topology, 'replicas'>): EtcdVersion | null {
  let lowest: EtcdVersion | null = null;
  for (const r of t.replicas) {
    for (const s of [r.etcd.main, r.etcd.events]) {
      const v = s.ok ? parseEtcdVersion(s.version) : null;
      if (v && (lowest === null || compare(v, lowest) < 0)) lowest = v;
    }
  }
  return lowest;
}

/** Every distinct version reported, lowest first ("3.4.23", or "3.3.10, 3.4.23" during an upgrade). */
export function etcdVersionsOf(t: Pick<Topology, 'replicas'>): string[] {
  const found = new Map<string, EtcdVersion>();
  for (const r of t.replicas) {
    for (const s of [r.etcd.main, r.etcd.events]) {
      const v = s.ok ? parseEtcdVersion(s.version) : null;
      if (v) found.set(v.text, v);
    }
  }
  return [...found.values()].sort(compare).map((v) => v.text);
}
