import type { Metadata } from 'next';
import Link from 'next/link';
import type { ReactNode } from 'react';
import { UserMenu } from '@/components/auth/user-menu';
import { Providers } from '@/components/providers';
import { currentCaller } from '@/lib/server/auth/caller';
import './globals.css';

export const metadata: Metadata = {
  title: { default: 'Quorum', template: '%s · Quorum' },
  description: 'HA Kubernetes masters on Compute Engine: topology, etcd quorum, safe changes.',
};

export default async function RootLayout({ children }: { children: ReactNode }) {
  const caller = await currentCaller().catch(() => null);
  const signedIn = caller ? { email: caller.email, name: caller.name, role: caller.role } : null;
  return (
    <html lang="en">
      <body className="min-h-screen">
        <Providers caller={signedIn}>
          <header className="border-b border-slate-200 bg-white">
            <div className="mx-auto flex max-w-7xl items-center gap-6 px-6 py-3">
              <Link href="/" className="flex items-center gap-2 font-semibold tracking-tight">
                <span aria-hidden className="inline-block h-3 w-3 rounded-full bg-emerald-500 ring-4 ring-emerald-100" />
                Quorum
              </Link>
              {signedIn && (
                <nav className="flex gap-4 text-sm text-slate-600">
                  <Link href="/" className="hover:text-slate-900">Clusters</Link>
                  <Link href="/audit" className="hover:text-slate-900">Audit</Link>
                  {signedIn.role === 'admin' && <Link href="/users" className="hover:text-slate-900">Users</Link>}
                  {signedIn.role === 'admin' && <Link href="/settings" className="hover:text-slate-900">Settings</Link>}
                </nav>
              )}
              <UserMenu />
            </div>
          </header>
          <main className="mx-auto max-w-7xl px-6 py-6">{children}</main>
        </Providers>
      </body>
    </html>
  );
}
