import createNextIntlPlugin from 'next-intl/plugin';

/**
 * QUORUM_ALLOWED_ORIGINS as the hosts Next's own server-action CSRF check compares the Origin header with.
 * lib/server/env.ts validates the same variable when the server starts (and refuses a bad entry), and proxy.ts
 * checks full origins on every mutating request before Next does; an entry that is not a URL is skipped here.
 */
function allowedOriginHosts() {
  return (process.env.QUORUM_ALLOWED_ORIGINS ?? '')
    .split(',')
    .map((origin) => origin.trim())
    .filter((origin) => origin !== '')
    .flatMap((origin) => {
      try {
        return [new URL(origin).host];
      } catch {
        return [];
      }
    });
}

/** @type {import('next').NextConfig} */
const nextConfig = {
  // Native and gRPC packages are loaded from node_modules at run time instead of being bundled.
  serverExternalPackages: ['etcd3', '@grpc/grpc-js', '@google-cloud/compute', 'google-gax', 'ssh2'],
  poweredByHeader: false,
  // Browsers ask for /favicon.ico on their own (a 404 there is a console error); the icon is app/icon.svg.
  async rewrites() {
    return [{ source: '/favicon.ico', destination: '/icon.svg' }];
  },
  // `npm run typecheck` (tsc over the whole repo, tests and sandbox included) is the type gate in
  // scripts/test.sh; the build need not repeat it.
  typescript: { ignoreBuildErrors: true },
  // Read again by `next start`, so the variable takes effect at start, not only at build.
  experimental: { serverActions: { allowedOrigins: allowedOriginHosts() } },
};
// next-intl reads its per-request configuration from i18n/request.ts.
export default createNextIntlPlugin('./i18n/request.ts')(nextConfig);
