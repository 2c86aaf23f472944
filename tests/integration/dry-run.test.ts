// A plan's dry run against what its operation really did, on prod (three replicas, a load balancer): an add and
// then the removal of that replica, each started through startOperationAction as an operator would (plan on a
// fresh observation, the list kept with the stored plan), run by the dashboard's own runner over the real sandbox
// and etcd. The Compute mutations the emulator logged during the run (its own request log, not Quorum's account:
// reads and Operation polling left out) are exactly the listed Compute calls, in order, each with a requestId; the
// etcd calls the steps logged are exactly the listed etcd calls, and etcdctl's member lists before and after
// differ by just the member those calls add or remove. Prod is left with the three replicas it had.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { callLine, withNamesChosen, type PlanCalls, type PlannedCall } from '@/lib/core/dry-run';
import type { ClusterIntent } from '@/lib/core/planner';
import { clusterId, type EtcdClusterName } from '@/lib/core/topology';
import { TERMINAL_STATUSES } from '@/lib/core/operation-view';
import { startOperationAction } from '@/lib/actions/start-operation-action';
import { setCallerResolverForTests } from '@/lib/server/auth/caller';
import { container } from '@/lib/server/container';
import { readOperationView } from '@/lib/server/operations/operation-views';
import {
  etcdctlMemberList,
  pollUntil,
  PROD,
  replicaVms,
  sandboxPort,
  warmUpAccess,
  writeEtcdctlCerts,
} from './support';
import { restoreActionEnv } from './action-env';

// Before any import is evaluated: the actions' container reads process.env (action-env.ts).
const { dataDir, savedEnv } = await vi.hoisted(async () =>
  (await import('./action-env')).pointActionsAtSandbox('quorum-dry-run-'),
);

const OPERATOR = {
  userId: 'u-operator',
  email: 'operator@quorum.test',
  name: 'Operator',
  role: 'operator' as const,
  source: '127.0.0.1',
};
const ZONE = 'europe-west1-b';
const log = (msg: string) => console.log(`[dry-run] ${msg}`);

const requestLogSchema = z.object({
  entries: z.array(
    z.object({
      seq: z.number(),
      httpMethod: z.string(),
      method: z.string().nullable(),
      project: z.string().nullable(),
      zone: z.string().nullable(),
      region: z.string().nullable(),
      name: z.string().nullable(),
      requestId: z.boolean(),
      status: z.number(),
    }),
  ),
  next: z.number(),
  dropped: z.number(),
});

async function requestLog(after: number) {
  const res = await fetch(`http://127.0.0.1:${sandboxPort()}/sandbox/v1/chaos/compute-requests?after=${after}`);
  expect(res.status).toBe(200);
  return requestLogSchema.parse(await res.json());
}

let original: string[] = [];
let added: string | null = null;

beforeAll(async () => {
  setCallerResolverForTests(async () => OPERATOR);
  expect(container().env.SANDBOX_PORT).toBe(sandboxPort());
  expect(container().env.QUORUM_DATA_DIR).toBe(dataDir);
  // A new data dir is a new SSH key: its publication on prod's masters happens here, not during the runs below.
  await warmUpAccess(container());
  original = (await replicaVms(container(), PROD)).map((r) => r.name);
  expect(original).toHaveLength(3);
}, 180_000);

afterAll(async () => {
  // A failed run below must not leave prod with a fourth replica for the files after this one. When beforeAll
  // failed there is no list of the replicas prod had, and nothing is removed.
  const left =
    original.length === 0
      ? []
      : (await replicaVms(container(), PROD)).map((r) => r.name).filter((n) => !original.includes(n));
  for (const name of left) {
    const vm = (await replicaVms(container(), PROD)).find((r) => r.name === name);
    if (vm)
      await runThroughAction({ kind: 'remove-replica', zone: vm.zone, name }).catch((e: unknown) =>
        log(`clean-up of ${name}: ${String(e)}`),
      );
  }
  setCallerResolverForTests(undefined);
  await container().close();
  restoreActionEnv({ dataDir, savedEnv });
}, 900_000);

