// Runs after a-operations and b-refusals (file order), against the same sandbox. Uses the chaos panel to kill
// etcd main on a prod replica and expects the page to show the failure within 2 s, classified with its
// evidence, then restores it from the panel. Prod must end 3/3 healthy for the specs that follow.
import path from 'node:path';
import { E2E } from '../playwright.config';
import type { Page } from '@playwright/test';
import { expect, test } from './fixtures/test';
import { sandboxChaos } from './fixtures/chaos';
import { ChaosPanel } from './pages/chaos-panel';

test.describe.configure({ timeout: 180_000 });

// Kept outside Playwright's outputDir, which every run empties, so the screenshots can be looked at later.
const shot = (name: string) => path.join('test-results', 'chaos', name);

/** Records every browser notification the page shows (`window.quorumNotifications`), then shows it as usual. */
function recordNotifications() {
  const shown: { title: string; body: string }[] = [];
  Object.assign(window, { quorumNotifications: shown });
  const Real = window.Notification;
  class Recorded extends Real {
    constructor(title: string, options?: NotificationOptions) {
      shown.push({ title, body: options?.body ?? '' });
      super(title, options);
    }
  }
  window.Notification = Recorded;
}
const notificationsShown = (page: Page) =>
  page.evaluate(() => (window as unknown as { quorumNotifications: { title: string }[] }).quorumNotifications);

test('kill etcd on a prod replica from the chaos panel: failed within 2 s with class and evidence, notified, then restored', async ({
  page,
  context,
  clusterPage,
  request,
}) => {
  // "Notify me" (opt-in browser notifications): granted here, as the browser's prompt would.
  await context.grantPermissions(['notifications']);
  await page.addInitScript(recordNotifications);
  await clusterPage.goto('prod-master', 'europe-west1');
  await expect(page.locator('[data-testid="replica-card"][data-health="healthy"]')).toHaveCount(3, { timeout: 60_000 });
  // Live through SSE, so the 2 s below measure the feed, not the fallback polling.
  await expect(page.getByTestId('live-indicator')).toHaveAttribute('data-status', 'live', { timeout: 30_000 });
  const notifyMe = page.getByTestId('notify-me');
  await expect(notifyMe).toHaveAttribute('data-state', 'off');
  await notifyMe.click();
  await expect(notifyMe).toHaveAttribute('data-state', 'on');
  await expect(page).toHaveTitle(/^prod-master/);

  const panel = new ChaosPanel(page);
  await expect(panel.root()).toBeVisible();
  await expect(panel.zone('europe-west1-b')).toBeVisible();
  await panel.card().scrollIntoViewIfNeeded();
  await panel.card().screenshot({ path: shot('chaos-panel.png') });

  // A follower of etcd main: killing it does not hold the page up with an election.
  const follower = page
    .locator('[data-testid="replica-card"]:has([data-testid="etcd-main"][data-role="follower"])')
    .first();
  const name = await follower.getAttribute('data-replica');
  if (!name) throw new Error('no prod follower on the page');
  const card = clusterPage.replica(name);
  const zone = await card.locator('xpath=ancestor::*[@data-testid="zone-column"][1]').getAttribute('data-zone');
  await expect(panel.replica(name).getByTestId('chaos-faults')).toHaveText('no fault');

  await panel.action(name, 'kill-etcd-main').click();
  // Whatever fails below, the replica is restored (finally) for the specs that follow.
  try {
    // The page, not the panel's answer, must show it: within 2 s of the click.
    await expect(card).toHaveAttribute('data-failure', 'etcd-unreachable', { timeout: 2_000 });
    await expect(card).toHaveAttribute('data-health', 'unhealthy');
    const failure = card.getByTestId('replica-failure');
    await expect(failure.getByTestId('failure-class')).toHaveText('etcd unreachable');
    await expect(failure.getByTestId('failure-evidence')).toContainText(/etcd main\s+\S+:2379: connection refused/);
    await expect(failure.getByTestId('failure-evidence')).toContainText('API server');
    await expect(failure.getByTestId('failure-since')).toHaveText(/^for \d+s, since \d\d:\d\d:\d\d UTC$/);
    const finding = page
      .locator(`[data-testid="finding"][data-code="ReplicaUnhealthy"][data-failure="etcd-unreachable"]`)
      .filter({ hasText: name });
    await expect(finding).toBeVisible();
    await expect(finding).toContainText('etcd unreachable');
    await expect(finding.getByTestId('finding-since')).toHaveText(/since \d\d:\d\d:\d\d UTC/);
    await expect(panel.replica(name).getByTestId('chaos-faults')).toHaveText('etcd main killed');
    // Told without looking: one notification as the state got worse, and the tab title leads with it.
    await expect
      .poll(() => notificationsShown(page))
      .toEqual([expect.objectContaining({ title: expect.stringMatching(/^prod-master: (warning|critical)$/) })]);
    await expect(page).toHaveTitle(/^\[(warning|critical)\] prod-master/);
    await page.waitForTimeout(1_500);
    await card.screenshot({ path: shot('replica-failed.png') });
    await page.screenshot({ path: shot('cluster-etcd-killed.png'), fullPage: true });

    await panel.action(name, 'restore').click();
    await expect(panel.notice()).toContainText(`Restore on ${name}: done.`);
  } finally {
    await sandboxChaos(request, `projects/sandbox-project/zones/${zone}/instances/${name}/restore`);
  }
  await expect(card).toHaveAttribute('data-health', 'healthy', { timeout: 30_000 });
  await expect(card).toHaveAttribute('data-failure', 'none');
  await expect(card.getByTestId('replica-failure')).toHaveCount(0);
  await expect(panel.replica(name).getByTestId('chaos-faults')).toHaveText('no fault');
  await expect(page.locator('[data-testid="replica-card"][data-health="healthy"]')).toHaveCount(3, { timeout: 60_000 });
  // Getting better notifies nobody; the title loses its mark.
  await expect(page).toHaveTitle(/^prod-master/);
  expect(await notificationsShown(page)).toHaveLength(1);
});

