import { describe, expect, it } from 'vitest';
import { clusterFeedKey, FLEET_FEED_KEY, feedWatchesReplica } from './feed-keys';

const prod = { project: 'p-one', region: 'europe-west1', masterName: 'prod-master' };

describe('feedWatchesReplica', () => {
  it.each([
    [
      'the fleet, for any replica',
      FLEET_FEED_KEY,
      { project: 'x', zone: 'us-east1-b', instance: 'other-master' },
      true,
    ],
    [
      "its cluster's page",
      clusterFeedKey(prod),
      { project: 'p-one', zone: 'europe-west1-c', instance: 'prod-master-x4z' },
      true,
    ],
    [
      'the replica named as the master',
      clusterFeedKey(prod),
      { project: 'p-one', zone: 'europe-west1-b', instance: 'prod-master' },
      true,
    ],
    [
      'not another project',
      clusterFeedKey(prod),
      { project: 'p-two', zone: 'europe-west1-c', instance: 'prod-master-x4z' },
      false,
    ],
    [
      'not another region',
      clusterFeedKey(prod),
      { project: 'p-one', zone: 'us-east1-b', instance: 'prod-master-x4z' },
      false,
    ],
    [
      "not a longer master's replica",
      clusterFeedKey(prod),
      { project: 'p-one', zone: 'europe-west1-c', instance: 'prod-master-x4z-abc' },
      false,
    ],
    [
      'not another cluster',
      clusterFeedKey(prod),
      { project: 'p-one', zone: 'europe-west1-c', instance: 'staging-master-x4z' },
      false,
    ],
    [
      'not a key of something else',
      'operation:42',
      { project: 'p-one', zone: 'europe-west1-c', instance: 'prod-master-x4z' },
      false,
    ],
  ])('%s', (_, key, replica, watches) => {
    expect(feedWatchesReplica(key, replica)).toBe(watches);
  });
});
