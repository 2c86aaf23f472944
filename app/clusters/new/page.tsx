import { pageCaller } from '@/lib/server/auth/guards';
import type { Metadata } from 'next';
import Link from 'next/link';
import { CreateClusterWizard } from '@/components/wizards/create-cluster-wizard';
import { createClusterChoices } from '@/lib/server/services/create-cluster';

export const dynamic = 'force-dynamic';
export const metadata: Metadata = { title: 'Create a cluster' };

export default async function NewClusterPage() {
  await pageCaller('/clusters/new');
  const choices = await createClusterChoices();
  return (
    <div className="space-y-6">
      <div>
        <Link href="/" className="text-sm text-sky-700 hover:underline">
          ← Clusters
        </Link>
        <h1 className="mt-1 text-2xl font-semibold tracking-tight">Create a cluster</h1>
        <p className="text-sm text-slate-500">
          An HA-compatible cluster starts with one master, as <span className="font-mono">kube-up.sh</span> makes it;
          add replicas to it afterwards (1 → 3 in one plan).
        </p>
      </div>
      <CreateClusterWizard choices={choices} />
    </div>
  );
}