test('take a prod zone down from the panel: the zone reads unreachable and prod can lose 0 more; bring it back', async ({
  page,
  clusterPage,
  request,
}) => {
  const zone = 'europe-west1-c';
  await clusterPage.goto('prod-master', 'europe-west1');
  await expect(page.locator('[data-testid="replica-card"][data-health="healthy"]')).toHaveCount(3, { timeout: 60_000 });
  await expect(page.getByTestId('live-indicator')).toHaveAttribute('data-status', 'live', { timeout: 30_000 });
  const panel = new ChaosPanel(page);
  const card = clusterPage.zone(zone).getByTestId('replica-card');

  await panel.zone(zone).locator('[data-action="zone-down"]').click();
  try {
    // The replica goes silent at once (its links are cut; its processes keep running, a real partition); the
    // zone's Nodes turn NotReady a few seconds later, once the etcd election that losing a leader may cause is
    // over (as a real node lifecycle controller's would, later still).
    await expect(clusterPage.zone(zone).getByTestId('zone-unreachable')).toBeVisible({ timeout: 15_000 });
    const state = (await (await request.get(`http://127.0.0.1:${E2E.sandboxPort}/sandbox/v1/chaos`)).json()) as {
      instances: Array<{ zone: string; zoneDown: boolean; frozen: boolean; etcd: { main: string; events: string } }>;
    };
    expect(
      state.instances.filter((i) => i.zone === zone).map(({ zoneDown, frozen, etcd }) => ({ zoneDown, frozen, etcd })),
    ).toEqual([{ zoneDown: true, frozen: false, etcd: { main: 'running', events: 'running' } }]);
    await expect(card).toHaveAttribute('data-failure', 'zone-unreachable');
    await expect(card.getByTestId('failure-evidence')).toContainText('not Ready');
    await expect(clusterPage.tolerance()).toContainText('Can lose 0 replicas');
    await expect(page.locator('[data-testid="finding"][data-code="ZoneUnreachable"]')).toContainText(
      `Zone ${zone} is unreachable`,
    );
    await expect(panel.zone(zone)).toHaveAttribute('data-down', 'true');
    await page.waitForTimeout(1_000);
    await page.screenshot({ path: shot('cluster-zone-down.png'), fullPage: true });

    await panel.zone(zone).locator('[data-action="zone-up"]').click();
  } finally {
    // Whatever failed above, the specs that follow need the zone back.
    await sandboxChaos(request, `zones/${zone}/up`);
  }
  await expect(page.locator('[data-testid="replica-card"][data-health="healthy"]')).toHaveCount(3, { timeout: 60_000 });
  await expect(clusterPage.zone(zone).getByTestId('zone-unreachable')).toHaveCount(0);
});
