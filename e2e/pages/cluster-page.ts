import type { Locator, Page } from '@playwright/test';

export const clusterId = (masterName: string, region: string) => `sandbox-project~${region}~${masterName}`;

export class ClusterPage {
  constructor(readonly page: Page) {}

  /** Opens the page and waits until its streamed content is on screen (not just in the DOM). */
  async goto(masterName: string, region: string) {
    await this.page.goto(`/clusters/${encodeURIComponent(clusterId(masterName, region))}`);
    await this.page.getByRole('heading', { level: 1, name: masterName }).waitFor({ state: 'visible' });
  }

  replicas(): Locator {
    return this.page.getByTestId('replica-card');
  }

  replica(name: string): Locator {
    return this.page.locator(`[data-testid="replica-card"][data-replica="${name}"]`);
  }

  zone(zone: string): Locator {
    return this.page.locator(`[data-testid="zone-column"][data-zone="${zone}"]`);
  }

  /** Replicas whose etcd main member reports itself leader. */
  mainLeaders(): Locator {
    return this.page.locator('[data-testid="replica-card"] [data-testid="etcd-main"][data-role="leader"]');
  }

  tolerance(): Locator {
    return this.page.getByTestId('tolerance');
  }
}
