import { expect, type Page } from '@playwright/test';

/** The create wizard at /clusters/new. */
export class CreateClusterPage {
  constructor(readonly page: Page) {}

  async goto() {
    await this.page.goto('/clusters/new');
    await this.page.getByRole('heading', { level: 1, name: 'Create a cluster' }).waitFor({ state: 'visible' });
  }

  async fill(opts: { name: string; region?: string; zone?: string }) {
    const form = this.page.getByTestId('create-form');
    await form.getByLabel('Master name').fill(opts.name);
    if (opts.region) await form.getByLabel('Region').selectOption(opts.region);
    if (opts.zone) await form.getByLabel('Zone of the first master').selectOption(opts.zone);
  }

  async preview() {
    await this.page.getByTestId('create-form').getByRole('button', { name: 'Preview' }).click();
  }

  /** Types the new name, creates, and lands on the operation page. */
  async confirmAndCreate(name: string) {
    await expect(this.page.getByTestId('plan-preview')).toBeVisible();
    await this.page.getByTestId('confirm-run').locator('input').fill(name);
    await this.page.getByRole('button', { name: 'Create this cluster' }).click();
    await this.page.waitForURL(/\/operations\/[0-9a-f-]{36}$/);
  }
}
