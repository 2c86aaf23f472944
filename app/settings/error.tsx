'use client';
import { useTranslations } from 'next-intl';
import { ErrorPanel } from '@/components/ui/error-panel';

export default function SettingsError(props: { error: Error & { digest?: string }; reset: () => void }) {
  const t = useTranslations('settings.page');
  return <ErrorPanel title={t('errorTitle')} providerHint={t('errorHint')} {...props} />;
}
