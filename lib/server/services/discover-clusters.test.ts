// Discovery as kube-up names things: the cluster is the master name taken from instance names (never from
// KUBERNETES_MASTER_NAME, which holds the static IP), only kube-up master names count, and a zone Compute
// cannot see is reported instead of failing the fleet.
import { describe, expect, it } from 'vitest';
import type { ComputePort, InstanceInfo, InstanceListing } from '@/lib/ports/compute';
import { clustersOf, discoverFleet, masterNameOf } from './discover-clusters';

const kubeEnv = (o: Record<string, string>) => ({
  'kube-env': Object.entries(o)
    .map(([k, v]) => `${k}: '${v}'\n`)
    .join(''),
});
const MODERN_MASTER = { KUBERNETES_MASTER: 'true', KUBERNETES_MASTER_NAME: '198.18.1.7' };

function instance(
  name: string,
  zone: string,
  metadata: Record<string, string>,
  tags: string[] = [],
  created = '2026-01-01T00:00:00Z',
): InstanceInfo {
  return {
    id: `1${name.length}`,
    name,
    zone,
    status: 'RUNNING',
    internalIp: null,
    externalIp: null,
    tags,
    metadata,
    metadataFingerprint: null,
    creationTimestamp: created,
  };
}

describe('masterNameOf', () => {
  it.each([
    ['prod-master', kubeEnv(MODERN_MASTER), [], 'prod-master'],
    ['prod-master-x7k', kubeEnv(MODERN_MASTER), [], 'prod-master'],
    // No KUBERNETES_MASTER, but the master's network tag.
    ['prod-master-x7k', kubeEnv({ KUBERNETES_MASTER_NAME: '198.18.1.7' }), ['prod-master'], 'prod-master'],
    // HA-era kube-env naming the master.
    ['prod-master-x7k', kubeEnv({ MASTER_NAME: 'prod-master' }), [], 'prod-master'],
    // Not kube-up master names.
    ['prod-master-abcd', kubeEnv(MODERN_MASTER), [], null],
    ['prod-minion-x1y2', kubeEnv({ KUBERNETES_MASTER: 'false', KUBERNETES_MASTER_NAME: '198.18.1.7' }), [], null],
    ['master', kubeEnv(MODERN_MASTER), [], null],
    // Named like a master, but nothing kube-up about it.
    ['db-master', {}, ['db-master'], null],
    ['db-master-old', kubeEnv({ KUBERNETES_MASTER: 'false' }), [], null],
  ])('%s %j %j -> %s', (name, metadata, tags, expected) => {
    expect(masterNameOf({ name, metadata, tags })).toBe(expected);
  });

  it('never names a cluster after KUBERNETES_MASTER_NAME (the static IP)', () => {
    const clusters = clustersOf('p', [
      instance('prod-master', 'europe-west1-b', kubeEnv(MODERN_MASTER)),
      instance('prod-master-q2w', 'europe-west1-c', kubeEnv(MODERN_MASTER)),
    ]);
    expect(clusters).toEqual([
      {
        project: 'p',
        region: 'europe-west1',
        masterName: 'prod-master',
        replicaNames: ['prod-master', 'prod-master-q2w'],
      },
    ]);
  });
});

describe('discoverFleet', () => {
  const listings: Record<string, InstanceListing> = {
    'proj-one': {
      instances: [
        instance('prod-master', 'europe-west1-b', kubeEnv(MODERN_MASTER)),
        instance('staging-master', 'us-central1-b', kubeEnv(MODERN_MASTER)),
      ],
      unreachableZones: ['europe-west1-c'],
    },
    'proj-two': {
      instances: [instance('other-master', 'europe-west1-d', kubeEnv(MODERN_MASTER))],
      unreachableZones: [],
    },
  };
  const compute: Pick<ComputePort, 'listMasterInstances'> = {
    listMasterInstances: async (project) => listings[project] ?? { instances: [], unreachableZones: [] },
  };

  it('lists clusters of every project and the zones Compute could not see, instead of failing', async () => {
    const fleet = await discoverFleet({ projects: ['proj-two', 'proj-one'], compute });
    expect(fleet.clusters.map((c) => `${c.project}/${c.region}/${c.masterName}`)).toEqual([
      'proj-one/europe-west1/prod-master',
      'proj-one/us-central1/staging-master',
      'proj-two/europe-west1/other-master',
    ]);
    expect(fleet.unreachableZones).toEqual([{ project: 'proj-one', zone: 'europe-west1-c' }]);
  });
});
