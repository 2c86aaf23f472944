'use client';
import { ErrorPanel } from '@/components/ui/error-panel';

/** Shown when the audit log could not be read (the store did not answer). */
export default function AuditError(props: { error: Error & { digest?: string }; reset: () => void }) {
  return <ErrorPanel title="The audit log could not be read" providerHint="The store did not answer." {...props} />;
}
