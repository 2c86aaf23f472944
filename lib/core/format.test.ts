import { describe, expect, it } from 'vitest';
import {
  formatAge,
  formatBytes,
  formatDuration,
  formatUtcDateTime,
  formatUtcTime,
  memberIdHex,
  pluralize,
} from './format';

describe('formatBytes', () => {
  it.each([
    [0, '0 B'],
    [512, '512 B'],
    [1023, '1023 B'],
    [1024, '1 KiB'],
    [1536, '1.5 KiB'],
    [20480, '20 KiB'],
    [10 * 1024 - 1, '10 KiB'],
    [1024 * 1024 - 300, '1 MiB'],
    [268435456, '256 MiB'],
    [1.5 * 1024 ** 3, '1.5 GiB'],
    [2 * 1024 ** 5, '2 PiB'],
    [5 * 1024 ** 6, '5120 PiB'],
    [-2048, '-2 KiB'],
    [Number.NaN, '—'],
  ])('%s -> %s', (bytes, text) => {
    expect(formatBytes(bytes)).toBe(text);
  });
});

describe('formatAge', () => {
  const now = new Date('2026-01-10T12:00:00Z');
  const ago = (seconds: number) => new Date(now.getTime() - seconds * 1000);
  it.each([
    [0, '0s'],
    [45, '45s'],
    [119, '119s'],
    [120, '2m'],
    [312, '5m12s'],
    [42 * 60, '42m'],
    [179 * 60 + 59, '179m'],
    [3 * 3600 + 5 * 60, '3h5m'],
    [4 * 3600, '4h'],
    [30 * 3600, '30h'],
    [3 * 86400 + 4 * 3600, '3d4h'],
    [5 * 86400, '5d'],
    [200 * 86400, '200d'],
    [(2 * 365 + 30) * 86400, '2y30d'],
    [9 * 365 * 86400, '9y'],
    [-30, '0s'],
  ])('%s s ago -> %s', (seconds, text) => {
    expect(formatAge(ago(seconds), now)).toBe(text);
  });

  it('accepts ISO strings and rejects garbage', () => {
    expect(formatAge('2026-01-10T11:59:15Z', now)).toBe('45s');
    expect(formatAge('yesterday', now)).toBe('—');
  });
});

describe('pluralize', () => {
  it.each([
    [0, 'replica', undefined, '0 replicas'],
    [1, 'replica', undefined, '1 replica'],
    [2, 'zone', undefined, '2 zones'],
    [2, 'entry', 'entries', '2 entries'],
    [1, 'entry', 'entries', '1 entry'],
  ])('%s %s', (count, singular, plural, text) => {
    expect(pluralize(count, singular, plural)).toBe(text);
  });
});

describe('memberIdHex', () => {
  it('prints etcd member IDs as etcdctl does: hex of the decimal the client gives', () => {
    // etcd's own docs: member 8e9e05c52164694d is 10276657743932975437.
    expect(memberIdHex('10276657743932975437')).toBe('8e9e05c52164694d');
    expect(memberIdHex('1')).toBe('1');
    expect(memberIdHex('not-an-id')).toBe('not-an-id');
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0.0 s'],
    [420, '0.4 s'],
    [9_949, '9.9 s'],
    [12_400, '12 s'],
    [59_600, '1 min 0 s'],
    [185_000, '3 min 5 s'],
    [3_720_000, '1 h 2 min'],
    [-1, '—'],
    [Number.NaN, '—'],
  ])('%s ms -> %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});

describe('formatUtcTime', () => {
  it('says the zone', () => {
    expect(formatUtcTime('2026-12-03T14:03:07.123Z')).toBe('14:03:07 UTC');
    expect(formatUtcTime('not a time')).toBe('—');
    expect(formatUtcDateTime('2026-12-03T14:03:07.123Z')).toBe('2026-12-03 14:03 UTC');
    expect(formatUtcDateTime('')).toBe('—');
    expect(formatUtcDateTime('2026-12-03T14:03:07.999Z', { seconds: true })).toBe('2026-12-03 14:03:07 UTC');
    expect(formatUtcDateTime('2026-12-03T16:03:07+02:00', { seconds: true })).toBe('2026-12-03 14:03:07 UTC');
    expect(formatUtcDateTime(new Date('2026-01-02T03:04:05.000Z'), { seconds: true })).toBe('2026-01-02 03:04:05 UTC');
    expect(formatUtcDateTime('not a time', { seconds: true })).toBe('—');
  });
});
