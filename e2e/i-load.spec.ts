// Issue 13, "a signal operators can trust": a busy host makes answers slow, and slow is not down. While a CPU hog
// keeps every core busy for 3 minutes, a healthy prod must never read red, critical or "Quorum lost" on the fleet or
// the cluster page (sampled every second); a replica stopped meanwhile must still read unhealthy within 2 s, and stay
// so while its VM goes down.
import { spawn, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import type { Page } from '@playwright/test';
import { computeClients, listMasters, startInstance, stopInstance } from './fixtures/compute';
import { expect, test } from './fixtures/test';
import { ClusterPage } from './pages/cluster-page';
import { FleetPage } from './pages/fleet-page';

const HOG_MS = 3 * 60_000;
/** Kept for the stop at the end, while the hog still runs. */
const STOP_RESERVE_MS = 15_000;

/** What reads as alarm on a page right now: red elements (chaos buttons and the timeline's history aside), critical findings, "Quorum lost". */
async function alarms(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const found: string[] = [];
    const visible = (e: Element) => (e as HTMLElement).offsetParent !== null;
    for (const e of document.querySelectorAll('main [class*="red-"]')) {
      // The sandbox's chaos buttons are red by design, and the timeline is history (an earlier spec's outage), not now.
      if (e.closest('[data-testid="chaos-panel"], [data-testid="cluster-timeline"]') || !visible(e)) continue;
      if (!/(^|\s)(text|bg)-red-\d+/.test(e.getAttribute('class') ?? '')) continue;
      // On the fleet, the row says why (its worst finding); on the cluster page the element itself.
      const context = e.closest('[data-testid="fleet-row"]') ?? e;
      found.push(`red: ${(context.textContent ?? '').trim().slice(0, 240) || e.tagName}`);
    }
    for (const e of document.querySelectorAll('[data-severity="critical"]'))
      if (visible(e)) found.push(`critical: ${(e.textContent ?? '').trim().slice(0, 80)}`);
    for (const e of document.querySelectorAll('[data-testid="replica-card"][data-health="unhealthy"]'))
      found.push(`unhealthy: ${e.getAttribute('data-replica')}`);
    const main = document.querySelector('main')?.cloneNode(true) as HTMLElement | undefined;
    main?.querySelector('[data-testid="cluster-timeline"]')?.remove();
    if (/quorum lost/i.test(main?.textContent ?? '')) found.push('"Quorum lost"');
    return found;
  });
}

test('under a CPU hog on every core for 3 minutes a healthy prod never reads red, critical or quorum lost; a replica stopped meanwhile reads unhealthy within 2 s and stays so', async ({
  browser,
  page,
  clusterPage,
}, testInfo) => {
  test.setTimeout(HOG_MS + 3 * 60_000);
  const fleetTab = await browser.newPage({ storageState: await page.context().storageState() });
  const fleet = new FleetPage(fleetTab);
  await clusterPage.goto('prod-master', 'europe-west1');
  await expect(page.locator('[data-testid="replica-card"][data-health="healthy"]')).toHaveCount(3, { timeout: 60_000 });
  await expect(page.getByTestId('live-indicator')).toHaveAttribute('data-status', 'live', { timeout: 30_000 });
  await fleet.goto();
  await expect(fleet.row('prod-master').getByTestId('fleet-healthy')).toContainText('3/3');
  const [victim] = (await listMasters('prod-master')).filter((m) => m.status === 'RUNNING').slice(-1);
  if (!victim) throw new Error('no running prod replica');

  const hogs: ChildProcess[] = Array.from({ length: availableParallelism() }, () =>
    spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }),
  );
  const started = Date.now();
  const seen: string[] = [];
  let samples = 0;
  let stopped = false;
  try {
    while (Date.now() - started < HOG_MS - STOP_RESERVE_MS) {
      const tick = Date.now();
      const [onCluster, onFleet] = await Promise.all([alarms(page), alarms(fleetTab)]);
      samples++;
      const at = `${((tick - started) / 1000).toFixed(0)} s`;
      for (const a of onCluster) seen.push(`${at} cluster page: ${a}`);
      for (const a of onFleet) seen.push(`${at} fleet page: ${a}`);
      await page.waitForTimeout(Math.max(0, 1_000 - (Date.now() - tick)));
    }
    testInfo.annotations.push({
      type: 'cpu-hog',
      description: `${samples} samples of both pages over ${((Date.now() - started) / 1000).toFixed(0)} s with ${hogs.length} busy processes`,
    });
    expect(samples).toBeGreaterThan((HOG_MS - STOP_RESERVE_MS) / 1_000 / 2);
    expect(seen, 'alarms seen on a healthy prod under load').toEqual([]);

    // Still under the hog: a confirmed failure shows at once. The time runs from the stop request; the test's own
    // Compute client is made before it (making one costs this busy worker 0.1-0.3 s, which is not Quorum's time).
    // The page itself notes when the card turns unhealthy (a MutationObserver armed before the stop), so the time is
    // the page's, not that of the test's polling, which looks only every 0.5 s after the first second.
    await page.evaluate((name) => {
      const w = window as unknown as { unhealthyAt?: number };
      delete w.unhealthyAt;
      const watch = new MutationObserver(() => {
        const card = document.querySelector(`[data-testid="replica-card"][data-replica="${name}"]`);
        if (card?.getAttribute('data-health') !== 'unhealthy') return;
        watch.disconnect();
        w.unhealthyAt = Date.now();
      });
      watch.observe(document.body, { subtree: true, childList: true, attributes: true });
    }, victim.name);
    const clients = computeClients();
    const stopAt = Date.now();
    const stop = stopInstance(victim.zone, victim.name, clients);
    stopped = true;
    const turned = await page
      .waitForFunction(() => (window as unknown as { unhealthyAt?: number }).unhealthyAt, undefined, {
        timeout: 15_000,
      })
      .catch(() => null);
    const turnedAt = turned ? ((await turned.jsonValue()) as number) : null;
    const live = await page.getByTestId('live-indicator').getAttribute('data-status');
    if (turnedAt === null)
      throw new Error(`${victim.name} did not read unhealthy within 15 s (the live feed: ${live})`);
    testInfo.annotations.push({
      type: 'stop',
      description: `${victim.name} read unhealthy ${turnedAt - stopAt} ms after the stop call, under the hog`,
    });
    expect(
      turnedAt - stopAt,
      `ms from the stop call until the page showed ${victim.name} unhealthy`,
    ).toBeLessThanOrEqual(2_000);
    // And it stays so while the VM goes down (its etcd, then its sshd): a stopping VM is stopped, not "unknown".
    let down = false;
    void stop.then(() => (down = true));
    const states: string[] = [];
    while (!down) {
      states.push(
        (await new ClusterPage(page).replica(victim.name).getAttribute('data-health', { timeout: 5_000 })) ?? 'gone',
      );
      await page.waitForTimeout(200);
    }
    expect(
      states.filter((s) => s !== 'unhealthy'),
      `${victim.name} while it stopped`,
    ).toEqual([]);
    await stop;
  } finally {
    for (const h of hogs) h.kill('SIGKILL');
    if (stopped) await startInstance(victim.zone, victim.name).catch(() => {});
    await fleetTab.close();
  }
  await expect(page.locator('[data-testid="replica-card"][data-health="healthy"]')).toHaveCount(3, { timeout: 60_000 });
});
