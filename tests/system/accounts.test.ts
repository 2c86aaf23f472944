// Issue 12 on the real dashboard process (`next start`): findings 5, 6 and 12.
// - The bootstrap admin: the console says where the one-time password file is, never the password; every page
//   sends the admin to /account until a password of their own is set (the JSON routes and streams refuse it),
//   and a weak one is refused.
// - Client address: with no trusted proxy, X-Forwarded-For (or a forged client-address header) changes neither
//   the per-address sign-in limit nor the audit's "from where".
// - 500 anonymous server-action POSTs make at most two audit rows per minute, which count all 500.
// - Finding 7: signing out ends the user's open live stream within 5 s (`event: session-ended`).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { openSqliteStore, type SqliteStore } from '@/lib/adapters/store/sqlite-store';
import { cookieOf, dashboardReady, startDashboard, type DashboardProcess } from '@/tests/support/dashboard-process';
import { builtAction } from '@/tests/support/server-actions';
import { pollUntil, sandboxPort } from '../integration/support';

const APP_PORT = Number(process.env.QUORUM_SYS_ACCOUNTS_PORT ?? 3104);
const BASE = `http://127.0.0.1:${APP_PORT}`;
const PER_MINUTE = 4;
let dataDir = '';
let dashboard: DashboardProcess;
let store: SqliteStore;
/** The bootstrap admin's session once their own password is set (the first test). */
let adminCookie = '';

function dashboardOptions(): Parameters<typeof startDashboard>[0] {
  return {
    port: APP_PORT,
    dataDir,
    logFile: path.join(dataDir, 'dashboard.log'),
    env: {
      QUORUM_PROVIDER: 'sandbox',
      SANDBOX_PORT: String(sandboxPort()),
      QUORUM_SIGN_IN_PER_MINUTE: String(PER_MINUTE),
    },
  };
}

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'quorum-accounts-'));
  dashboard = startDashboard(dashboardOptions());
  const up = await pollUntil(
    () =>
      fetch(`${BASE}/api/health`).then(
        (r) => r.ok,
        () => false,
      ),
    (ok) => ok,
    120_000,
    500,
  );
  if (!up) throw new Error(`the dashboard did not come up; see ${dataDir}/dashboard.log`);
  await pollUntil(
    async () => readFileSync(path.join(dataDir, 'dashboard.log'), 'utf8'),
    (log) => log.includes('first start'),
    30_000,
    200,
  );
  store = await openSqliteStore(dataDir);
});

afterAll(async () => {
  await dashboard?.stop();
  await store?.close();
  if (!process.env.QUORUM_KEEP_INTEGRATION_DATA) rmSync(dataDir, { recursive: true, force: true });
});

const json = { 'content-type': 'application/json', origin: BASE };