/** Members of main and events by name, as etcdctl (not Quorum's client) lists them through prod's replicas. */
async function memberLists(): Promise<Record<EtcdClusterName, Array<{ name: string; isLearner: boolean }>>> {
  const vms = await replicaVms(container(), PROD);
  const certs = writeEtcdctlCerts(vms[0]?.metadata ?? {});
  try {
    const list = async (cluster: EtcdClusterName) =>
      (
        await etcdctlMemberList(
          certs,
          vms.map((r) => ({ instance: r.name, cluster })),
        )
      )
        .map((m) => ({ name: m.name, isLearner: m.isLearner }))
        .sort((a, b) => a.name.localeCompare(b.name));
    return { main: await list('main'), events: await list('events') };
  } finally {
    certs.cleanup();
  }
}

/** Starts `intent` on prod as the operator and waits for the dashboard's runner to end it. */
async function runThroughAction(intent: ClusterIntent) {
  const started = await startOperationAction({ clusterId: clusterId(PROD), intent, confirm: PROD.masterName });
  if (!started.ok) throw new Error(`refused: ${started.code} ${started.message}`);
  const { operationId } = started.data;
  const store = container().store;
  const ended = await pollUntil(
    () => store.getOperation(operationId),
    (op) => op !== null && TERMINAL_STATUSES.has(op.status),
    600_000,
    500,
  );
  const view = await readOperationView(store, operationId);
  if (!ended || !view) throw new Error(`operation ${operationId} is gone`);
  if (ended.status !== 'succeeded') for (const l of view.log) log(`  ${l.level} ${l.message}`);
  return { ended, view, records: await store.steps(operationId) };
}

/** The listed calls with the names the run picked in place of placeholders (pick-name's detail). */
function listedWithNames(
  calls: PlanCalls,
  records: ReadonlyArray<{ stepId: string; detail: unknown }>,
  planSteps: ReadonlyArray<{ id: string; kind: string; params: Record<string, unknown> }>,
): PlanCalls {
  const names: Record<string, string> = {};
  for (const step of planSteps) {
    if (step.kind !== 'pick-name' || step.params.namePending !== true || typeof step.params.name !== 'string') continue;
    const picked = z.object({ name: z.string() }).safeParse(records.find((r) => r.stepId === step.id)?.detail);
    if (picked.success) names[step.params.name] = picked.data.name;
  }
  const chosen = withNamesChosen(calls, names);
  expect(chosen.chosenAtRunTime, 'every placeholder has the name the run picked').toEqual([]);
  return chosen;
}

/**
 * The etcd calls the steps report in the operation log, in the listed form (`etcd MemberPromote main etcd-x`).
 * The runner writes a step's line as `<step title>: <message>`.
 */
