// A partition between two zones of prod (runs after the chaos and recovery specs, file order; prod must be 3/3
// with one replica per zone). The twin cuts traffic between the two zones' VMs while both still reach the
// dashboard, so every replica answers Quorum: the page must show what each replica's etcd itself reports (the
// leader it follows, the peers it has a link to), the cut between the zones, and the tolerance the links leave,
// without calling anyone unhealthy or declaring quorum lost. Checked against etcd asked inside each VM. Healed
// (also in `finally`), prod must read 3/3 healthy and "can lose 1" again for the specs that follow.
import path from 'node:path';
import { expect, test } from './fixtures/test';
import { sandboxChaos } from './fixtures/chaos';
import { etcdViewsInVms } from './fixtures/etcd-views';

test.describe.configure({ timeout: 180_000 });

const shot = (name: string) => path.join('test-results', 'partition', name);

test('partition two follower zones of prod: each side reports the leader and one peer, the cut is shown, can lose 0; healed, back to 1', async ({
  page,
  clusterPage,
  request,
}) => {
  await clusterPage.goto('prod-master', 'europe-west1');
  const healthy = page.locator('[data-testid="replica-card"][data-health="healthy"]');
  await expect(healthy).toHaveCount(3, { timeout: 60_000 });
  await expect(page.getByTestId('live-indicator')).toHaveAttribute('data-status', 'live', { timeout: 30_000 });
  // Every replica's etcd reports links to both others before the cut.
  await expect(page.locator('[data-testid="etcd-peers"][data-missing=""]')).toHaveCount(3, { timeout: 30_000 });
  await expect(clusterPage.tolerance()).toHaveAttribute('data-replicas', '1');

  // The two followers of etcd main: cutting them apart leaves the leader linked to both, so no election.
  const leaderCard = page.locator('[data-testid="replica-card"]:has([data-testid="etcd-main"][data-role="leader"])');
  await expect(leaderCard).toHaveCount(1);
  const leader = await leaderCard.getAttribute('data-replica');
  const followerCards = page.locator(
    '[data-testid="replica-card"]:has([data-testid="etcd-main"][data-role="follower"])',
  );
  await expect(followerCards).toHaveCount(2);
  const followers = await followerCards.evaluateAll((cards) => cards.map((c) => c.getAttribute('data-replica') ?? ''));
  const zoneOf = async (name: string) =>
    (await clusterPage
      .replica(name)
      .locator('xpath=ancestor::*[@data-testid="zone-column"][1]')
      .getAttribute('data-zone')) ?? '';
  const [x, y] = followers;
  if (!leader || !x || !y) throw new Error('prod has no leader and two followers on the page');
  const [zx, zy] = [await zoneOf(x), await zoneOf(y)];
  const leaderZone = await zoneOf(leader);
  expect(new Set([zx, zy, leaderZone]).size).toBe(3);

  await sandboxChaos(request, `zones/${zx}/partition/${zy}`);
  try {
    // etcd drops a silent peer link after its read time-out (about 5 s), each member on its own clock.
    const cut = page.locator('[data-testid="zone-cut"]');
    await expect(cut).toHaveCount(1, { timeout: 30_000 });
    await expect(cut).toHaveAttribute('data-zones', [zx, zy].sort().join('|'));
    for (const [name, zone, other] of [
      [x, zx, zy],
      [y, zy, zx],
    ] as const) {
      const peers = clusterPage.replica(name).getByTestId('etcd-peers');
      // Each side still follows the same leader and sees only it.
      await expect(peers).toHaveAttribute('data-missing', name === x ? y : x, { timeout: 30_000 });
      await expect(peers).toHaveAttribute('data-leader', leader);
      await expect(peers).toHaveAttribute('data-sees', leader);
      await expect(peers).toHaveText(`etcd main says: follows ${leader} · sees 1 of 2 peers: ${leader}`);
      await expect(clusterPage.zone(zone).getByTestId('zone-cut-from')).toHaveText(`cut off from ${other}`);
    }
    const leaderPeers = clusterPage.replica(leader).getByTestId('etcd-peers');
    await expect(leaderPeers).toHaveAttribute('data-missing', '');
    await expect(leaderPeers).toHaveText('etcd main says: leads · sees both peers');

    const finding = page.locator('[data-testid="finding"][data-code="ZonePartition"]');
    await expect(finding).toHaveCount(1);
    await expect(finding).toHaveAttribute('data-severity', 'critical');
    await expect(finding).toContainText(`${x} reports leader ${leader}`);
    await expect(finding).toContainText(`${y} reports leader ${leader}`);
    await expect(finding).toContainText(`sees 1 of 2 peers: ${leader}`);
    await expect(finding).toContainText(
      `etcd main keeps quorum only through ${leaderZone} (${leader}, the leader); losing it stops writes.`,
    );
    await expect(finding).toContainText('firewall');
    // No recovery for a partition: replacing a replica would sit behind the same cut.
    await expect(finding.getByTestId('finding-action')).toHaveCount(0);

    // The graph: x and y each reach a majority (2 of 3) only through the leader; losing the leader (one replica,
    // or its zone) leaves x and y unable to reach each other, so no member could reach a majority directly.
    // The smallest further loss that stops etcd is therefore 1, and the page says it can lose 0.
    await expect(clusterPage.tolerance()).toHaveAttribute('data-replicas', '0');
    await expect(clusterPage.tolerance()).toHaveAttribute('data-zones', '0');
    await expect(clusterPage.tolerance()).toContainText('Can lose 0 replicas and 0 zones');
    await expect(page.getByTestId('tolerance-links')).toContainText('cannot reach each other');
    await expect(clusterPage.zone(leaderZone)).toContainText('losing this zone loses quorum');

    // Nobody is called unhealthy, no quorum loss, nothing offered for recovery.
    await expect(healthy).toHaveCount(3);
    await expect(page.locator('[data-testid="finding"][data-code="QuorumLost"]')).toHaveCount(0);
    await expect(page.locator('[data-testid="finding"][data-code="ReplicaUnhealthy"]')).toHaveCount(0);
    await expect(page.getByTestId('recover-replica')).toHaveCount(0);
    await expect(page.getByTestId('gauge-main')).toHaveAttribute('data-healthy', '3');

    // etcd itself, asked on each side inside its VM, says what the page says.
    const views = await etcdViewsInVms([leader, x, y]);
    expect(views).toEqual([
      { replica: leader, leader, sees: [x, y].sort() },
      { replica: x, leader, sees: [leader] },
      { replica: y, leader, sees: [leader] },
    ]);

    await page.waitForTimeout(1_000);
    await page.screenshot({ path: shot('cluster-partition.png'), fullPage: true });
    await clusterPage.replica(x).screenshot({ path: shot('replica-partitioned.png') });
    await finding.screenshot({ path: shot('finding-partition.png') });
  } finally {
    await sandboxChaos(request, `zones/${zx}/heal/${zy}`);
  }
  await expect(page.locator('[data-testid="zone-cut"]')).toHaveCount(0, { timeout: 30_000 });
  await expect(page.locator('[data-testid="etcd-peers"][data-missing=""]')).toHaveCount(3, { timeout: 30_000 });
  await expect(healthy).toHaveCount(3);
  await expect(clusterPage.tolerance()).toHaveAttribute('data-replicas', '1');
  await expect(clusterPage.tolerance()).toContainText('Can lose 1 replica');
  await expect(page.locator('[data-testid="finding"][data-code="ZonePartition"]')).toHaveCount(0);
  expect(await etcdViewsInVms([leader, x, y])).toEqual([
    { replica: leader, leader, sees: [x, y].sort() },
    { replica: x, leader, sees: [leader, y].sort() },
    { replica: y, leader, sees: [leader, x].sort() },
  ]);
});