function signIn(email: string, password: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${BASE}/api/auth/sign-in/email`, {
    method: 'POST',
    headers: { ...json, ...headers },
    body: JSON.stringify({ email, password }),
  });
}

describe('the bootstrap admin', () => {
  it('is announced by where its password file is, must set its own password first, and a weak one is refused', async () => {
    const log = readFileSync(path.join(dataDir, 'dashboard.log'), 'utf8');
    const file = readFileSync(path.join(dataDir, 'initial-admin-password'), 'utf8');
    const password = /^password: (.+)$/m.exec(file)?.[1] ?? '';
    expect(password.length).toBeGreaterThanOrEqual(12);
    expect(log).toContain(path.join(dataDir, 'initial-admin-password'));
    expect(log).not.toContain(password);

    const signedIn = await signIn('admin@quorum.local', password);
    expect(signedIn.status).toBe(200);
    const cookie = cookieOf(signedIn);
    // Pages stream (the root loading.tsx), so the redirect may come as Next's in-page redirect (HTTP 200 with a
    // refresh to the target) rather than a 307: either way to /account, and none of the users page.
    const sentToAccount = async (c: string) => {
      const res = await fetch(`${BASE}/users`, { headers: { cookie: c }, redirect: 'manual' });
      const body = await res.text();
      return res.status === 307
        ? /^\/account\?set-password=1/.test(res.headers.get('location') ?? '')
        : /\/account\?set-password=1/.test(body) && !body.includes('users-table');
    };
    expect(await sentToAccount(cookie)).toBe(true);
    // The JSON routes and live streams refuse it too, before any read of their own.
    for (const route of [
      '/api/fleet',
      '/api/clusters/sandbox-project~europe-west1~prod-master',
      '/api/clusters/sandbox-project~europe-west1~prod-master/events',
    ]) {
      const res = await fetch(`${BASE}${route}`, { headers: { cookie } });
      expect(res.status, route).toBe(403);
      expect(await res.json(), route).toMatchObject({ code: 'PasswordChangeRequired' });
    }

    const change = (newPassword: string, revokeOtherSessions = false) =>
      fetch(`${BASE}/api/auth/change-password`, {
        method: 'POST',
        headers: { ...json, cookie },
        body: JSON.stringify({ currentPassword: password, newPassword, revokeOtherSessions }),
      });
    // better-auth allows 3 password changes per 10 s from one address: two weak ones, then a good one.
    for (const weak of ['password1234', 'admin@quorum.local']) {
      const refused = await change(weak);
      expect(refused.status, weak).toBe(400);
      expect(await refused.json()).toMatchObject({ code: 'WEAK_PASSWORD' });
    }
    // As the account page does it: the other sessions end and this one is replaced by a new one.
    const changed = await change('Gentle-otter-carries-57-lanterns', true);
    expect(changed.status).toBe(200);
    adminCookie = cookieOf(changed);
    const after = await fetch(`${BASE}/users`, { headers: { cookie: adminCookie }, redirect: 'manual' });
    expect(after.status).toBe(200);
    expect(await after.text()).toContain('users-table');
    const rows = await store.listAudit({ action: 'user.change-password' });
    expect(rows.map((r) => [r.actor, r.outcome])).toEqual([
      ['admin@quorum.local', 'succeeded'],
      ['admin@quorum.local', 'refused'],
      ['admin@quorum.local', 'refused'],
    ]);
  });
});

describe('the client address, with no trusted proxy', () => {
  it('a spoofed X-Forwarded-For changes neither the per-address sign-in limit nor the audit source', async () => {
    // The admin's sign-in above used one attempt of this address's minute; fill the rest with wrong passwords
    // (each for another account, so the per-account limit never applies), each claiming another address.
    const before = await store.listAudit({ action: 'auth.sign-in' });
    for (let i = 1; i < PER_MINUTE; i++) {
      const res = await signIn(`nobody-${i}@example.com`, 'wrong-password-123', {
        'x-forwarded-for': `203.0.113.${i}`,
        'x-quorum-client-address': `203.0.113.${100 + i}`,
      });
      expect(res.status, `attempt ${i}`).toBe(401);
    }
    const spoofed = await signIn('nobody-x@example.com', 'wrong-password-123', { 'x-forwarded-for': '198.51.100.77' });
    expect(spoofed.status).toBe(429);

    // Each failed attempt is audited (the refused 429 never reached the endpoint), from the socket's address.
    const rows = (await store.listAudit({ action: 'auth.sign-in' })).filter((r) => !before.some((b) => b.id === r.id));
    expect(rows).toHaveLength(PER_MINUTE - 1);
    for (const row of rows) expect(row).toMatchObject({ actor: 'anonymous', outcome: 'refused', source: '127.0.0.1' });
  });
});

describe('anonymous refusals', () => {
  it('500 anonymous POSTs of a server action make at most two rows per minute, which count all 500, though the dashboard is killed right after them', async () => {
    const action = builtAction('startOperationAction');
    const id = action.id;
    const page = action.page.replace('[id]', 'sandbox-project~europe-west1~prod-master');
    const since = new Date().toISOString();
    const call = (i: number) =>
      fetch(`${BASE}${page}`, {
        method: 'POST',
        headers: {
          'Next-Action': id,
          'Content-Type': 'text/plain;charset=UTF-8',
          Accept: 'text/x-component',
          Origin: BASE,
          'x-forwarded-for': `192.0.2.${i % 250}`,
        },
        body: JSON.stringify([
          {
            clusterId: 'sandbox-project~europe-west1~prod-master',
            intent: { kind: 'add-replica', zone: 'europe-west1-d' },
            confirm: 'prod-master',
          },
        ]),
      }).then(async (r) => {
        const body = await r.text();
        expect(body).toContain('Unauthenticated');
      });
    for (let i = 0; i < 500; i += 10) await Promise.all(Array.from({ length: 10 }, (_, k) => call(i + k)));
    const rowsNow = await store.listAudit({ actor: 'anonymous', since, action: 'action.' });
    // The counts live in the store file, not in the process: kill -9 mid-minute and start again. The new
    // process writes the minutes that ended while it was down at once, and the current one when it ends.
    process.kill(dashboard.pid, 'SIGKILL');
    await dashboard.exited;
    dashboard = startDashboard(dashboardOptions());
    await dashboardReady(dashboard, APP_PORT);
    const ended = Date.now();
    // The folded count of a minute is written when that minute is over: wait for the last one.
    await new Promise((resolve) => setTimeout(resolve, 60_000 - (ended % 60_000) + 1_000));
    const rows = await store.listAudit({ actor: 'anonymous', since, action: 'action.' });
    const minutes = new Set(rows.map((r) => r.at.slice(0, 16))).size;
    expect(rowsNow.length).toBeLessThanOrEqual(4);
    expect(rows.length).toBeLessThanOrEqual(2 * Math.max(1, minutes) + 2);
    const counted = rows.reduce(
      (sum, r) =>
        sum + (r.action === 'action.anonymous-refusals' ? z.object({ count: z.number() }).parse(r.detail).count : 1),
      0,
    );
    expect(counted).toBe(500);
    for (const r of rows) expect(r.source).toBe('127.0.0.1');
  });
});

describe('signing out', () => {
  it('ends the open live stream of that session within 5 s, with event: session-ended (finding 7)', async () => {
    expect(adminCookie).not.toBe('');
    const res = await fetch(`${BASE}/api/clusters/sandbox-project~europe-west1~prod-master/events`, {
      headers: { cookie: adminCookie, accept: 'text/event-stream' },
    });
    expect(res.status).toBe(200);
    const reader = res.body?.getReader();
    if (!reader) throw new Error('the stream has no body');
    const decoder = new TextDecoder();
    let text = '';
    // The stream is live: its first message arrives before anything else is done.
    while (!text.includes('\n\n')) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`the stream ended before its first message: ${text}`);
      text += decoder.decode(value, { stream: true });
    }
    const signedOut = await fetch(`${BASE}/api/auth/sign-out`, {
      method: 'POST',
      headers: { ...json, cookie: adminCookie },
      body: '{}',
    });
    expect(signedOut.status).toBe(200);
    const at = Date.now();
    const ended = await Promise.race([
      (async () => {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) return true;
          text += decoder.decode(value, { stream: true });
        }
      })(),
      new Promise<false>((resolve) => setTimeout(() => resolve(false), 10_000)),
    ]);
    const took = Date.now() - at;
    await reader.cancel().catch(() => undefined);
    expect(ended).toBe(true);
    expect(took).toBeLessThan(5_000);
    expect(text).toContain('event: session-ended');
    // And the session is gone: the same cookie opens no stream any more.
    const again = await fetch(`${BASE}/api/clusters/sandbox-project~europe-west1~prod-master/events`, {
      headers: { cookie: adminCookie },
    });
    expect(again.status).toBe(401);
    await again.body?.cancel();
  });
});
