import type { Metadata } from 'next';
import Link from 'next/link';
import type { ReactNode } from 'react';
import { Providers } from '@/components/providers';
import './globals.css';

export const metadata: Metadata = {
  title: { default: 'Quorum', template: '%s · Quorum' },
  description: 'HA Kubernetes masters on Compute Engine: topology, etcd quorum, safe changes.',
};

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body className="min-h-screen">
        <header className="border-b border-slate-200 bg-white">
          <div className="mx-auto flex max-w-7xl items-center gap-6 px-6 py-3">
            <Link href="/" className="flex items-center gap-2 font-semibold tracking-tight">
              <span aria-hidden className="inline-block h-3 w-3 rounded-full bg-emerald-500 ring-4 ring-emerald-100" />
              Quorum
            </Link>
            <nav className="text-sm text-slate-600">
              <Link href="/" className="hover:text-slate-900">Clusters</Link>
            </nav>
          </div>
        </header>
        <Providers>
          <main className="mx-auto max-w-7xl px-6 py-6">{children}</main>
        </Providers>
      </body>
    </html>
  );
}
