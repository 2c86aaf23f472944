import { expect, test } from './fixtures/test';
import { listMasters, startInstance, stopInstance } from './fixtures/compute';

test('the fleet page shows both seeded clusters with their tolerance', async ({ fleetPage }) => {
  await fleetPage.goto();
  // One row each; create-cluster.spec (earlier in file order) may have added a cluster of its own.
  await expect(fleetPage.row('prod-master')).toHaveCount(1);
  await expect(fleetPage.row('staging-master')).toHaveCount(1);
  await expect(fleetPage.row('prod-master').getByTestId('fleet-healthy')).toContainText('3/3');
  await expect(fleetPage.row('prod-master').getByTestId('fleet-tolerance')).toHaveText('can lose 1 replica and 1 zone');
  await expect(fleetPage.row('staging-master').getByTestId('fleet-healthy')).toContainText('1/1');
  await expect(fleetPage.row('staging-master').getByTestId('fleet-tolerance')).toHaveText(
    'can lose 0 replicas and 0 zones',
  );
});

test('the prod page shows 3 replicas in 3 zones with exactly one etcd leader', async ({ clusterPage }) => {
  await clusterPage.goto('prod-master', 'europe-west1');
  await expect(clusterPage.replicas()).toHaveCount(3);
  for (const zone of ['europe-west1-b', 'europe-west1-c', 'europe-west1-d']) {
    await expect(clusterPage.zone(zone).getByTestId('replica-card')).toHaveCount(1);
  }
  await expect(clusterPage.mainLeaders()).toHaveCount(1);
  await expect(clusterPage.page.locator('[data-testid="replica-card"][data-health="healthy"]')).toHaveCount(3);
  await expect(clusterPage.page.getByTestId('load-balancer')).toContainText('prod-master');
});

test('stopping a prod replica through the Compute API shows on the open page and in the tab title, and starting it brings it back', async ({
  clusterPage,
}) => {
  const masters = await listMasters('prod-master');
  expect(masters).toHaveLength(3);
  const victim = masters[1];
  if (!victim) throw new Error('no prod replica');
  await clusterPage.goto('prod-master', 'europe-west1');
  await expect(clusterPage.tolerance()).toHaveAttribute('data-replicas', '1');
  // A healthy prod has no warning: the tab title is the plain one.
  await expect(clusterPage.page).toHaveTitle('prod-master · Quorum');

  await stopInstance(victim.zone, victim.name);
  // The page is not reloaded: the change arrives over the live feed.
  await expect(clusterPage.replica(victim.name)).toHaveAttribute('data-health', 'unhealthy');
  await expect(clusterPage.tolerance()).toHaveAttribute('data-replicas', '0');
  await expect(clusterPage.tolerance()).toContainText(/can lose 0 replicas/i);
  // A background tab says it too, with the page's worst finding.
  const worst = await clusterPage.page.getByTestId('finding').first().getAttribute('data-severity');
  expect(worst === 'critical' || worst === 'warning').toBe(true);
  await expect(clusterPage.page).toHaveTitle(`[${worst}] prod-master · Quorum`);

  await startInstance(victim.zone, victim.name);
  await expect(clusterPage.replica(victim.name)).toHaveAttribute('data-health', 'healthy', { timeout: 30_000 });
  await expect(clusterPage.tolerance()).toHaveAttribute('data-replicas', '1');
  await expect(clusterPage.page).toHaveTitle('prod-master · Quorum');
});
