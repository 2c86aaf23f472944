'use client';
import { ErrorPanel } from '@/components/ui/error-panel';

/** Shown when the cluster could not be observed at all (the provider did not answer). */
export default function ClusterError(props: { error: Error & { digest?: string }; reset: () => void }) {
  return (
    <ErrorPanel
      title="This cluster could not be observed"
      providerHint="The Compute Engine API or etcd did not answer."
      {...props}
    />
  );
}
