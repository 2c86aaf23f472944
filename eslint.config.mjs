import nextVitals from 'eslint-config-next/core-web-vitals';
import nextTs from 'eslint-config-next/typescript';

// Import boundaries (ARCHITECTURE.md): imports point down only.
const serverOnly = [
  { group: ['@/lib/server', '@/lib/server/*', '**/lib/server/*'], message: 'Client code must not import lib/server.' },
  { group: ['@/lib/adapters', '@/lib/adapters/*', '**/lib/adapters/*'], message: 'Client code must not import lib/adapters.' },
  { group: ['@/sandbox', '@/sandbox/*', '**/sandbox/*'], message: 'The sandbox is reached over HTTP only.' },
];

export default [
  ...nextVitals,
  ...nextTs,
  { ignores: ['.next/**', 'node_modules/**', '.quorum/**', 'test-results/**', 'playwright-report/**', 'next-env.d.ts'] },
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-non-null-assertion': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Client code: components, client hooks, and every app route file. Server data comes in as props,
    // through server actions, or over HTTP (SSE).
    files: ['components/**/*.{ts,tsx}', 'lib/client/**/*.{ts,tsx}'],
    rules: { 'no-restricted-imports': ['error', { patterns: serverOnly }] },
  },
  {
    files: ['app/**/*.{ts,tsx}', 'lib/**/*.{ts,tsx}', 'e2e/**/*.ts', 'bench/**/*.ts'],
    ignores: ['e2e/**', 'bench/**', 'tests/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: [serverOnly[2]] }] },
  },
  {
    // The domain core is pure: nothing of the project but itself, no I/O, no framework.
    files: ['lib/core/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: ['@/*', '!@/lib/core', '!@/lib/core/*'], message: 'lib/core imports nothing of the project but itself.' },
          { group: ['../../*'], message: 'lib/core imports nothing of the project but itself.' },
          { group: ['node:*', 'fs', 'path', 'http', 'https', 'net', 'child_process'], message: 'lib/core does no I/O.' },
          { group: ['react', 'react-dom', 'next', 'next/*'], message: 'lib/core does not depend on a framework.' },
        ],
      }],
    },
  },
];
