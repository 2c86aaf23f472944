import { useTranslations } from 'next-intl';
import Link from 'next/link';

export default function ClusterNotFound() {
  const t = useTranslations('topology.notFound');
  return (
    <div className="rounded-lg border border-slate-200 bg-white p-6 text-sm">
      <h1 className="text-lg font-semibold">{t('title')}</h1>
      <p className="mt-1 text-slate-600">{t('body')}</p>
      <Link href="/" className="mt-3 inline-block text-sky-700 hover:underline">
        {t('back')}
      </Link>
    </div>
  );
}
