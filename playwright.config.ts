import { defineConfig } from '@playwright/test';

// e2e runs against its own sandbox (port 8781, net 30, its own data dir) and a production build of the
// dashboard on port 3100, so it never touches a developer's sandbox on 8780 / dashboard on 3000.
export const E2E = {
  sandboxPort: 8781,
  sandboxNet: 30,
  appPort: 3100,
  dataDir: '.quorum-e2e',
  /** The dashboard's own data dir (store, snapshots, auth secret, the bootstrap admin's password file), emptied at each start. */
  appDataDir: '.quorum-e2e-app',
  /** Where the global setup keeps the bootstrap admin's signed-in session for every spec. */
  adminState: 'test-results/.auth/admin.json',
  /** The bearer token the dashboard asks of a Prometheus scrape of /metrics. */
  metricsToken: 'e2e-metrics-token-not-a-secret',
};

export default defineConfig({
  testDir: 'e2e',
  testMatch: '**/*.spec.ts',
  // Its own folder: Playwright empties outputDir at start, and test-results/ also holds vitest's reports.
  outputDir: 'test-results/playwright',
  fullyParallel: false,
  workers: 1,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter: process.env.CI ? [['list'], ['json', { outputFile: 'test-results/e2e.json' }]] : 'list',
  globalSetup: './e2e/global-setup.ts',
  use: {
    baseURL: `http://127.0.0.1:${E2E.appPort}`,
    launchOptions: {
      executablePath: '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
    viewport: { width: 1440, height: 1000 },
    // The browser asks for English (Accept-Language), whatever the machine's locale; e2e/i18n.spec.ts asks for Chinese.
    locale: 'en-US',
    // Signed in as the bootstrap admin (e2e/global-setup.ts); e2e/auth.spec.ts signs in as others itself.
    storageState: E2E.adminState,
    trace: 'off',
    screenshot: 'only-on-failure',
  },
  webServer: {
    // A fresh dashboard data dir each run, so the first start creates the bootstrap admin.
    command: `rm -rf ${E2E.appDataDir} && sh scripts/start-dashboard.sh -H 127.0.0.1 -p ${E2E.appPort}`,
    url: `http://127.0.0.1:${E2E.appPort}/api/health`,
    reuseExistingServer: false,
    timeout: 60_000,
    // The e2e sandbox forwards after 4 s (e2e/global-setup.ts): the load-balancer ETA should expect that.
    env: {
      QUORUM_PROVIDER: 'sandbox',
      SANDBOX_PORT: String(E2E.sandboxPort),
      QUORUM_DATA_DIR: E2E.appDataDir,
      QUORUM_LB_PROPAGATION_SECONDS: '4',
      // The specs sign in several users within a minute from one address.
      QUORUM_SIGN_IN_PER_MINUTE: '30',
      // e2e/f-access.spec.ts removes Quorum's key by hand: a fresh login every 5 s shows it within seconds.
      QUORUM_SSH_LOGIN_CHECK_SECONDS: '5',
      // The specs' admin opens dozens of pages in a row, each holding a live stream whose slot comes back only once
      // the server sees the page gone: e2e does not test the per-user cap (tests/system/stream-flood.test.ts does).
      QUORUM_STREAMS_PER_USER: '64',
      // /metrics is on, so e2e/access-enumeration.spec.ts sees it refuse an anonymous scrape (401) like every route.
      QUORUM_METRICS_TOKEN: E2E.metricsToken,
    },
  },
});