function etcdCallsLogged(entries: ReadonlyArray<{ message: string }>, titles: readonly string[]): string[] {
  const out: string[] = [];
  for (const { message } of entries) {
    const title = titles.find((t) => message.startsWith(`${t}: `));
    if (title === undefined) continue;
    const line = message.slice(title.length + 2);
    let m: RegExpExecArray | null;
    if ((m = /^(\S+) is a learner in etcd (main|events) \(member /.exec(line)))
      out.push(`etcd MemberAddAsLearner ${m[2]} etcd-${m[1]}`);
    else if ((m = /^(\S+) is a voter in etcd (main|events)$/.exec(line)))
      out.push(`etcd MemberPromote ${m[2]} etcd-${m[1]}`);
    else if ((m = /^(\S+) removed from etcd (main|events)$/.exec(line)))
      out.push(`etcd MemberRemove ${m[2]} etcd-${m[1]}`);
    else if ((m = /^etcd (main|events) leadership moved off (\S+)$/.exec(line)))
      out.push(`etcd MoveLeader ${m[1]} etcd-${m[2]}`);
    else if ((m = /^etcd (main|events) snapshot \S+ from (\S+) verified/.exec(line)))
      out.push(`etcd Snapshot ${m[1]} etcd-${m[2]}`);
  }
  return out;
}

/** Runs `intent` and checks the run against its stored dry run; returns the list and the member lists before and after. */
async function runAndCompare(intent: ClusterIntent) {
  const membersBefore = await memberLists();
  const { next: since } = await requestLog(0);
  const run = await runThroughAction(intent);
  const { entries, dropped } = await requestLog(since);
  expect(run.ended.status, run.ended.summary ?? '').toBe('succeeded');
  expect(dropped, 'the request log kept every request of the run').toBe(0);

  // The list as the operation page shows it: kept with the plan when the operation was created.
  expect(run.view.calls, 'the operation keeps its dry run').not.toBeNull();
  const calls = listedWithNames(
    run.view.calls ?? { steps: [], chosenAtRunTime: [] },
    run.records,
    run.ended.plan.steps,
  );
  const listed = calls.steps.flatMap((s) => s.calls);
  const lines = (kind: PlannedCall['kind']) => listed.filter((c) => c.kind === kind).map(callLine);

  // Compute: every mutation the emulator answered during the run, reads and Operation polling left out.
  const mutations = entries.filter((e) => e.httpMethod !== 'GET' && !/Operations\./.test(e.method ?? ''));
  const made = mutations.map(
    (e) => `compute ${e.method ?? e.httpMethod} ${e.project ?? ''}/${e.zone ?? e.region ?? 'global'}/${e.name ?? ''}`,
  );
  log(`${intent.kind}: listed\n  ${lines('compute').join('\n  ')}\nmade\n  ${made.join('\n  ')}`);
  expect(made).toEqual(lines('compute'));
  expect(
    mutations.filter((e) => !e.requestId || e.status !== 200),
    'each mutation carried a requestId and succeeded at once',
  ).toEqual([]);

  // etcd: what the steps did (their log), and etcdctl's member lists.
  expect(
    etcdCallsLogged(
      run.view.log,
      run.view.steps.map((st) => st.title),
    ).sort(),
  ).toEqual(lines('etcd').sort());
  const membersAfter = await memberLists();
  return { calls, listed, membersBefore, membersAfter, run };
}

describe("a plan's dry run against the emulator's request log", () => {
  it('an add on prod makes exactly the listed calls', async () => {
    const { listed, membersBefore, membersAfter, run } = await runAndCompare({ kind: 'add-replica', zone: ZONE });
    const vms = (await replicaVms(container(), PROD)).map((r) => r.name);
    const newName = vms.find((n) => !original.includes(n));
    expect(newName).toBeDefined();
    added = newName ?? null;
    log(`added ${added ?? '?'} in ${run.view.steps.length} steps`);
    for (const cluster of ['main', 'events'] as const) {
      // Learner added and promoted: one more voter, the one the listed calls name.
      expect(membersAfter[cluster]).toEqual(
        [...membersBefore[cluster], { name: `etcd-${newName ?? ''}`, isLearner: false }].sort((a, b) =>
          a.name.localeCompare(b.name),
        ),
      );
      expect(
        listed.filter((c) => c.kind === 'etcd' && c.cluster === cluster && c.call !== 'Snapshot').map(callLine),
      ).toEqual([
        `etcd MemberAddAsLearner ${cluster} etcd-${newName ?? ''}`,
        `etcd MemberPromote ${cluster} etcd-${newName ?? ''}`,
      ]);
    }
    // The new instance's metadata and Quorum's key went in with its insert; no setMetadata was listed or made.
    expect(listed.filter((c) => c.kind === 'ssh-key').map(callLine)).toEqual([
      `ssh-key ${PROD.project}/${ZONE}/${newName ?? ''}`,
    ]);
    expect(listed.some((c) => c.kind === 'compute' && c.method === 'instances.setMetadata')).toBe(false);
  }, 900_000);

  it('its removal makes exactly the listed calls and leaves prod as it was', async () => {
    if (added === null) throw new Error('the add before did not leave a replica to remove');
    const name = added;
    const { listed, membersBefore, membersAfter } = await runAndCompare({ kind: 'remove-replica', zone: ZONE, name });
    for (const cluster of ['main', 'events'] as const) {
      expect(membersAfter[cluster]).toEqual(membersBefore[cluster].filter((m) => m.name !== `etcd-${name}`));
      expect(
        listed.some(
          (c) => c.kind === 'etcd' && c.cluster === cluster && c.call === 'MemberRemove' && c.member === `etcd-${name}`,
        ),
      ).toBe(true);
    }
    expect((await replicaVms(container(), PROD)).map((r) => r.name)).toEqual(original);
    added = null;
  }, 900_000);
});
