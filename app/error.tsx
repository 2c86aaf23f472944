'use client';
import { useTranslations } from 'next-intl';
import { ErrorPanel } from '@/components/ui/error-panel';

export default function FleetError(props: { error: Error & { digest?: string }; reset: () => void }) {
  const t = useTranslations('fleet');
  return <ErrorPanel title={t('error.title')} providerHint={t('error.providerHint')} {...props} />;
}
