'use client';

/** Shown when the cluster could not be observed at all (the provider did not answer). */
export default function ClusterError({ error, reset }: { error: Error & { digest?: string }; reset: () => void }) {
  return (
    <div role="alert" className="rounded-lg border border-red-200 bg-red-50 p-4 text-sm">
      <h1 className="font-semibold text-red-800">This cluster could not be observed</h1>
      <p className="mt-1 text-red-700">{error.digest ? 'The Compute Engine API or etcd did not answer. Details are in the server log.' : error.message}</p>
      <button onClick={reset} className="mt-3 rounded-md bg-white px-3 py-1.5 font-medium text-red-800 ring-1 ring-red-300 hover:bg-red-100">
        Try again
      </button>
    </div>
  );
}
