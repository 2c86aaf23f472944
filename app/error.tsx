'use client';
import { ErrorPanel } from '@/components/ui/error-panel';

export default function FleetError(props: { error: Error & { digest?: string }; reset: () => void }) {
  return (
    <ErrorPanel
      title="The clusters could not be listed"
      providerHint="The Compute Engine API did not answer."
      {...props}
    />
  );
}
