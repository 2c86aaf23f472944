import { defineConfig } from '@playwright/test';
import base from './playwright.config';

// Same sandbox and dashboard as the e2e suite; only the docs screenshot script runs.
// (The e2e sandbox has a 4 s load-balancer delay, long enough to show its progress bar.)
export default defineConfig({ ...base, testDir: 'e2e/docs', testMatch: '**/*.ts', reporter: 'list' });
