import { configDefaults, defineConfig } from 'vitest/config';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  resolve: { alias: { '@': root, 'server-only': `${root}tests/server-only-stub.ts` } },
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['lib/**/*.test.ts', 'sandbox/**/*.test.ts', 'components/**/*.test.ts', 'tests/unit/**/*.test.ts'],
          // Tests that make real network namespaces need root and the machine's heavy-run lock.
          exclude: [...configDefaults.exclude, '**/*.netns.test.ts'],
          environment: 'node',
          // The fast-check properties are pure CPU; on a loaded 2-core machine 5 s is not always enough.
          testTimeout: 30_000,
          // Files share their worker's module registry: the unit files keep no state in modules they do not
          // reset, and importing the same modules once per file was two thirds of the stage (114 s against 51 s).
          isolate: false,
        },
      },
      {
        extends: true,
        test: {
          // Real namespaces, bridges and routes (root), no sandbox process. Each file has twin nets of its own (75,
          // 77, 78, 79, 98-99), so two files run side by side: they mostly wait (one at a time the machine was a
          // third busy, 170 s in all, against about 90 s two at a time).
          name: 'netns',
          include: ['sandbox/**/*.netns.test.ts', 'tests/netns/**/*.netns.test.ts'],
          environment: 'node',
          testTimeout: 60_000,
          hookTimeout: 60_000,
          maxWorkers: 2,
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['tests/integration/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['tests/integration/global-setup.ts'],
          // One worker for every file, each evaluating the project's modules afresh but not the packages'.
          isolate: false,
          setupFiles: ['tests/support/fresh-modules.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
      {
        extends: true,
        test: {
          name: 'system',
          include: ['tests/system/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['tests/system/global-setup.ts'],
          testTimeout: 600_000,
          hookTimeout: 120_000,
          // One file at a time: run side by side (each its own dashboard and cluster) they took longer on 2 cores
          // (325 s against 270 s), the dashboards' restarts competing for the CPU.
          fileParallelism: false,
        },
      },
    ],
  },
});
