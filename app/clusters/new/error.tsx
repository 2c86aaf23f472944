'use client';
import { useTranslations } from 'next-intl';
import { ErrorPanel } from '@/components/ui/error-panel';

/** Shown when the regions or the existing clusters could not be read. */
export default function NewClusterError(props: { error: Error & { digest?: string }; reset: () => void }) {
  const t = useTranslations('wizards.newPage');
  return <ErrorPanel title={t('errorTitle')} providerHint={t('errorHint')} {...props} />;
}
