import nextVitals from 'eslint-config-next/core-web-vitals';
import nextTs from 'eslint-config-next/typescript';

// Import boundaries (ARCHITECTURE.md): imports point down only. import/no-restricted-paths resolves every
// import (aliases and relative paths alike) to a file before it checks the zone.
const boundaries = [
  // Server actions ('use server' files in lib/actions) are how client code calls the server, so they are allowed.
  {
    target: ['./components', './lib/client'],
    from: ['./lib/server', './lib/adapters', './sandbox'],
    message: 'Client code must not import server code or the sandbox.',
  },
  {
    target: ['./app', './lib'],
    from: './sandbox',
    message: 'The sandbox is a separate process, reached over HTTP only.',
  },
  {
    target: './lib/core',
    from: [
      './app',
      './components',
      './lib/client',
      './lib/server',
      './lib/adapters',
      './lib/actions',
      './lib/ports',
      './sandbox',
      './e2e',
      './tests',
      './bench',
    ],
    message: 'lib/core imports nothing of the project but itself.',
  },
];

const config = [
  ...nextVitals,
  ...nextTs,
  {
    ignores: [
      '.next/**',
      '.typecheck/**',
      'node_modules/**',
      '.quorum/**',
      'test-results/**',
      'playwright-report/**',
      'next-env.d.ts',
    ],
  },
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-non-null-assertion': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Client code lives in components/ and lib/client/; server data reaches it as props, through server
    // actions, or over HTTP (SSE). `import 'server-only'` in lib/server and lib/adapters backs this up at build time.
    files: ['app/**/*.{ts,tsx}', 'components/**/*.{ts,tsx}', 'lib/**/*.{ts,tsx}'],
    rules: { 'import/no-restricted-paths': ['error', { zones: boundaries }] },
  },
  {
    // The domain core is pure: nothing of the project but itself, no I/O, no framework.
    files: ['lib/core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['node:*', 'fs', 'path', 'http', 'https', 'net', 'child_process'],
              message: 'lib/core does no I/O.',
            },
            { group: ['react', 'react-dom', 'next', 'next/*'], message: 'lib/core does not depend on a framework.' },
          ],
        },
      ],
    },
  },
  {
    // Playwright fixtures receive a function named `use`; it is not React's hook.
    files: ['e2e/**/*.ts'],
    rules: { 'react-hooks/rules-of-hooks': 'off' },
  },
];

export default config;
