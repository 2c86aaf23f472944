// Every refusal of issue 3 through the real server actions (preview and start), as the wizard calls them:
// a two-replica target, a zone in another region, a removal that loses quorum, an add while a voter is down,
// and a second operation while one holds the cluster's lock. Each returns its typed code with a reason in
// words, and changes nothing: the Compute resources (read through the container's port and the GCE client),
// both clusters' etcd member lists (read with etcdctl) and the journal are the same before and after; the
// refused start leaves exactly one audit entry and neither an operation nor a lock.
import { afterAll, beforeAll, describe, expect, it, inject, vi } from 'vitest';
import { closeGceClients, createGceClients } from '@/lib/adapters/gce/gce-compute';
import { operationOf, waitForOperation } from '@/lib/adapters/gce/gce-operations';
import type { DomainErrorCode, Result } from '@/lib/core/errors';
import type { ClusterIntent } from '@/lib/core/planner';
import { clusterId, type ClusterRef } from '@/lib/core/topology';
import type { ClusterView } from '@/lib/core/view';
import { previewPlanAction } from '@/lib/actions/preview-plan-action';
import { startOperationAction } from '@/lib/actions/start-operation-action';
import { setCallerResolverForTests } from '@/lib/server/auth/caller';
import { container } from '@/lib/server/container';
import { observeClusterView } from '@/lib/server/services/observe-fleet';
import { journalSnapshot, pollUntil, PROD, STAGING, warmUpAccess, worldSnapshot } from './support';
import { restoreActionEnv } from './action-env';

// Before any import is evaluated: the actions' container reads process.env (action-env.ts).
const { dataDir, savedEnv } = await vi.hoisted(async () =>
  (await import('./action-env')).pointActionsAtSandbox('quorum-refusals-'),
);

const gce = createGceClients({ kind: 'sandbox', port: inject('sandboxPort') });
const CLUSTERS = [PROD, STAGING];

/** The actions are called as a signed-in operator (outside a request there is no session to read). */
const OPERATOR = {
  userId: 'u-operator',
  email: 'operator@quorum.test',
  name: 'Operator',
  role: 'operator' as const,
  source: '127.0.0.1',
};

beforeAll(async () => {
  setCallerResolverForTests(async () => OPERATOR);
  // Guard against a container built before the env above (say, by a changed import order).
  expect(container().env.SANDBOX_PORT).toBe(inject('sandboxPort'));
  expect(container().env.QUORUM_DATA_DIR).toBe(dataDir);
  // This data dir holds a new key: its publication in the masters' metadata is part of the baseline.
  await warmUpAccess(container());
}, 120_000);

afterAll(async () => {
  setCallerResolverForTests(undefined);
  await closeGceClients(gce);
  await container().close();
  restoreActionEnv({ dataDir, savedEnv });
});

// --- The check every refusal goes through -------------------------------------------------------------------

