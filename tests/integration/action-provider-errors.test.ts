// Issue 12, finding 10: Compute failing under a server action, injected by the sandbox the way Google fails
// (sandbox/chaos/compute-faults.ts: 429, 503 backendError, 403 QUOTA_EXCEEDED; its IAM control for a 403
// forbidden), while the real preview and start actions plan an add on prod. Each comes back as its typed code with
// words (never "Something went wrong on the server"), a rate limit with when to try again; the refused start is
// audited like the planner's refusals (operation.add-replica, who, from where, the code) and changes nothing.
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { DomainErrorCode, Result } from '@/lib/core/errors';
import type { ClusterIntent } from '@/lib/core/planner';
import { clusterId } from '@/lib/core/topology';
import { previewPlanAction } from '@/lib/actions/preview-plan-action';
import { startOperationAction } from '@/lib/actions/start-operation-action';
import { setCallerResolverForTests } from '@/lib/server/auth/caller';
import { container } from '@/lib/server/container';
import { postSandboxChaos } from '@/tests/support/sandbox-chaos-http';
import { journalSnapshot, PROD, sandboxPort } from './support';
import { restoreActionEnv } from './action-env';

// Before any import is evaluated: the actions' container reads process.env (action-env.ts).
const { dataDir, savedEnv } = await vi.hoisted(async () =>
  (await import('./action-env')).pointActionsAtSandbox('quorum-action-faults-'),
);

const OPERATOR = {
  userId: 'u-operator',
  email: 'operator@quorum.test',
  name: 'Operator',
  role: 'operator' as const,
  source: '198.51.100.7',
};
const INTENT: ClusterIntent = { kind: 'add-replica', zone: 'europe-west1-b' };
const faultsUrl = () => `http://127.0.0.1:${sandboxPort()}/sandbox/v1/chaos/compute-faults`;

beforeAll(() => {
  setCallerResolverForTests(async () => OPERATOR);
  expect(container().env.SANDBOX_PORT).toBe(sandboxPort());
  expect(container().env.QUORUM_DATA_DIR).toBe(dataDir);
});

afterEach(async () => {
  await fetch(faultsUrl(), { method: 'DELETE' });
  await postSandboxChaos(sandboxPort(), 'iam', { denied: [] });
});

afterAll(async () => {
  setCallerResolverForTests(undefined);
  await container().close();
  restoreActionEnv({ dataDir, savedEnv });
});

/** Every planning read of prod's forwarding rule fails with `error` (more than any retry would take). */
async function failForwardingRuleReads(error: string): Promise<void> {
  const res = await fetch(faultsUrl(), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ method: 'forwardingRules.get', count: 100, error }),
  });
  expect(res.status, await res.clone().text()).toBe(200);
}

function expectTypedRefusal(result: Result<unknown>, code: DomainErrorCode, says: RegExp): string {
  expect(result.ok, JSON.stringify(result)).toBe(false);
  if (result.ok) throw new Error('not refused');
  expect(result.code, result.message).toBe(code);
  expect(result.message).toMatch(says);
  expect(result.message).toMatch(/nothing was changed/);
  expect(result.message).not.toMatch(/Something went wrong|server log|\bat \S+:\d+|\[object/);
  return result.message;
}

describe('Compute failing under the preview and start actions', () => {
  it.each([
    { error: 'backendError', code: 'ProviderUnavailable', says: /could not answer now.*Internal error/ },
    { error: 'QUOTA_EXCEEDED', code: 'QuotaExceeded', says: /quota of the project is used up.*Quota 'CPUS' exceeded/ },
    { error: 'rateLimited', code: 'RateLimited', says: /rate quota is used up for this minute.*Try again in 60 s/ },
  ] satisfies Array<{ error: string; code: DomainErrorCode; says: RegExp }>)(
    '$error: $code with words, the refused start audited',
    async ({ error, code, says }) => {
      await failForwardingRuleReads(error);
      await expectRefusedAndAudited(code, says);
    },
  );

  it("a permission Quorum's service account lacks (IAM): PermissionDenied naming it, the refused start audited", async () => {
    await postSandboxChaos(sandboxPort(), 'iam', { denied: ['compute.forwardingRules.get'] });
    await expectRefusedAndAudited('PermissionDenied', /not allowed to do this.*compute\.forwardingRules\.get/);
  });
});

async function expectRefusedAndAudited(code: DomainErrorCode, says: RegExp): Promise<void> {
  const id = clusterId(PROD);
  const before = await journalSnapshot(container().store, [PROD]);

  expectTypedRefusal(await previewPlanAction({ clusterId: id, intent: INTENT }), code, says);
  const started = await startOperationAction({ clusterId: id, intent: INTENT, confirm: PROD.masterName });
  const message = expectTypedRefusal(started, code, says);
  if (code === 'RateLimited') expect(started).toMatchObject({ retryAfterSeconds: 60 });

  const after = await journalSnapshot(container().store, [PROD]);
  expect(after.operations).toEqual(before.operations);
  expect(after.locks).toEqual(before.locks);
  // The preview reads; only the refused start is in the audit, once, as the planner's refusals are.
  const added = after.audit.filter((a) => !before.audit.some((b) => b.id === a.id));
  expect(added).toEqual([
    expect.objectContaining({
      actor: OPERATOR.email,
      source: OPERATOR.source,
      action: `operation.${INTENT.kind}`,
      clusterId: id,
      operationId: null,
      outcome: 'refused',
      detail: expect.objectContaining({ code, message, intent: INTENT }),
    }),
  ]);
}
