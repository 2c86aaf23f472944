'use client';
import { ErrorPanel } from '@/components/ui/error-panel';

/** Shown when the regions or the existing clusters could not be read. */
export default function NewClusterError(props: { error: Error & { digest?: string }; reset: () => void }) {
  return (
    <ErrorPanel
      title="The create wizard could not load"
      providerHint="The Compute Engine API did not answer with the project's regions."
      {...props}
    />
  );
}
