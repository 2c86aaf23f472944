'use client';
import { useTranslations } from 'next-intl';
import { ErrorPanel } from '@/components/ui/error-panel';

/** Shown when the cluster could not be observed at all (the provider did not answer). */
export default function ClusterError(props: { error: Error & { digest?: string }; reset: () => void }) {
  const t = useTranslations('topology');
  return <ErrorPanel title={t('error.title')} providerHint={t('error.providerHint')} {...props} />;
}