/** Words for an operator: a sentence, no code names (`TwoReplicaLayout`), no stringified internals. */
function expectWords(message: string, says: RegExp): void {
  expect(message).toMatch(says);
  expect(message).toMatch(/^[a-zA-Z0-9].{30,}\.$/s);
  expect(message).not.toMatch(/\b[A-Z][a-z]+[A-Z][A-Za-z]*\b|undefined|\bnull\b|\[object|Error\b|[{}]|\bat \S+:\d+/);
}

function expectRefusal(result: Result<unknown>, code: DomainErrorCode, says: RegExp): string {
  expect(result.ok, JSON.stringify(result)).toBe(false);
  if (result.ok) throw new Error('not refused');
  expect(result.code).toBe(code);
  expectWords(result.message, says);
  return result.message;
}

/**
 * Preview and start (with the right confirmation) are both refused with `code`; the world and the journal
 * are as before, apart from the one audit entry the refused start writes.
 */
async function expectRefusedChangingNothing(
  ref: ClusterRef,
  intent: ClusterIntent,
  code: DomainErrorCode,
  says: RegExp,
): Promise<string> {
  const id = clusterId(ref);
  const [world, journal] = [
    await worldSnapshot(container(), gce, CLUSTERS),
    await journalSnapshot(container().store, CLUSTERS),
  ];

  const previewed = await previewPlanAction({ clusterId: id, intent });
  const message = expectRefusal(previewed, code, says);
  const started = await startOperationAction({ clusterId: id, intent, confirm: ref.masterName });
  expectRefusal(started, code, says);
  // The start gives the wizard what the preview gave it to word the refusal in the reader's language.
  expect(started.ok ? null : started.params).toEqual(previewed.ok ? null : previewed.params);

  expect(await worldSnapshot(container(), gce, CLUSTERS)).toEqual(world);
  const after = await journalSnapshot(container().store, CLUSTERS);
  expect(after.operations).toEqual(journal.operations);
  expect(after.locks).toEqual(journal.locks);
  const added = after.audit.filter((a) => !journal.audit.some((b) => b.id === a.id));
  expect(added).toEqual([
    expect.objectContaining({
      actor: OPERATOR.email,
      action: `operation.${intent.kind}`,
      clusterId: id,
      operationId: null,
      outcome: 'refused',
      detail: expect.objectContaining({ code, intent }),
    }),
  ]);
  return message;
}

// --- Stopping and starting a replica's VM, as GCE or an operator would -------------------------------------

async function setVm(verb: 'stop' | 'start', zone: string, instance: string): Promise<void> {
  const request = { project: PROD.project, zone, instance };
  const result = verb === 'stop' ? await gce.instances.stop(request) : await gce.instances.start(request);
  await waitForOperation(gce, PROD.project, operationOf(result), 60_000);
}

const healthyCount = (v: ClusterView) =>
  Object.values(v.assessment.replicaHealth).filter((h) => h === 'healthy').length;

async function prodHealthy(): Promise<ClusterView> {
  const view = await pollUntil(
    () => observeClusterView(PROD),
    (v) => v.topology.replicas.length === 3 && healthyCount(v) === 3,
    90_000,
    500,
  );
  expect(healthyCount(view), 'prod is 3/3 healthy').toBe(3);
  return view;
}

/** Stops `victims`, waits until the dashboard sees them down, runs `body`, and always starts them again. */
async function withStoppedReplicas(
  victims: Array<{ name: string; zone: string }>,
  body: (view: ClusterView) => Promise<void>,
): Promise<void> {
  try {
    for (const v of victims) await setVm('stop', v.zone, v.name);
    const down = await pollUntil(
      () => observeClusterView(PROD),
      (view) => victims.every((v) => view.assessment.replicaHealth[v.name] === 'unhealthy'),
      30_000,
      500,
    );
    for (const v of victims) expect(down.assessment.replicaHealth[v.name], `${v.name} observed down`).toBe('unhealthy');
    await body(down);
  } finally {
    for (const v of victims) await setVm('start', v.zone, v.name);
    // Other tests expect prod 3/3 healthy.
    await prodHealthy();
  }
}

// --- The refusals -------------------------------------------------------------------------------------------

describe('refusals through the server actions change nothing', () => {
  it.each([
    { what: 'staging 1 -> 2 by an add', ref: STAGING, intent: { kind: 'add-replica', zone: 'us-central1-c' } },
    { what: 'prod scaled to 2', ref: PROD, intent: { kind: 'scale', replicas: 2 } },
    { what: 'prod 3 -> 2 by a removal', ref: PROD, intent: { kind: 'remove-replica', zone: 'europe-west1-b' } },
  ] satisfies Array<{ what: string; ref: ClusterRef; intent: ClusterIntent }>)(
    'two-replica target: $what',
    async ({ ref, intent }) => {
      const message = await expectRefusedChangingNothing(ref, intent, 'TwoReplicaLayout', /two replicas/);
      expect(message).toMatch(/consensus needs both/);
      expect(message).toMatch(/(from 1 to 3|from 3 to 1)/);
    },
  );

  it.each([
    {
      ref: PROD,
      zone: 'us-central1-b',
      says: /us-central1-b is in us-central1, outside the cluster's region europe-west1/,
    },
    {
      ref: STAGING,
      zone: 'europe-west1-c',
      says: /europe-west1-c is in europe-west1, outside the cluster's region us-central1/,
    },
  ])('zone in another region: $zone for $ref.masterName', async ({ ref, zone, says }) => {
    await expectRefusedChangingNothing(ref, { kind: 'add-replica', zone }, 'ZoneOutsideRegion', says);
  });

  it(
    'with a prod replica stopped: an add is refused (voter down), and so is a removal that would lose quorum',
    { timeout: 240_000 },
    async () => {
      const { topology } = await prodHealthy();
      const [victim, ...others] = topology.replicas;
      if (!victim || others.length !== 2) throw new Error('prod should have three replicas');
      await withStoppedReplicas([victim], async () => {
        const free = topology.regionZones.find((z) => z !== victim.zone) ?? '';
        const why = await expectRefusedChangingNothing(
          PROD,
          { kind: 'add-replica', zone: free },
          'VoterUnhealthy',
          /etcd refuses a new member while a voter is down/,
        );
        expect(why).toContain(`${victim.name} (VM is TERMINATED`);

        // Scaling to one by removing the healthy replicas first: the first removal leaves one healthy of two voters.
        const zones = others.map((r) => r.zone);
        const lost = await expectRefusedChangingNothing(
          PROD,
          { kind: 'scale', replicas: 1, zones },
          'QuorumAtRisk',
          /fewer than the 2 quorum needs/,
        );
        expect(lost).toContain(`Removing ${others[0]?.name ?? '?'} would leave 1 healthy of 2 voters`);
      });
    },
  );

  it(
    'with two prod replicas stopped (quorum lost): scaling down is refused, etcd accepts no membership change',
    { timeout: 240_000 },
    async () => {
      const { topology } = await prodHealthy();
      const victims = topology.replicas.slice(0, 2);
      await withStoppedReplicas(victims, async (down) => {
        expect(down.assessment.etcd.main.hasQuorum).toBe(false);
        // The third replica counts as unhealthy too: its API server cannot serve without etcd's quorum.
        await expectRefusedChangingNothing(
          PROD,
          { kind: 'scale', replicas: 1 },
          'QuorumAtRisk',
          /etcd has lost quorum \([01] of 3 voters healthy, 2 needed\), so it accepts no membership change/,
        );
      });
    },
  );

  it('while an operation holds the cluster lock, a second one is refused (and another cluster is not locked)', async () => {
    const intent: ClusterIntent = { kind: 'add-replica', zone: 'europe-west1-b' };
    const id = clusterId(PROD);
    await prodHealthy();
    // The same intent is fine without the lock: only the lock refuses it below.
    const fine = await previewPlanAction({ clusterId: id, intent });
    if (!fine.ok) throw new Error(`prod add should be plannable: ${fine.message}`);
    // A started operation that no runner has picked up yet holds the lock as a running one does.
    const holder = await container().store.createOperation({
      clusterId: id,
      kind: intent.kind,
      intent,
      plan: fine.data,
      actor: 'another-operator',
    });
    try {
      expect(await container().store.lockHolder(id)).toBe(holder.id);
      const why = await expectRefusedChangingNothing(
        PROD,
        intent,
        'OperationInProgress',
        /Another operation is running on prod-master/,
      );
      expect(why).toMatch(/wait for it to finish or cancel it/);
      await expectRefusedChangingNothing(
        PROD,
        { kind: 'scale', replicas: 5 },
        'OperationInProgress',
        /Another operation is running/,
      );
      expect(
        (await previewPlanAction({ clusterId: clusterId(STAGING), intent: { kind: 'scale', replicas: 3 } })).ok,
      ).toBe(true);
    } finally {
      await container().store.finishOperation(holder.id, 'cancelled', { summary: 'Test clean-up: never ran.' });
    }
    expect(await container().store.lockHolder(id)).toBeNull();
  });
});

// --- Quorum's own permissions (issue 11, item 4) ----------------------------------------------------------

/** The sandbox's IAM control: the permissions Quorum's identity lacks from now on, and whether Resource Manager's API is on. */
async function setIam(body: { denied?: string[]; resourceManagerApi?: 'enabled' | 'disabled' }): Promise<unknown> {
  const res = await fetch(`http://127.0.0.1:${inject('sandboxPort')}/sandbox/v1/chaos/iam`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  return res.json();
}

async function denyPermissions(denied: string[]): Promise<void> {
  expect(await setIam({ denied })).toEqual({ denied: [...denied].sort(), resourceManagerApi: 'enabled' });
}

describe('permissions preflight', () => {
  it('a denied permission: the preflight names it with its role, an add is refused naming it and nothing changes; observing goes on', async () => {
    await prodHealthy();
    await denyPermissions(['compute.instances.create']);
    try {
      const [answer, ...others] = await container().permissions.report(0);
      expect(others).toEqual([]);
      expect(answer).toEqual({
        project: PROD.project,
        checkedAt: expect.any(String) as unknown,
        error: null,
        missing: [
          { permission: 'compute.instances.create', uses: ['operate'], roles: ['roles/compute.instanceAdmin.v1'] },
        ],
      });

      const why = await expectRefusedChangingNothing(
        PROD,
        { kind: 'add-replica', zone: 'europe-west1-b' },
        'PermissionMissing',
        /compute\.instances\.create/,
      );
      expect(why).toContain('compute.instances.create (operate; granted by roles/compute.instanceAdmin.v1)');

      // The emulator refuses the call itself as Compute does, through Google's own client.
      const insert = gce.instances.insert({
        project: PROD.project,
        zone: 'europe-west1-b',
        instanceResource: { name: 'prod-master-nope', machineType: 'zones/europe-west1-b/machineTypes/e2-standard-2' },
      });
      await expect(insert).rejects.toThrow(
        "Required 'compute.instances.create' permission for 'projects/sandbox-project/zones/europe-west1-b/instances/prod-master-nope'",
      );

      // Observing needs none of it.
      expect((await observeClusterView(PROD)).topology.replicas).toHaveLength(3);
    } finally {
      await denyPermissions([]);
    }
    expect((await container().permissions.report(0))[0]?.missing).toEqual([]);
    expect(
      (await previewPlanAction({ clusterId: clusterId(PROD), intent: { kind: 'add-replica', zone: 'europe-west1-b' } }))
        .ok,
    ).toBe(true);
  });

  it('with the Resource Manager API disabled the permissions cannot be checked: Settings says why, a change is refused and nothing changes; observing goes on', async () => {
    await prodHealthy();
    expect(await setIam({ resourceManagerApi: 'disabled' })).toEqual({ denied: [], resourceManagerApi: 'disabled' });
    try {
      const [answer] = await container().permissions.report(0);
      expect(answer?.missing).toEqual([]);
      expect(answer?.error).toMatch(
        /Cloud Resource Manager API has not been used in project sandbox-project before or it is disabled/,
      );
      const why = await expectRefusedChangingNothing(
        PROD,
        { kind: 'add-replica', zone: 'europe-west1-b' },
        'PermissionMissing',
        /could not check its own permissions in project sandbox-project/,
      );
      expect(why).toContain('Enable the Cloud Resource Manager API');
      expect((await observeClusterView(PROD)).topology.replicas).toHaveLength(3);
    } finally {
      await setIam({ resourceManagerApi: 'enabled' });
    }
    expect((await container().permissions.report(0))[0]?.error).toBeNull();
  });

  it("Resource Manager's limits come back as typed provider errors", async () => {
    const many = Array.from({ length: 101 }, (_, i) => `compute.p${i}.get`);
    // The adapter splits a long list into calls of 100, as the API requires.
    expect(await container().iam.heldPermissions(PROD.project, many)).toEqual(many);
    await expect(container().iam.heldPermissions(PROD.project, ['compute.*'])).rejects.toMatchObject({
      code: 'InvalidArgument',
      httpStatus: 400,
    });
    await expect(container().iam.heldPermissions('X', ['compute.instances.get'])).rejects.toMatchObject({
      code: 'Forbidden',
      httpStatus: 403,
    });
  });
});
