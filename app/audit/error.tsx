'use client';
import { useTranslations } from 'next-intl';
import { ErrorPanel } from '@/components/ui/error-panel';

/** Shown when the audit log could not be read (the store did not answer). */
export default function AuditError(props: { error: Error & { digest?: string }; reset: () => void }) {
  const t = useTranslations('audit.page');
  return <ErrorPanel title={t('errorTitle')} providerHint={t('errorHint')} {...props} />;
}
