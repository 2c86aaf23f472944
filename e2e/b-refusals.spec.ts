// Runs after a-operations (file order), which covers the two-replica refusal. Each refusal here is shown in
// words in the wizard before anything runs. The specs that follow expect prod 3/3 healthy and staging with
// one replica, so whatever this file stops or adds it restores before it ends.
import path from 'node:path';
import { expect, test } from './fixtures/test';
import { listMasters, startInstance, stopInstance, type MasterInstance } from './fixtures/compute';
import { ChangePage } from './pages/change-page';
import { ClusterPage } from './pages/cluster-page';

test.describe.configure({ timeout: 240_000 });

// Kept outside Playwright's outputDir, which every run empties, so the refusal states can be looked at later.
const shot = (name: string) => path.join('test-results', 'refusals', name);

const PROD_ZONES = ['europe-west1-b', 'europe-west1-c', 'europe-west1-d'];
const US_ZONES = ['us-central1-a', 'us-central1-b', 'us-central1-c', 'us-central1-f'];

/**
 * Opens the prod wizard until its own observation sees prod healthy: a probe that times out (right after the
 * server starts, or on a loaded machine just after replicas restarted) counts as a voter down, and every add is
 * refused then.
 */
async function openProdWizardHealthy(change: ChangePage) {
  await expect(async () => {
    await change.goto('prod-master', 'europe-west1');
    for (const zone of PROD_ZONES) await expect(change.zone(zone)).toBeEnabled({ timeout: 1_000 });
  }).toPass({ timeout: 60_000 });
}

/** Previews a prod scale until it is planned (not refused because a probe timed out). */
async function previewProdScale(change: ChangePage, replicas: number) {
  await expect(async () => {
    await change.goto('prod-master', 'europe-west1');
    await change.previewScale(replicas);
    await expect(change.page.getByTestId('plan-preview')).toBeVisible({ timeout: 5_000 });
  }).toPass({ timeout: 60_000 });
}

async function expectProdWhole(clusterPage: ClusterPage) {
  await clusterPage.goto('prod-master', 'europe-west1');
  await expect(clusterPage.page.locator('[data-testid="replica-card"][data-health="healthy"]')).toHaveCount(3, {
    timeout: 60_000,
  });
  for (const zone of PROD_ZONES) await expect(clusterPage.zone(zone).getByTestId('replica-card')).toHaveCount(1);
}

test('zones of other regions are listed but disabled, each with the reason', async ({ page }) => {
  const change = new ChangePage(page);
  // The region's own zones are offered; the others are listed below them.
  await openProdWizardHealthy(change);
  for (const zone of US_ZONES) {
    await expect(change.outsideZone(zone)).toBeDisabled();
    await expect(change.outsideZone(zone)).toContainText(
      `${zone} is in us-central1, outside the cluster's region europe-west1; pick one of europe-west1-b`,
    );
  }
  await page.screenshot({ path: shot('refusal-zone-outside-region.png'), fullPage: true });

  await change.goto('staging-master', 'us-central1');
  for (const zone of PROD_ZONES) {
    await expect(change.outsideZone(zone)).toBeDisabled();
    await expect(change.outsideZone(zone)).toContainText(
      `${zone} is in europe-west1, outside the cluster's region us-central1`,
    );
  }
  await page.screenshot({ path: shot('refusal-zone-outside-region-staging.png'), fullPage: true });
});

test('with a prod replica down an add is refused; with two down, scaling down is refused for lost quorum', async ({
  page,
  clusterPage,
}) => {
  const masters = await listMasters('prod-master');
  expect(masters).toHaveLength(3);
  const [first, second] = masters;
  if (!first || !second) throw new Error('prod should have three replicas');
  const change = new ChangePage(page);
  const stopped: MasterInstance[] = [];
  try {
    stopped.push(first);
    await stopInstance(first.zone, first.name);
    // The wizard observes the cluster when it opens: open it until the dashboard has seen the replica down.
    await expect(async () => {
      await change.goto('prod-master', 'europe-west1');
      await expect(change.zoneNote()).toHaveAttribute('data-code', 'VoterUnhealthy', { timeout: 1_000 });
      await expect(change.zoneNote()).toHaveText(
        `${first.name} (VM is TERMINATED) is not healthy, and etcd refuses a new member while a voter is down: recover or remove it first.`,
        { timeout: 1_000 },
      );
    }).toPass({ timeout: 30_000 });
    for (const zone of PROD_ZONES) await expect(change.zone(zone)).toBeDisabled();
    await page.screenshot({ path: shot('refusal-voter-down.png'), fullPage: true });

    stopped.push(second);
    await stopInstance(second.zone, second.name);
    await change.goto('prod-master', 'europe-west1');
    await change.previewScale(1);
    await expect(change.refusal()).toHaveAttribute('data-code', 'QuorumAtRisk');
    await expect(change.refusal()).toContainText(
      /etcd has lost quorum \([01] of 3 voters healthy, 2 needed\), so it accepts no membership change; recover the failed replicas first\./,
    );
    await expect(page.getByTestId('plan-preview')).toHaveCount(0);
    await page.screenshot({ path: shot('refusal-quorum-lost.png'), fullPage: true });
  } finally {
    for (const vm of stopped) await startInstance(vm.zone, vm.name);
  }
  await expectProdWhole(clusterPage);
});

test('while an operation runs on prod, the wizard refuses a second one and links to the running one', async ({
  page,
  context,
  clusterPage,
}) => {
  const change = new ChangePage(page);
  // A second operator has the wizard open before the first starts anything; no zone is refused yet.
  const other = new ChangePage(await context.newPage());
  await openProdWizardHealthy(other);
  await expect(other.zoneNote()).toHaveCount(0);

  // Two adds in a row (3 -> 5) keep the operation running long enough for the checks below.
  await previewProdScale(change, 5);
  await change.confirmAndRun('prod-master');
  const operationPath = new URL(page.url()).pathname;

  // The open wizard asks the server, which refuses because of the lock, whatever the layout is at that moment.
  await other.previewRemoval('europe-west1-c');
  await expect(other.refusal()).toHaveAttribute('data-code', 'OperationInProgress');
  await expect(other.refusal()).toContainText(
    'Another operation is running on prod-master; wait for it to finish or cancel it first.',
  );

  // Opened again, the wizard says it before anything is picked, and links to the running operation.
  await other.page.reload();
  await expect(other.zoneNote()).toHaveAttribute('data-code', 'OperationInProgress');
  await expect(other.zoneNote()).toContainText(
    'Another operation is running on prod-master; wait for it to finish or cancel it first.',
  );
  await expect(other.zoneNote().getByTestId('running-operation-link')).toHaveAttribute('href', operationPath);
  for (const zone of PROD_ZONES) await expect(other.zone(zone)).toBeDisabled();
  await other.page.screenshot({ path: shot('refusal-operation-in-progress-add.png'), fullPage: true });
  await other.previewRemoval('europe-west1-d');
  await expect(other.refusal()).toHaveAttribute('data-code', 'OperationInProgress');
  await expect(other.refusal().getByTestId('running-operation-link')).toHaveAttribute('href', operationPath);
  await other.page.screenshot({ path: shot('refusal-operation-in-progress-remove.png'), fullPage: true });
  await other.page.close();

  await change.expectOperationSucceeded(180_000);
  expect(await listMasters('prod-master')).toHaveLength(5);

  // Back to three, one per zone.
  await previewProdScale(change, 3);
  await change.confirmAndRun('prod-master');
  await change.expectOperationSucceeded(180_000);
  await expectProdWhole(clusterPage);
});
