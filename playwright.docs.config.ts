import { defineConfig } from '@playwright/test';
import base from './playwright.config';

// Same sandbox and dashboard as the e2e suite; only the docs screenshot script runs.
export default defineConfig({ ...base, testDir: 'e2e/docs', testMatch: '**/*.ts', reporter: 'list' });
