// Access control of the built dashboard, enumerated from the build itself: every server action in
// .next/server/server-reference-manifest.json and every route handler in app-paths-manifest.json. An
// anonymous call of any of them is refused (401 / Unauthenticated), a viewer's call of any action that
// changes something is refused (Forbidden), and none of those calls changes anything in Compute Engine or
// starts an operation. Only sign-in itself (better-auth's handler) and the liveness probe answer anonymously.
import { randomBytes } from 'node:crypto';
import { request as playwrightRequest } from '@playwright/test';
import { expect, test } from './fixtures/test';
import { BASE_URL, signIn } from './fixtures/auth';
import { builtActions, builtRouteHandlers, callAction, type BuiltAction } from './fixtures/actions';
import { listMasters } from './fixtures/compute';

/** Actions that only read (plans are previews): a viewer may call them. Any other action must refuse a viewer. */
const READ_ONLY = new Set([
  'previewPlanAction',
  'previewCreateClusterAction',
  'readBackupGateFailureAction',
  'readChaosStateAction',
  'readStockoutOfferAction',
]);
const PROD_ID = 'sandbox-project~europe-west1~prod-master';

/** A well-formed argument per action, so a refusal cannot come from input validation. */
const ARGS: Record<string, unknown> = {
  applyChaosAction: { clusterId: PROD_ID, request: { scope: 'zone', zone: 'europe-west1-b', down: true } },
  readChaosStateAction: {},
  readBackupGateFailureAction: { clusterId: PROD_ID, operationId: '00000000-0000-4000-8000-000000000000' },
  readStockoutOfferAction: { clusterId: PROD_ID, operationId: '00000000-0000-4000-8000-000000000000' },
  previewPlanAction: { clusterId: PROD_ID, intent: { kind: 'add-replica', zone: 'europe-west1-d' } },
  startOperationAction: {
    clusterId: PROD_ID,
    intent: { kind: 'add-replica', zone: 'europe-west1-d' },
    confirm: 'prod-master',
  },
  cancelOperationAction: { operationId: '00000000-0000-4000-8000-000000000000' },
  createClusterAction: {
    project: 'sandbox-project',
    masterName: 'enum-master',
    zone: 'europe-west1-b',
    multizone: true,
    confirm: 'enum-master',
  },
  previewCreateClusterAction: {
    project: 'sandbox-project',
    masterName: 'enum-master',
    zone: 'europe-west1-b',
    multizone: true,
  },
  createUserAction: {
    email: `enum-${Date.now()}@e2e.test`,
    name: 'Enumerated',
    role: 'admin',
    password: 'enumerated-password-1',
  },
  setUserRoleAction: { userId: 'no-such-user', role: 'admin' },
  changeAccountAction: { userId: 'no-such-user', change: 'disable' },
  addWebhookAction: { name: 'enumerated', url: 'http://127.0.0.1:9/enumerated', format: 'alertmanager', enabled: true },
  deleteWebhookAction: { id: '00000000-0000-4000-8000-000000000000' },
  setWebhookEnabledAction: { id: '00000000-0000-4000-8000-000000000000', enabled: false },
  sendTestNotificationAction: { id: '00000000-0000-4000-8000-000000000000' },
  trustHostKeyAction: {
    clusterId: PROD_ID,
    replica: 'prod-master',
    zone: 'europe-west1-b',
    pinnedFingerprint: `SHA256:${'A'.repeat(43)}`,
    presentedFingerprint: `SHA256:${'B'.repeat(43)}`,
  },
};

const world = async () => (await listMasters()).map((m) => `${m.name}@${m.zone}:${m.status}`).sort();

test('every server action and route handler in the build refuses anonymous calls, and every mutating action refuses a viewer, changing nothing', async ({
  request,
}) => {
  const actions = builtActions();
  const routes = builtRouteHandlers();
  expect(actions.length).toBeGreaterThanOrEqual(10);
  // A new action without an argument here fails this test instead of being skipped.
  expect(actions.map((a) => a.name).filter((n) => !(n in ARGS))).toEqual([]);
  const before = await world();

  // A viewer, created by the bootstrap admin (this spec's default session).
  const viewer = {
    email: `enum-viewer-${randomBytes(3).toString('hex')}@e2e.test`,
    password: randomBytes(12).toString('base64url'),
  };
  const created = await callAction(request, must(actions, 'createUserAction'), {
    email: viewer.email,
    name: 'Enum Viewer',
    role: 'viewer',
    password: viewer.password,
  });
  expect(created.result).toMatchObject({ ok: true });
  // Explicitly without cookies: inside a test, new contexts would otherwise inherit the config's (admin) storageState.
  const noSession = { baseURL: BASE_URL, storageState: { cookies: [], origins: [] } };
  const anonymous = await playwrightRequest.newContext(noSession);
  const asViewer = await playwrightRequest.newContext(noSession);
  await signIn(asViewer, viewer.email, viewer.password);

  try {
    for (const action of actions) {
      const arg = ARGS[action.name];
      const anon = await callAction(anonymous, action, arg);
      expect(anon.result, `anonymous ${action.name}: ${anon.body.slice(0, 300)}`).toMatchObject({
        ok: false,
        code: 'Unauthenticated',
      });
      if (READ_ONLY.has(action.name)) continue;
      const byViewer = await callAction(asViewer, action, arg);
      expect(byViewer.result, `viewer ${action.name}: ${byViewer.body.slice(0, 300)}`).toMatchObject({
        ok: false,
        code: 'Forbidden',
      });
    }

    for (const route of routes) {
      const url = route
        .replace('[id]', encodeURIComponent(PROD_ID))
        .replace('[opId]', '00000000-0000-4000-8000-000000000000')
        .replace('[...all]', 'get-session');
      const res = await anonymous.get(url, { maxRedirects: 0 });
      if (route === '/api/health' || route === '/icon.svg') expect(res.status(), route).toBe(200);
      else if (route === '/api/auth/[...all]')
        expect(await res.json(), route).toBeNull(); // no session: nobody
      else expect(res.status(), `anonymous GET ${route}`).toBe(401);
    }
    // better-auth's own mutating endpoints: no self-service sign-up, and its admin endpoints refuse anyone but an admin.
    const signUp = await anonymous.post('/api/auth/sign-up/email', {
      data: { email: 'intruder@e2e.test', password: 'intruder-password-1', name: 'x' },
      headers: { origin: BASE_URL },
    });
    expect(signUp.ok()).toBe(false);
    for (const ctx of [anonymous, asViewer]) {
      const res = await ctx.post('/api/auth/admin/create-user', {
        data: { email: 'intruder@e2e.test', password: 'intruder-password-1', name: 'x', role: 'admin' },
        headers: { origin: BASE_URL },
      });
      expect([401, 403]).toContain(res.status());
    }
    const intruder = await anonymous.post('/api/auth/sign-in/email', {
      data: { email: 'intruder@e2e.test', password: 'intruder-password-1' },
      headers: { origin: BASE_URL },
    });
    expect(intruder.status()).toBe(401);
  } finally {
    await anonymous.dispose();
    await asViewer.dispose();
  }
  expect(await world()).toEqual(before);
});

function must(actions: BuiltAction[], name: string): BuiltAction {
  const found = actions.find((a) => a.name === name);
  if (!found) throw new Error(`the build has no ${name}`);
  return found;
}
