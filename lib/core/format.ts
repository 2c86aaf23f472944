// Small formatters the UI shares. Pure and locale-independent, so server and client render the same text
// (no hydration mismatch) and tests pin the exact strings.

/**
 * An etcd member ID as etcdctl prints it (`member list`, `endpoint status`): hex, e.g. `8e9e05c52164694d`. The etcd
 * client hands IDs over as decimal strings; anything else is returned unchanged.
 */
export function memberIdHex(id: string): string {
  return /^[0-9]+$/.test(id) ? BigInt(id).toString(16) : id;
}

const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'] as const;

/**
 * Binary units, as etcd and Kubernetes report sizes: `20480 -> '20 KiB'`, `1536 -> '1.5 KiB'`,
 * `268435456 -> '256 MiB'`. One decimal below 10 of a unit, whole numbers above; '—' when not a size.
 */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return '—';
  if (bytes < 0) return `-${formatBytes(-bytes)}`;
  let unit = 0;
  let value = bytes;
  while (value >= 1024 && unit < BYTE_UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  if (unit === 0) return `${Math.round(value)} B`;
  let rounded = value < 10 ? Math.round(value * 10) / 10 : Math.round(value);
  // 1023.7 KiB rounds to 1024 KiB: say 1 MiB instead.
  if (rounded >= 1024 && unit < BYTE_UNITS.length - 1) {
    rounded = 1;
    unit += 1;
  }
  return `${rounded} ${BYTE_UNITS[unit] ?? 'B'}`;
}

/**
 * Age of something created or changed at `since`, as `kubectl get` prints it (apimachinery's HumanDuration):
 * '45s', '5m12s', '42m', '3h5m', '30h', '3d4h', '200d', '2y30d'. A time in the future (clock skew) reads '0s'.
 */
export function formatAge(since: Date | string, now: Date): string {
  const sinceMs = typeof since === 'string' ? Date.parse(since) : since.getTime();
  if (!Number.isFinite(sinceMs)) return '—';
  const seconds = Math.max(0, Math.floor((now.getTime() - sinceMs) / 1000));
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) return withRemainder(minutes, 'm', seconds % 60, 's');
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) return withRemainder(hours, 'h', minutes % 60, 'm');
  if (hours < 48) return `${hours}h`;
  const days = Math.floor(hours / 24);
  if (hours < 24 * 8) return withRemainder(days, 'd', hours % 24, 'h');
  if (hours < 24 * 365 * 2) return `${days}d`;
  const years = Math.floor(days / 365);
  if (hours < 24 * 365 * 8) return withRemainder(years, 'y', days % 365, 'd');
  return `${years}y`;
}

/** `pluralize(1, 'replica') -> '1 replica'`, `pluralize(0, 'zone') -> '0 zones'`; irregular plurals as third argument. */
export function pluralize(count: number, singular: string, plural = `${singular}s`): string {
  return `${count} ${count === 1 ? singular : plural}`;
}

function withRemainder(value: number, unit: string, remainder: number, remainderUnit: string): string {
  return remainder === 0 ? `${value}${unit}` : `${value}${unit}${remainder}${remainderUnit}`;
}

/** `a`, `a and b`, `a, b and c`: a list in a sentence. */
export function listOf(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1] ?? ''}`;
}

/**
 * How long a step took: `0.4 s` below 10 s (one decimal), `42 s`, `3 min 5 s`, `1 h 2 min`. '—' when not a duration.
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '—';
  if (ms < 10_000) return `${(Math.round(ms / 100) / 10).toFixed(1)} s`;
  const seconds = Math.round(ms / 1_000);
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${seconds % 60} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/** A time of day as the operation log and the audit show it, in UTC and saying so: `14:03:07 UTC`. */
export function formatUtcTime(at: Date | string): string {
  const d = typeof at === 'string' ? new Date(at) : at;
  if (Number.isNaN(d.getTime())) return '—';
  return `${d.toISOString().slice(11, 19)} UTC`;
}

/**
 * A date and time as every page shows one, in UTC and saying so: `2026-12-03 14:03 UTC`; to the second where that
 * matters (the audit): `2026-12-03 14:03:07 UTC`.
 */
export function formatUtcDateTime(at: Date | string, opts: { seconds?: boolean } = {}): string {
  const d = typeof at === 'string' ? new Date(at) : at;
  if (Number.isNaN(d.getTime())) return '—';
  const shown = d.toISOString().slice(0, opts.seconds ? 19 : 16);
  return `${shown.replace('T', ' ')} UTC`;
}
