import Link from 'next/link';
import type { SnapshotListing } from '@/lib/core/backups';
import { formatAge, formatBytes } from '@/lib/core/format';
import { Badge } from '@/components/ui/badge';
import { Card } from '@/components/ui/card';
import { TableHead } from '@/components/ui/table-head';

/**
 * The verified etcd snapshots Quorum keeps of this cluster (one pair per membership change), main then events,
 * newest first. Metadata only: the files stay on the server (they hold every Secret of the cluster).
 */
export function SnapshotList({
  clusterId,
  snapshots,
  now,
  retention,
}: {
  clusterId: string;
  snapshots: SnapshotListing[];
  now: string;
  retention: number;
}) {
  const at = new Date(now);
  return (
    <Card
      title={`etcd snapshots (${snapshots.length})`}
      aside={
        <span className="text-xs text-slate-500">
          taken before each membership change · newest {retention} kept per etcd cluster
        </span>
      }
    >
      {snapshots.length === 0 ? (
        <p className="text-sm text-slate-500" data-testid="snapshot-list-empty">
          None yet. Quorum takes and verifies a snapshot of etcd main and events before every add or removal.
        </p>
      ) : (
        <div className="relative overflow-x-auto">
          <table className="w-full text-left text-sm whitespace-nowrap" data-testid="snapshot-list">
            <TableHead columns={['etcd', 'age', 'size', 'revision', 'verified', 'from', 'file']} compact />
            <tbody>
              {snapshots.map((s) => (
                <tr
                  key={`${s.etcdCluster}/${s.file}`}
                  data-testid="snapshot-row"
                  data-etcd={s.etcdCluster}
                  className="border-t border-slate-100"
                >
                  <td className="py-1 pr-3">{s.etcdCluster}</td>
                  <td className="py-1 pr-3" title={s.takenAt}>
                    {formatAge(s.takenAt, at)}
                  </td>
                  <td className="py-1 pr-3">{formatBytes(s.sizeBytes)}</td>
                  <td className="py-1 pr-3 font-mono">{s.revision}</td>
                  <td className="py-1 pr-3" title={`sha256 ${s.sha256} · crc32 ${s.hash} · ${s.totalKeys} keys`}>
                    {s.intact ? <Badge tone="good">verified</Badge> : <Badge tone="bad">changed since verified</Badge>}
                  </td>
                  <td className="py-1 pr-3 font-mono text-xs">{s.member}</td>
                  <td className="py-1 font-mono text-xs">
                    <Link
                      href={`/clusters/${encodeURIComponent(clusterId)}/operations/${s.operationId}`}
                      className="text-sky-700 hover:underline"
                      title="The operation it was taken for"
                    >
                      {s.file}
                    </Link>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Card>
  );
}
