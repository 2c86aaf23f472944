'use client';
import { isServer, QueryClient, QueryClientProvider } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { CallerProvider, type SignedIn } from '@/components/auth/caller-context';

function makeQueryClient() {
  return new QueryClient({ defaultOptions: { queries: { staleTime: 5_000, retry: 1 } } });
}

let browserQueryClient: QueryClient | undefined;

/** One query client per request on the server, one for the life of the page in the browser. */
function getQueryClient() {
  if (isServer) return makeQueryClient();
  return (browserQueryClient ??= makeQueryClient());
}

export function Providers({ caller, children }: { caller: SignedIn; children: ReactNode }) {
  return (
    <QueryClientProvider client={getQueryClient()}>
      <CallerProvider caller={caller}>{children}</CallerProvider>
    </QueryClientProvider>
  );
}
