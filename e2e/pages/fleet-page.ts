import type { Locator, Page } from '@playwright/test';

export class FleetPage {
  constructor(readonly page: Page) {}

  async goto() {
    await this.page.goto('/');
    await this.page.getByRole('heading', { level: 1, name: 'Clusters' }).waitFor({ state: 'visible' });
  }

  rows(): Locator {
    return this.page.getByTestId('fleet-row');
  }

  row(masterName: string): Locator {
    return this.page.locator(`[data-testid="fleet-row"][data-cluster="${masterName}"]`);
  }
}
