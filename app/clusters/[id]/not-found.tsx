import Link from 'next/link';

export default function ClusterNotFound() {
  return (
    <div className="rounded-lg border border-slate-200 bg-white p-6 text-sm">
      <h1 className="text-lg font-semibold">No such cluster</h1>
      <p className="mt-1 text-slate-600">
        No master replica, forwarding rule or static address of that name was found in the project.
      </p>
      <Link href="/" className="mt-3 inline-block text-sky-700 hover:underline">
        Back to all clusters
      </Link>
    </div>
  );
}
