// Who may cost what (issue 12, findings 2 and 4): a cluster id outside QUORUM_PROJECTS, or one discovery does not
// know in a configured project, is NotFound before any Compute call of its own: the Compute requests are counted
// by an HTTP front between the dashboard's container and the sandbox's emulator.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterId } from '@/lib/core/topology';
import type { Container } from '@/lib/server/container';
import { knownClusterRef } from '@/lib/server/known-clusters';
import { startClusterOperation } from '@/lib/server/services/start-operation';
import { ClusterNotFoundError, clusterView, findClusterView } from '@/lib/server/views';
import { startComputeFront, type ComputeFront } from '../support/compute-front';
import { PROD, sandboxPort, testContainer } from './support';

let front: ComputeFront;
let c: Container;

beforeAll(async () => {
  front = await startComputeFront(sandboxPort());
  c = testContainer({ SANDBOX_PORT: String(front.port) });
});

afterAll(async () => {
  await c.close();
  await front.close();
});

const computeRequests = () => front.requests.filter((r) => r.includes('/compute/v1/')).length;

describe('cluster ids Quorum does not know', () => {
  it('another project: NotFound everywhere, at zero Compute requests', async () => {
    const before = computeRequests();
    const other = { project: 'other-project1', region: PROD.region, masterName: PROD.masterName };
    expect(await knownClusterRef(clusterId(other), c)).toBeNull();
    expect(await findClusterView(clusterId(other), c)).toBeNull();
    await expect(clusterView(other, c)).rejects.toBeInstanceOf(ClusterNotFoundError);
    const started = await startClusterOperation(other, { kind: 'scale', replicas: 1 }, 'known-clusters-test', c);
    expect(started).toMatchObject({ ok: false, code: 'NotFound' });
    expect(computeRequests() - before).toBe(0);
  });

  it('made-up ids in a configured project: NotFound, and 100 of them (and 10 starts) cost no Compute request once a recent snapshot exists', async () => {
    // The project's snapshot read once (as any open page or the fleet does); prod is known.
    expect(await knownClusterRef(clusterId(PROD), c)).toEqual(PROD);
    const before = computeRequests();
    const madeUp = Array.from({ length: 100 }, (_, i) => ({ ...PROD, masterName: `flood${i}-master` }));
    const found = await Promise.all(madeUp.map((ref) => findClusterView(clusterId(ref), c)));
    expect(found.every((v) => v === null)).toBe(true);
    const refused = await Promise.all(
      madeUp
        .slice(0, 10)
        .map((ref) => startClusterOperation(ref, { kind: 'scale', replicas: 3 }, 'known-clusters-test', c)),
    );
    expect(refused.map((r) => (r.ok ? 'ok' : r.code))).toEqual(Array(10).fill('NotFound'));
    // The snapshot read above is under a minute old: it answers every one of them, with no Compute request at all.
    expect(computeRequests() - before).toBe(0);
    // A malformed region or name is not a cluster either.
    expect(await knownClusterRef(`${PROD.project}~nowhere1~${PROD.masterName}`, c)).toBeNull();
  });
});
