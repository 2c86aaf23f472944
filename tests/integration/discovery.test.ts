import { afterAll, describe, expect, it } from 'vitest';
import { discoverClusters } from '@/lib/server/services/discover-clusters';
import { PROD, STAGING, testContainer } from './support';

const c = testContainer();
afterAll(() => c.close());

describe('discoverClusters against the sandbox', () => {
  it('finds prod in europe-west1 with three replicas and staging in us-central1 with one', async () => {
    const clusters = await discoverClusters(c);
    expect(clusters.map(({ project, region, masterName }) => ({ project, region, masterName }))).toEqual(
      expect.arrayContaining([PROD, STAGING]),
    );
    const prod = clusters.find((x) => x.masterName === PROD.masterName);
    const staging = clusters.find((x) => x.masterName === STAGING.masterName);
    expect(prod?.replicaNames).toHaveLength(3);
    for (const name of prod?.replicaNames ?? []) expect(name).toMatch(/^prod-master(-[a-z0-9]{3})?$/);
    expect(staging?.replicaNames).toHaveLength(1);
  });

  it('lists clusters sorted and without duplicates', async () => {
    const ids = (await discoverClusters(c)).map((x) => `${x.project}/${x.region}/${x.masterName}`);
    expect(ids).toEqual([...new Set(ids)].sort());
  });
});
