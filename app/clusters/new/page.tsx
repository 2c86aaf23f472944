import { pageCaller } from '@/lib/server/auth/guards';
import type { Metadata } from 'next';
import { getTranslations } from 'next-intl/server';
import Link from 'next/link';
import { CreateClusterWizard } from '@/components/wizards/create-cluster-wizard';
import { createClusterChoices } from '@/lib/server/services/create-cluster';

export const dynamic = 'force-dynamic';
export async function generateMetadata(): Promise<Metadata> {
  const t = await getTranslations('wizards.newPage');
  return { title: t('title') };
}

export default async function NewClusterPage() {
  await pageCaller('/clusters/new');
  const [choices, t] = await Promise.all([createClusterChoices(), getTranslations('wizards.newPage')]);
  return (
    <div className="space-y-6">
      <div>
        <Link href="/" className="text-sm text-sky-700 hover:underline">
          ← {t('back')}
        </Link>
        <h1 className="mt-1 text-2xl font-semibold tracking-tight">{t('title')}</h1>
        <p className="text-sm text-slate-500">
          {t.rich('intro', { script: 'kube-up.sh', mono: (chunks) => <span className="font-mono">{chunks}</span> })}
        </p>
      </div>
      <CreateClusterWizard choices={choices} />
    </div>
  );
}
