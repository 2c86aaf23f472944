import { describe, expect, it } from 'vitest';
import { etcdVersionsOf, lowestEtcdVersion, parseEtcdVersion, supportsLearners } from './etcd-version';
import { buildTopology, prodSpec } from './testing/topology-builder';

describe('parseEtcdVersion', () => {
  it.each([
    ['3.4.23', { major: 3, minor: 4, patch: 23, text: '3.4.23' }],
    ['v3.5.0', { major: 3, minor: 5, patch: 0, text: '3.5.0' }],
    ['3.5.0-rc.1', { major: 3, minor: 5, patch: 0, text: '3.5.0-rc.1' }],
    ['3.3', { major: 3, minor: 3, patch: 0, text: '3.3' }],
    ['not a version', null],
    ['', null],
  ])('%j', (text, expected) => {
    expect(parseEtcdVersion(text)).toEqual(expected);
  });
});

describe('supportsLearners', () => {
  it.each([
    ['3.3.27', false],
    ['3.4.0', true],
    ['3.4.23', true],
    ['3.5.12', true],
    ['2.3.8', false],
    ['4.0.0', true],
  ])('%s -> %s', (text, expected) => {
    const v = parseEtcdVersion(text);
    if (!v) throw new Error('unparsed');
    expect(supportsLearners(v)).toBe(expected);
  });
});

describe('the versions a cluster reports', () => {
  it('lists each distinct version once, lowest first, and takes the lowest as the cluster’s', () => {
    const t = buildTopology(prodSpec());
    expect(etcdVersionsOf(t)).toEqual(['3.4.23']);
    const mixed = {
      ...t,
      replicas: t.replicas.map((r, i) =>
        i === 1 && r.etcd.main.ok ? { ...r, etcd: { ...r.etcd, main: { ...r.etcd.main, version: '3.3.27' } } } : r,
      ),
    };
    expect(etcdVersionsOf(mixed)).toEqual(['3.3.27', '3.4.23']);
    expect(lowestEtcdVersion(mixed)?.text).toBe('3.3.27');
  });

  it('is unknown when no member answered', () => {
    expect(lowestEtcdVersion(buildTopology(prodSpec({ replicas: [{ zone: 'b', etcd: 'refused' }] })))).toBeNull();
  });
});
