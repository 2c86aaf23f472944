'use client';
import { ErrorPanel } from '@/components/ui/error-panel';

export default function SettingsError(props: { error: Error & { digest?: string }; reset: () => void }) {
  return (
    <ErrorPanel
      title="The settings could not be shown"
      providerHint="The server could not read its rate limits."
      {...props}
    />
  );
}
